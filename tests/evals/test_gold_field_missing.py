"""A task no gold item has a value for (found by QA, session 13): a gold_field typo ('pacee', next to
tasks whose columns exist) left the task unscored, no metric at all, exit 0, with no word; a gate
rule on it then read 'baseline lacks this metric'. Now eval warns naming the file, the column and
the task (a slice of a multi-set gold may rightly hold no item of a task, so it is not refused)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.conftest import run_liner_in_process


def test_a_task_without_any_gold_is_warned_about(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    data = tmp_path / "g.jsonl"
    data.write_text("".join(json.dumps({"id": f"i{n}", "type": "track", "title": "t", "energy": n}) + "\n"
                            for n in range(3)), encoding="utf-8")
    (tmp_path / "s.yaml").write_text("- name: energy\n  kind: scalar\n  range: [0, 10]\n  instructions: x\n"
                                     "- name: pace\n  kind: scalar\n  range: [0, 10]\n  instructions: y\n",
                                     encoding="utf-8")
    (tmp_path / "g.yaml").write_text(
        "name: g\ndata: g.jsonl\nid_field: id\ninputs:\n  title: title\ntasks:\n"
        "  - name: energy\n    kind: scalar\n    gold_field: energy\n    signal: energy\n"
        "  - name: pace\n    kind: scalar\n    gold_field: pacee\n    signal: pace\n", encoding="utf-8")
    r = run_liner_in_process(["eval", tmp_path / "g.yaml", "-o", tmp_path / "run.json", "--signals",
                              tmp_path / "s.yaml", "--llm", "never", "--resamples", "50"])
    assert r.returncode == 0, r.stderr
    assert (f"{data}: no item has a value in column 'pacee' (the gold_field of task pace): the task is not scored"
            in caplog.text), caplog.text
    assert "column 'energy'" not in caplog.text
