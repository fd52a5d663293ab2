"""Valence gold cells a real file holds (found by QA, session 14): one rater's NaN (pandas writes a
missing value so) made the item's gold NaN, and every mean-based metric of the whole run (MAE,
Pearson, the human ceiling, alpha) was skipped as "no items to compute it on", exit 0; a null rater
was a TypeError naming no column; ``true`` counted as a rating of 1; ratings on another scale than
the spec's (gold 10 after dividing by 4) were scored without a word. Now a null/NaN rating is a
missing rater, a rating that is not a number is refused naming the id and column, and gold outside
[-1, 1] is warned about. (Session 23: a NaN rating is refused too, not left out without a word:
tests/evals/test_nan_ratings.py.)"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from linernotes.evals.gold import check_gold_values, load_gold
from linernotes.evals.spec import SpecError, load_spec
from tests.conftest import run_liner_in_process


def _world(tmp_path: Path, third: str) -> tuple[Path, Path]:
    """12 items rated on -4..4; the third item's ratings cell is the raw JSON ``third``."""
    lines = [json.dumps({"id": f"v{n}", "text": f"a {'fine' if n % 2 else 'bad'} day {n}", "src": f"s{n % 6}",
                         "ratings": [n % 5 - 2, n % 3 - 1]}) for n in range(12)]
    lines[2] = lines[2].replace('"ratings": [0, 1]', f'"ratings": {third}')
    data = tmp_path / "g.jsonl"
    data.write_text("\n".join(lines) + "\n", encoding="utf-8")
    spec = tmp_path / "v.yaml"
    spec.write_text(f"name: v\ndata: {data}\ngroup_field: src\ninputs: {{description: text}}\n"
                    "tasks: [{name: valence, kind: valence, gold_field: ratings, scale: 4}]\n", encoding="utf-8")
    return spec, data


@pytest.mark.parametrize("third", ["[2, null, 4]"])  # a NaN is refused: tests/evals/test_nan_ratings.py
def test_a_missing_rater_is_left_out_not_the_runs_metrics(tmp_path: Path, third: str) -> None:
    spec, data = _world(tmp_path, third)
    gold = {it.id: it.gold for it in load_gold(load_spec(spec), data).items}
    assert gold["v2"] == {"valence": 0.75, "valence_ratings": [0.5, 1.0]}
    r = run_liner_in_process(["eval", spec, "-o", tmp_path / "run.json", "--llm", "never", "--fusion", "none",
                              "--resamples", "0", "--no-progress"])
    assert r.returncode == 0, r.stderr
    metrics = json.loads((tmp_path / "run.json").read_text())["metrics"]
    for name in ("valence.mae", "valence.pearson", "valence.human_mae", "valence.raters_alpha"):
        assert metrics[name]["value"] is not None and metrics[name]["n"] == 12, name


@pytest.mark.parametrize(("third", "said"), [('"abc"', 'a rating is "abc", not a number'),
                                             ("[1, true]", "a rating is true, not a number"),
                                             ('[1, {"a": 1}]', 'a rating is {"a": 1}, not a number'),
                                             ("[1, Infinity]", ":3: ratings.1: a rating is inf, not a finite number")])
def test_a_rating_that_is_not_a_number_is_refused_naming_id_and_column(tmp_path: Path, third: str, said: str) -> None:
    spec, data = _world(tmp_path, third)
    with pytest.raises(SpecError) as e:
        load_gold(load_spec(spec), data)
    # JSON's Infinity is named at its line by the JSONL check; the others by id once read
    where = f"{data}" if said.startswith(":") else f"{data}: id 'v2': ratings: "
    assert str(e.value).startswith(where + said), str(e.value)


def test_gold_outside_the_scale_is_warned_about(tmp_path: Path) -> None:
    spec, data = _world(tmp_path, "[40, 40]")
    (message,) = check_gold_values(load_spec(spec), load_gold(load_spec(spec), data).items)
    assert message.startswith("gold of task valence on 1 items is outside [-1, 1] after dividing the ratings by the "
                              "spec's scale 4, e.g. 'v2': 10;")
    assert check_gold_values(load_spec(spec), load_gold(load_spec(_world(tmp_path, "[4, 4]")[0]), data).items) == []
