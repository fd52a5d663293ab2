"""A CSV gold file with a row that is not a row (found by QA, session 14): a row with extra cells
was "datasets could not load it (DatasetGenerationError: An error occurred while generating the
dataset)", no line, no reason; an unclosed quote read the rows after it into one field and the
eval scored 22 of 40 items, exit 0, without a word. Now both are refused naming the line, with the
catalog reader's reasons (exit 2)."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from linernotes.evals.gold import load_gold
from linernotes.evals.spec import SpecError, load_spec
from tests.conftest import run_liner_in_process


def _world(tmp_path: Path, edit) -> tuple[Path, Path]:
    data = tmp_path / "g.csv"
    with open(data, "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(["track_id", "src", "text", "label"])
        for n in range(12):
            w.writerow([f"p{n}", f"s{n % 3}", f"a prompt, number {n}", "insult" if n % 2 else "none"])
    lines = data.read_text(encoding="utf-8").splitlines()
    edit(lines)
    data.write_text("\n".join(lines) + "\n", encoding="utf-8")
    spec = tmp_path / "p.yaml"
    spec.write_text(f"name: p\ndata: {data}\nid_field: track_id\ngroup_field: src\ninputs: {{description: text}}\n"
                    "tasks: [{name: policy, kind: policy, gold_field: label, "
                    "clause_map: {profanity.insult: insult}}]\n", encoding="utf-8")
    return spec, data


@pytest.mark.parametrize(("edit", "said"), [
    (lambda lines: lines.__setitem__(5, lines[5] + ",extra,cells"), ":6: row has 6 fields, header has 4"),
    (lambda lines: lines.__setitem__(4, 'p3,s0,"an unclosed quote,none'),
     ":5-6: row of lines 5-6 has 5 fields, header has 4: a quoted field runs across lines, likely an unclosed '\"' "
     "on line 5"),
])
def test_a_row_that_is_not_a_row_is_refused_naming_its_line(tmp_path: Path, edit, said: str) -> None:
    spec, data = _world(tmp_path, edit)
    with pytest.raises(SpecError) as e:
        load_gold(load_spec(spec), data)
    assert str(e.value).startswith(f"{data}{said}"), str(e.value)
    r = run_liner_in_process(["eval", spec, "-o", tmp_path / "run.json", "--llm", "never", "--fusion", "none",
                              "--resamples", "0", "--no-progress"])
    assert r.returncode == 2 and f"{data}{said}" in r.stderr, r.stderr
    assert not (tmp_path / "run.json").exists()


def test_a_well_formed_csv_gold_loads_every_row(tmp_path: Path) -> None:
    spec, data = _world(tmp_path, lambda lines: None)
    assert len(load_gold(load_spec(spec), data).items) == 12
