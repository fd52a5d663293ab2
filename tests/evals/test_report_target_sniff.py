"""A report target (``liner gate/eval --report PATH``, ``liner eval -o PATH``) is checked for being
a run record before it is replaced; the check read the whole file into memory, so a large file
given by mistake (a disk image, a data dump) was read whole first (300 MB of it here: over 600 MB
of memory, bytes and text). Now a file whose first bytes are not a JSON object is not read further.
The test caps this process's address space so a regression fails with MemoryError."""

from __future__ import annotations

from pathlib import Path

import pytest

from linernotes.evals.record import check_report_targets, is_run_record
from tests.conftest import address_space_capped

pytestmark = pytest.mark.timeout(60)
REPO = Path(__file__).resolve().parents[2]


@pytest.fixture
def memory_cap():
    with address_space_capped(200 << 20):
        yield


def test_a_large_file_that_is_no_json_object_is_not_read_whole(tmp_path, memory_cap):
    big = tmp_path / "report.md"
    with open(big, "wb") as fh:
        fh.truncate(300 << 20)  # sparse: no disk spent
    assert is_run_record(big) is False
    check_report_targets({"--report": big}, {})  # not a record, not an input: may be replaced


def test_run_records_are_still_recognised(tmp_path):
    record = REPO / "evals" / "baselines" / "ci-slice.json"
    assert is_run_record(record)
    (tmp_path / "spaced.json").write_text("\n  " + record.read_text())
    assert is_run_record(tmp_path / "spaced.json")
    (tmp_path / "notes.md").write_text("# notes\n")
    (tmp_path / "list.json").write_text("[1, 2]\n")
    assert not is_run_record(tmp_path / "notes.md") and not is_run_record(tmp_path / "list.json")
    with pytest.raises(ValueError, match="is a run record; the report would replace it"):
        check_report_targets({"--report": tmp_path / "spaced.json"}, {})
