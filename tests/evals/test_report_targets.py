"""A report path that is one of the command's own files (found by QA, session 14): ``liner gate
base.json cand.json --report base.json`` replaced the baseline record with markdown, exit 0 (the
next gate: "not a run record"); ``liner eval -o run.json --report run.json`` replaced the record
it had just written. Now --report/--html naming the command's inputs or outputs, an existing run
record or a folder is refused before anything runs (exit 2) and the file is untouched."""

from __future__ import annotations

from pathlib import Path

import pytest

from linernotes.evals.record import ItemResult, RunRecord
from linernotes.evals.scoring import score_record
from tests.conftest import run_liner_in_process
from tests.evals.vader_slice import vader_spec


def _record(path: Path) -> Path:
    items = [ItemResult(id=f"v{n}", group=f"g{n % 6}", gold={"valence": 0.1 * (n % 10) - 0.5},
                        prediction={"valence": 0.0, "confidence": {"valence": 0.5}, "provenance": {}})
             for n in range(24)]
    tasks = [{"name": "valence", "kind": "valence", "gold_field": "mean", "scale": 1.0}]
    score_record(RunRecord(spec="t", gold_fingerprint="f", tasks=tasks, items=items), resamples=0).save(path)
    return path


@pytest.mark.parametrize(("option", "target", "said"), [
    ("--report", "base.json", "is this command's BASELINE; the report would replace it"),
    ("--html", "cand.json", "is this command's CANDIDATE; the report would replace it"),
    ("--report", "other.json", "is a run record; the report would replace it"),
    ("--report", "gates.yaml", "is this command's --config; the report would replace it"),
    ("--html", ".", "is a folder; a report is a file"),
])
def test_gate_never_writes_a_report_over_its_own_files(tmp_path: Path, option: str, target: str, said: str) -> None:
    base, cand, other = _record(tmp_path / "base.json"), _record(tmp_path / "cand.json"), _record(tmp_path / "other.json")
    (tmp_path / "gates.yaml").write_text("rules:\n  - metric: valence.mae\n", encoding="utf-8")
    before = {p: p.read_bytes() for p in (base, cand, other, tmp_path / "gates.yaml")}
    r = run_liner_in_process(["gate", base, cand, "--config", tmp_path / "gates.yaml", option, tmp_path / target])
    assert r.returncode == 2, r.stdout
    assert f"{option} {tmp_path / target}: {said}" in r.stderr
    assert {p: p.read_bytes() for p in before} == before
    ok = run_liner_in_process(["gate", base, cand, "--config", tmp_path / "gates.yaml", option, tmp_path / "g.out"])
    assert ok.returncode == 0 and (tmp_path / "g.out").stat().st_size > 0, ok.stderr


def test_eval_never_writes_a_report_over_its_record_or_spec(tmp_path: Path, shared_data: Path) -> None:
    spec = vader_spec(tmp_path, shared_data, 20)
    args = ["eval", spec, "-o", tmp_path / "run.json", "--llm", "never", "--fusion", "none", "--resamples", "0",
            "--no-progress"]
    for option, target, said in (("--report", "run.json", "is this command's -o"),
                                 ("--html", "v.yaml", "is this command's spec")):
        r = run_liner_in_process([*args, option, tmp_path / target])
        assert r.returncode == 2 and f"{option} {tmp_path / target}: {said}; the report would replace it" in r.stderr
    assert not (tmp_path / "run.json").exists() and spec.read_text(encoding="utf-8").startswith("name: v")
