"""Eval, fit and gate inputs that are not regular files (a FIFO, /dev/zero) are refused before they
are opened, exit 2 naming the path and what it is (found by QA qa-fit16): ``liner gate /dev/zero
RUN`` died of MemoryError with exit 1, a regression's code to a CI job; a FIFO as a gate record,
a ``fit --run`` record, a gold spec or ``--data`` blocked in open() for good (SIGTERM could not end
it); ``eval -o /dev/zero`` read the device to see whether it was a run record. The kind
``linernotes.files.require_regular`` fixed for catalogs, outputs, --fusion and --config."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from tests.evals.vader_slice import vader_spec
from tests.reliability.test_special_files import _liner

pytestmark = pytest.mark.slow  # real processes, ~8 s of imports each


def _run(args: list, tmp: Path) -> subprocess.CompletedProcess:
    try:
        return _liner(args, tmp, timeout=90)
    except subprocess.TimeoutExpired:
        pytest.fail(f"liner {' '.join(map(str, args))} did not return: it blocked on a special file")


@pytest.mark.parametrize("kind", ["fifo", "dev-zero"])
def test_a_special_gate_record_exits_2(tmp_path: Path, kind: str) -> None:
    special = tmp_path / "base.json"
    os.mkfifo(special) if kind == "fifo" else special.symlink_to("/dev/zero")
    what = "a FIFO (named pipe)" if kind == "fifo" else "a character device"
    r = _run(["gate", special, tmp_path / "cand.json"], tmp_path)
    assert r.returncode == 2, r.stderr[-2000:]
    assert f"liner: error: {special}: is {what}, not a regular file: a run record is a JSON file" in r.stderr


@pytest.mark.parametrize(("role", "reason"), [
    ("spec", "a gold spec is a YAML file"), ("data", "a gold set is a file or a datasets folder"),
    ("run", "a run record is a JSON file")])
def test_a_fifo_as_spec_gold_or_fit_run_exits_2_and_leaves_nothing(tmp_path: Path, shared_data: Path, role: str,
                                                                   reason: str) -> None:
    spec = vader_spec(tmp_path, shared_data, 6)
    fifo = tmp_path / ("s.yaml" if role == "spec" else "g.jsonl" if role == "data" else "run.json")
    os.mkfifo(fifo)
    args = {"spec": ["eval", fifo, "-o", tmp_path / "out.json"],
            "data": ["eval", spec, "--data", fifo, "-o", tmp_path / "out.json"],
            "run": ["fit", spec, "--run", fifo, "-o", tmp_path / "fit"]}[role]
    r = _run([*args, "--llm", "never"] if args[0] == "eval" else args, tmp_path)
    assert r.returncode == 2, r.stderr[-2000:]
    assert f"liner: error: {fifo}: is a FIFO (named pipe), not a regular file: {reason}" in r.stderr, r.stderr
    assert not any((tmp_path / n).exists() for n in ("out.json", "out.json.d", "fit"))
