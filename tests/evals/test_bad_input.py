"""Bad input on the eval paths names file, line and reason (exit 2): gold specs, gold files."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from linernotes.evals.spec import SpecError, load_spec

SPEC = """name: t
data: gold.jsonl
inputs:
  title: title
tasks:
  - name: genres
    kind: multilabel
    gold_field: genres
"""


def _spec(tmp_path: Path, text: str = SPEC) -> Path:
    p = tmp_path / "spec.yaml"
    p.write_text(text, encoding="utf-8")
    return p


@pytest.mark.parametrize(("text", "where"), [
    # a misspelt key is reported where it is written, with the key it was meant to be
    (SPEC.replace("gold_field: genres", "gold_feild: genres"),
     r"spec.yaml:8: tasks\[0\]\.gold_feild: unknown key \(did you mean gold_field\?\)"),
    # a missing key is reported at the mapping that lacks it
    (SPEC.replace("    gold_field: genres\n", ""), r"spec.yaml:6: tasks\[0\]\.gold_field: required key is missing"),
    (SPEC.replace("kind: multilabel", "kind: multilable"), r"spec.yaml:7: tasks\[0\]\.kind: Input should be"),
    (SPEC.replace("  title: title", "  titel: title"), r"spec.yaml:4: inputs\.titel: .*not Item fields"),
    (SPEC + "group_field: genres\n", r"spec.yaml:9: group_field: .*cannot be a gold column"),
    (SPEC.replace("data: gold.jsonl\n", ""), r"spec.yaml:1: data: required key is missing"),
    ("name: t\ntasks: [\n", r"spec.yaml:3: not valid YAML"),
    ("- name: t\n", r"spec.yaml:1: .*expected a mapping .* got a list"),
])
def test_a_bad_gold_spec_names_its_line_and_key(tmp_path, text, where):
    with pytest.raises(SpecError, match=where):
        load_spec(_spec(tmp_path, text))


def test_cli_exits_2_on_a_bad_spec(tmp_path):
    from typer.testing import CliRunner

    from linernotes.cli.app import app

    spec = _spec(tmp_path, SPEC.replace("gold_field: genres", "gold_feild: genres"))
    r = CliRunner().invoke(app, ["eval", str(spec), "--data", str(tmp_path / "gold.jsonl"), "-o", str(tmp_path / "x.json")])
    assert r.exit_code == 2, r.output
    assert "spec.yaml:8: tasks[0].gold_feild: unknown key" in " ".join(r.output.split())


def _gold(tmp_path: Path, lines: list[str]) -> Path:
    p = tmp_path / "gold.jsonl"
    p.write_text("".join(line + "\n" for line in lines), encoding="utf-8")
    return p


GOOD = json.dumps({"id": "a", "title": "A", "genres": ["rock"]})


def _load(tmp_path: Path, lines: list[str]):
    from linernotes.evals.gold import load_gold

    return load_gold(load_spec(_spec(tmp_path)), _gold(tmp_path, lines))


@pytest.mark.parametrize(("lines", "where"), [
    # a line cut short (the new user's file): datasets said "position 23"
    ([GOOD, '{"id": "b", "title": "B", "genres": ["ro', GOOD.replace('"a"', '"c"')],
     r"gold.jsonl:2: not JSON \(invalid JSON: .* at column \d+\)"),
    ([GOOD, "", "not json at all"], r"gold.jsonl:3: not JSON"),
    ([GOOD, '["b", "B"]'], r"gold.jsonl:2: not a JSON object \(got an array\)"),
    ([GOOD, "17"], r"gold.jsonl:2: not a JSON object \(got a number\)"),
    ([GOOD, json.dumps({"title": "B", "genres": ["pop"]})], r"gold.jsonl:2: no 'id'"),
    ([GOOD, json.dumps({"id": " ", "title": "B", "genres": ["pop"]})], r"gold.jsonl:2: no 'id'"),
    ([GOOD, json.dumps({"id": "b", "title": "B", "genre": ["pop"]})],
     r"gold.jsonl:2: none of the gold columns \['genres'\]"),
    ([], r"gold.jsonl: empty gold file"),
    (["", "  "], r"gold.jsonl: empty gold file"),
    ([GOOD, json.dumps({"id": "b", "genres": ["pop"]}), GOOD],
     r"gold.jsonl:3: id 'a' repeats line 1; a gold set needs one row per id"),
])
def test_a_bad_gold_line_is_named_by_file_and_line(tmp_path, lines, where):
    with pytest.raises(SpecError, match=where):
        _load(tmp_path, lines)


def test_a_good_gold_file_still_loads(tmp_path):
    gold = _load(tmp_path, ["", GOOD, json.dumps({"id": "b", "title": "B", "genres": None})])
    assert [i.id for i in gold.items] == ["a", "b"]
    assert gold.items[0].gold["genres"] == ["rock"] and "genres" not in gold.items[1].gold


def test_a_cut_json_document_names_its_line(tmp_path):
    from linernotes.evals.gold import load_gold

    p = tmp_path / "gold.json"
    p.write_text('[\n {"id": "a", "title": "A", "genres": ["rock"]},\n {"id": "b", "genres": [\n', encoding="utf-8")
    with pytest.raises(SpecError, match=r"gold.json:4: not JSON \("):
        load_gold(load_spec(_spec(tmp_path)), p)


def test_a_csv_row_without_id_is_named_by_row(tmp_path):
    from linernotes.evals.gold import load_gold

    p = tmp_path / "gold.csv"
    p.write_text("id,title,genres\na,A,rock\n,B,pop\n", encoding="utf-8")
    with pytest.raises(SpecError, match=r"gold.csv: row 2: no 'id'"):
        load_gold(load_spec(_spec(tmp_path)), p)


def test_a_repeated_id_in_a_csv_gold_set_names_both_rows(tmp_path):
    from linernotes.evals.gold import load_gold

    p = tmp_path / "gold.csv"
    p.write_text("id,title,genres\na,A,rock\nb,B,pop\na,A2,jazz\n", encoding="utf-8")
    with pytest.raises(SpecError, match=r"gold.csv: row 3: id 'a' repeats row 1; a gold set needs one row per id"):
        load_gold(load_spec(_spec(tmp_path)), p)


def test_cli_exits_2_naming_the_cut_line(tmp_path):
    from typer.testing import CliRunner

    from linernotes.cli.app import app

    data = _gold(tmp_path, [GOOD, '{"id": "b", "title": "B", "genres": ["ro'])
    r = CliRunner().invoke(app, ["eval", str(_spec(tmp_path)), "--data", str(data), "-o", str(tmp_path / "x.json"),
                                 "--no-progress"])
    assert r.exit_code == 2, r.output
    out = " ".join(r.output.split())
    assert "gold.jsonl:2: not JSON (" in out and "datasets could not load" not in out
