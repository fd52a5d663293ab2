"""A NaN or infinite valence rating is refused naming the file and line (JSONL) or the id (other
formats) and why. QA session 22: ``[NaN, 1]`` was read as ``[1]`` without a word (the item's gold
rested on one rater while the file says two rated it); a rater without a rating is written null,
which is still left out, and an empty CSV cell is still no gold."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from linernotes.evals.gold import load_gold
from linernotes.evals.spec import SpecError, load_spec


def _spec(tmp_path: Path, data: Path) -> Path:
    spec = tmp_path / "v.yaml"
    spec.write_text(f"name: v\ndata: {data}\ninputs: {{description: text}}\n"
                    "tasks: [{name: valence, kind: valence, gold_field: ratings, scale: 4}]\n", encoding="utf-8")
    return spec


def _jsonl(tmp_path: Path, third: str) -> Path:
    lines = [json.dumps({"id": f"v{n}", "text": f"day {n}", "ratings": [n % 5 - 2, 1]}) for n in range(4)]
    lines[2] = lines[2].replace('"ratings": [0, 1]', f'"ratings": {third}')
    data = tmp_path / "g.jsonl"
    data.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return data


@pytest.mark.parametrize(("third", "where"), [("[NaN, 1]", "ratings.0: a rating is nan"),
                                              ("[1, -Infinity]", "ratings.1: a rating is -inf"),
                                              ("NaN", "ratings: a rating is nan")])
def test_a_non_finite_rating_in_a_jsonl_gold_set_is_named_at_its_line(tmp_path: Path, third: str, where: str) -> None:
    data = _jsonl(tmp_path, third)
    with pytest.raises(SpecError) as e:
        load_gold(load_spec(_spec(tmp_path, data)), data)
    assert str(e.value) == (f"{data}:3: {where}, not a finite number; write null for a rater without a rating, or "
                            "leave the rater out")


def test_a_nan_rating_in_a_parquet_gold_set_is_named_by_its_id(tmp_path: Path) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    data = tmp_path / "g.parquet"
    pq.write_table(pa.table({"id": ["a", "b"], "text": ["x", "y"], "ratings": [[1.0, 2.0], [float("nan"), 1.0]]}), data)
    with pytest.raises(SpecError) as e:
        load_gold(load_spec(_spec(tmp_path, data)), data)
    assert str(e.value) == (f"{data}: id 'b': ratings: a rating is NaN (not a number); write null for a rater without "
                            "a rating, or leave the rater out")


def test_a_null_rater_is_left_out_and_an_empty_csv_cell_is_no_gold(tmp_path: Path) -> None:
    data = _jsonl(tmp_path, "[null, 2]")
    gold = {i.id: i.gold for i in load_gold(load_spec(_spec(tmp_path, data)), data).items}
    assert gold["v2"] == {"valence": 0.5, "valence_ratings": [0.5]}
    csv_data = tmp_path / "g.csv"
    csv_data.write_text("id,text,ratings\na,x,2\nb,y,\n", encoding="utf-8")
    gold = {i.id: i.gold for i in load_gold(load_spec(_spec(tmp_path, csv_data)), csv_data).items}
    assert gold == {"a": {"valence": 0.5, "valence_ratings": [0.5]}, "b": {}}
