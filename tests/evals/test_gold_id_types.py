"""A gold row whose id is not a string or an integer is refused naming the file, the line (or
row) and why, as ``liner tag`` refuses it in a catalog (QA newuser22: ``{"id": 5.5}`` was the id
'5.5', ``{"id": {"a": 1}}`` Python's "{'a': 1}" and ``true`` 'True' in the run record, exit 0)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from linernotes.evals.gold import load_gold
from linernotes.evals.spec import SpecError, load_spec


def _spec(tmp_path: Path) -> Path:
    spec = tmp_path / "v.yaml"
    spec.write_text("name: v\ndata: g.jsonl\ninputs: {description: text}\n"
                    "tasks: [{name: valence, kind: valence, gold_field: ratings}]\n", encoding="utf-8")
    return spec


def _rows(bad_id) -> list[dict]:
    rows = [{"id": f"r{n}", "text": f"text {n}", "ratings": [n % 3 - 1]} for n in range(5)]
    rows[3]["id"] = bad_id
    return rows


@pytest.mark.parametrize(("bad_id", "said"), [
    (5.5, "id 5.5 is a float; ids are strings or integers (an integer column with a missing value is stored"),
    (1.0, "id 1.0 is a float"),
    (True, "id true is true/false; ids are strings or integers"),
    ({"a": 1}, 'id {"a": 1} is an object; ids are strings or integers'),
    (["r9"], 'id ["r9"] is an array; ids are strings or integers'),
])
def test_a_jsonl_gold_id_of_another_type_is_refused_at_its_line(tmp_path: Path, bad_id, said: str) -> None:
    data = tmp_path / "g.jsonl"
    data.write_text("".join(json.dumps(r) + "\n" for r in _rows(bad_id)), encoding="utf-8")
    with pytest.raises(SpecError) as e:
        load_gold(load_spec(_spec(tmp_path)), data)
    assert str(e.value).startswith(f"{data}:4: id: {said}"), str(e.value)


def test_a_parquet_gold_id_column_of_floats_is_refused_at_its_row(tmp_path: Path) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    data = tmp_path / "g.parquet"
    pq.write_table(pa.table({"id": [1.0, 2.0, 3.0], "text": ["a", "b", "c"], "ratings": [[1], [0], [-1]]}), data)
    with pytest.raises(SpecError, match=r"g\.parquet: row 1: id: id 1\.0 is a float; ids are strings or integers"):
        load_gold(load_spec(_spec(tmp_path)), data)


def test_string_and_integer_ids_are_read_as_before(tmp_path: Path) -> None:
    data = tmp_path / "g.jsonl"
    data.write_text("".join(json.dumps(r) + "\n" for r in _rows(42)), encoding="utf-8")
    gold = load_gold(load_spec(_spec(tmp_path)), data)
    assert [it.id for it in gold.items] == ["r0", "r1", "r2", "42", "r4"]
