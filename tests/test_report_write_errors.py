"""A report that cannot be written names its file (QA newuser22: ``liner gate --report /dev/full``
said 'cannot write report: [Errno 28] No space left on device', no file: a full disk's error
comes from the write, which names none)."""

from __future__ import annotations

import errno
from pathlib import Path

import pytest

from linernotes.evals.scoring import score_record
from linernotes.evals.synthetic import synthetic_record
from linernotes.files import write_output_text

FULL = Path("/dev/full")
pytestmark = pytest.mark.skipif(not FULL.exists(), reason="needs /dev/full (Linux)")


def test_a_write_error_names_the_file() -> None:
    with pytest.raises(OSError) as e:
        write_output_text(FULL, "x" * 10_000, OSError)
    assert (e.value.errno, e.value.filename) == (errno.ENOSPC, str(FULL))


def test_liner_gate_names_the_report_it_could_not_write(tmp_path: Path, liner_in_process) -> None:
    score_record(synthetic_record(20, seed=1), resamples=50).save(tmp_path / "base.json")
    for flag in ("--report", "--html"):
        r = liner_in_process(["gate", tmp_path / "base.json", tmp_path / "base.json", flag, FULL])
        assert r.returncode == 2 and "No space left on device: '/dev/full'" in r.stderr, r.stderr
