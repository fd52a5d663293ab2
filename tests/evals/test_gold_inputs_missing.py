"""An input column no gold row has (found by QA, session 14): ``inputs: {description: txt}`` for a
file whose column is ``text`` ran the whole eval on items with nothing but their type, exit 0,
with no word; every score was that of empty items. Now a spec none of whose input columns is in
the data is refused (exit 2, naming the file, the spec and each input), and a spec missing some of
them is warned about (a gold set may rightly lack a field, e.g. no ``year``)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from linernotes.evals.gold import load_gold
from linernotes.evals.spec import SpecError, load_spec
from tests.conftest import run_liner_in_process


def _world(tmp_path: Path, inputs: str) -> Path:
    data = tmp_path / "g.jsonl"
    data.write_text("".join(json.dumps({"id": f"i{n}", "text": f"a fine day {n}", "src": f"s{n % 3}",
                                        "ratings": [n % 3 - 1, 1]}) + "\n" for n in range(12)), encoding="utf-8")
    spec = tmp_path / "g.yaml"
    spec.write_text(f"name: g\ndata: g.jsonl\ngroup_field: src\ninputs:\n{inputs}tasks:\n"
                    "  - name: valence\n    kind: valence\n    gold_field: ratings\n    scale: 4\n", encoding="utf-8")
    return spec


def test_no_input_column_in_the_data_is_refused(tmp_path: Path) -> None:
    spec = _world(tmp_path, "  description: txt\n")
    with pytest.raises(SpecError) as e:
        load_gold(load_spec(spec), tmp_path / "g.jsonl")
    assert str(e.value) == (f"{tmp_path / 'g.jsonl'}: none of the input columns of spec g ({spec.resolve()}) is in "
                            "it (inputs.description: txt); the tagger would see nothing. Its columns: id, text, src, "
                            "ratings")
    r = run_liner_in_process(["eval", spec, "-o", tmp_path / "run.json", "--llm", "never", "--resamples", "0"])
    assert r.returncode == 2, r.stdout
    assert "none of the input columns of spec g" in r.stderr and "Traceback" not in r.stderr
    assert not (tmp_path / "run.json").exists()


def test_some_input_columns_missing_are_warned_about(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    spec = _world(tmp_path, "  description: text\n  title: titel\n")
    gold = load_gold(load_spec(spec), tmp_path / "g.jsonl")
    assert gold.missing_inputs == {"title": "titel"}
    assert all(it.inputs == {"description": it.inputs["description"]} for it in gold.items)
    r = run_liner_in_process(["eval", spec, "-o", tmp_path / "run.json", "--llm", "never", "--resamples", "0"])
    assert r.returncode == 0, r.stderr
    assert (f"{tmp_path / 'g.jsonl'}: no row has the input column(s) 'titel' (inputs.title) of spec g: the tagger "
            "never sees them") in caplog.text, caplog.text


def test_a_spec_with_no_inputs_is_refused_at_its_line(tmp_path: Path) -> None:
    spec = _world(tmp_path, "")
    spec.write_text(spec.read_text(encoding="utf-8").replace("inputs:\n", "inputs: {}\n"), encoding="utf-8")
    with pytest.raises(SpecError, match=r"g.yaml:4: inputs: spec g: inputs names no column; the tagger would see "
                                        r"nothing"):
        load_spec(spec)


def test_rows_of_other_item_types_are_warned_about(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    """A new user's gold set from ``liner review export`` of a mixed catalog keeps its ``type``
    column; a spec tags every item as its ``item_type`` (``inputs`` cannot map ``type``), so
    podcast episodes were tagged as tracks, music genres and all, without a word."""
    spec = _world(tmp_path, "  description: text\n")
    data = tmp_path / "g.jsonl"
    rows = [json.loads(line) for line in data.read_text(encoding="utf-8").splitlines()]
    for n, r in enumerate(rows):
        r["type"] = ["track", "Episode", "chapter", "episode"][n % 4]
    data.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    gold = load_gold(load_spec(spec), data)
    assert gold.other_types == {"chapter": 3, "episode": 6}
    r = run_liner_in_process(["eval", spec, "-o", tmp_path / "run.json", "--llm", "never", "--resamples", "0"])
    assert r.returncode == 0, r.stderr
    assert (f"{data}: the 'type' column gives 3 chapter, 6 episode, but spec g tags every item as track (its "
            "item_type)") in caplog.text, caplog.text
