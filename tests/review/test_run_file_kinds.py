"""``liner review build`` with a run or gold path that is not a readable file (found by QA):
a run record (.json) that is not UTF-8 was a UnicodeDecodeError traceback (exit 1), a FIFO named
``.json`` blocked the build for good, and a FIFO gold or tag output read 'not found'. Each is now
exit 2 with one line naming the path and why; a good run still builds."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.review.conftest import make_prediction, vader_row

GOLD = [vader_row("a", [1, 2, 1, 2], "fine"), vader_row("b", [0, 1, 0, 1], "ok")]


def _build(tmp: Path, *args: str | Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "linernotes.cli.app", "review", "build", "-o", str(tmp / "s.sqlite"),
                           *map(str, args)], capture_output=True, text=True, timeout=120)


@pytest.fixture
def gold(tmp_path: Path) -> Path:
    path = tmp_path / "gold.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in GOLD), encoding="utf-8")
    return path


def _fifo(path: Path) -> Path:
    os.mkfifo(path)
    return path


@pytest.mark.parametrize(("make", "flag", "expect"), [
    (lambda t: (t / "run.json").write_bytes(b'{"items": [\xff]}') and t / "run.json", "--run",
     "run.json: not a JSON run record (not UTF-8 text: byte 11)"),
    (lambda t: (t / "run.json").write_bytes(b'\xfe\xff{}') and t / "run.json", "--run", "not UTF-8 text: byte 0"),
    (lambda t: _fifo(t / "run.json"), "--run", "run.json: is a FIFO (named pipe), not a regular file"),
    (lambda t: _fifo(t / "out.jsonl"), "--run", "out.jsonl: is a FIFO (named pipe), not a regular file"),
    (lambda t: Path("/dev/zero"), "--run", "/dev/zero: is a character device, not a regular file"),
    (lambda t: _fifo(t / "g2.jsonl"), "--gold", "g2.jsonl: is a FIFO (named pipe), not a regular file"),
])
def test_a_path_that_is_no_readable_file_is_exit_2_naming_it(tmp_path: Path, gold: Path, make, flag, expect) -> None:
    path = make(tmp_path)
    args = [flag, path] if flag == "--gold" else [flag, path, "--gold", gold]
    r = _build(tmp_path, *args)
    assert r.returncode == 2, r.stdout + r.stderr
    assert expect in r.stderr and "Traceback" not in r.stderr, r.stderr


def test_a_good_run_record_still_builds(tmp_path: Path, gold: Path) -> None:
    record = {"items": [{"id": "a", "inputs": {"text": "fine"}, "gold": {"valence": 0.4},
                         "prediction": make_prediction(-0.5, conf=0.2)}]}
    (tmp_path / "run.json").write_text(json.dumps(record), encoding="utf-8")
    r = _build(tmp_path, "--run", tmp_path / "run.json", "--gold", gold)
    assert r.returncode == 0, r.stderr
