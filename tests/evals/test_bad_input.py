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
