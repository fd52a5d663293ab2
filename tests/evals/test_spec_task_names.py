"""Task names a gold spec cannot use (found by QA, session 14): two tasks named alike scored as one
(the second overwrote the first's gold, exit 0); a task named ``run`` put ``run.mae`` among the
run-wide metrics, where the gate read its rules as run metrics. Both are refused at the task's
line. A multilabel task's unknown taxonomy is named with the spec file and key (it said "no
shipped taxonomy named 'x'" alone)."""

from __future__ import annotations

from pathlib import Path

import pytest

from linernotes.evals.spec import SpecError, load_spec, parse_spec, shipped_specs
from tests.conftest import run_liner_in_process

HEAD = "name: v\ndata: v.jsonl\ninputs: {description: text}\ntasks:\n"


@pytest.mark.parametrize(("tasks", "said"), [
    ("  - {name: valence, kind: valence, gold_field: ratings}\n  - {name: valence, kind: valence, gold_field: mean}\n",
     "s.yaml:6: tasks[1].name: spec v: task name 'valence' is used twice (tasks[0] and tasks[1])"),
    ("  - name: run\n    kind: valence\n    gold_field: ratings\n",
     "s.yaml:5: tasks[0].name: spec v: task name 'run' is a metric namespace (run, rationale, baseline)"),
    ("  - {name: baseline, kind: valence, gold_field: ratings}\n", "s.yaml:5: tasks[0].name: spec v: task name "
     "'baseline' is a metric namespace"),
])
def test_a_task_name_that_would_mix_metrics_is_refused_at_its_line(tasks: str, said: str) -> None:
    with pytest.raises(SpecError) as e:
        parse_spec(HEAD + tasks, "s.yaml")
    assert str(e.value).startswith(said), str(e.value)


def test_the_shipped_specs_still_load() -> None:
    for name in shipped_specs():
        assert load_spec(name).tasks


def test_an_unknown_taxonomy_names_the_spec_and_key(tmp_path: Path) -> None:
    (tmp_path / "g.jsonl").write_text('{"id": "a", "title": "x", "g": ["techno"]}\n', encoding="utf-8")
    spec = tmp_path / "s.yaml"
    spec.write_text(f"name: s\ndata: {tmp_path / 'g.jsonl'}\ninputs: {{title: title}}\n"
                    "tasks: [{name: genres, kind: multilabel, gold_field: g, taxonomy: nosuchtax}]\n", encoding="utf-8")
    r = run_liner_in_process(["eval", spec, "-o", tmp_path / "run.json", "--llm", "never", "--resamples", "0"])
    assert r.returncode == 2, r.stdout
    assert f"{spec.resolve()}: tasks[0].taxonomy: no shipped taxonomy named 'nosuchtax'" in r.stderr, r.stderr
