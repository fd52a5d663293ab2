"""The service's rolling log after a kill: QA found that a restarted service appended to a log
file whose last line the kill had cut, so its first new record was glued onto that partial line and
both read as one 'not JSON' line: the new record was lost to ``liner monitor`` and ``liner export``."""

from __future__ import annotations

from datetime import UTC, datetime

from linernotes.monitor.load import load_output
from linernotes.schema import ErrorInfo, OutputRecord
from linernotes.service.rolling_log import RollingLog


def _rec(i: str) -> OutputRecord:
    return OutputRecord(id=i, status="error", error=ErrorInfo(kind="llm.timeout", message="slow"))


def test_a_restart_after_a_cut_line_starts_a_new_file_and_loses_no_record(tmp_path):
    day = datetime.now(UTC).strftime("%Y-%m-%d")
    killed = tmp_path / f"records-{day}.0001.jsonl"
    killed.write_text(_rec("before").model_dump_json() + "\n" + _rec("cut").model_dump_json()[:30])
    log = RollingLog(tmp_path)
    log.write(_rec("after-1"))
    log.write(_rec("after-2"))
    log.close()
    loaded = load_output(tmp_path)
    assert sorted(loaded.table.column("id").to_pylist()) == ["after-1", "after-2", "before"]
    assert [(p.file, p.line) for p in loaded.problems] == [(str(killed), 2)]  # the cut line alone is named
    assert (tmp_path / f"records-{day}.0002.jsonl").read_text().count("\n") == 2


def test_a_restart_after_a_clean_stop_appends_to_the_latest_file(tmp_path):
    day = datetime.now(UTC).strftime("%Y-%m-%d")
    latest = tmp_path / f"records-{day}.0003.jsonl"
    latest.write_text(_rec("before").model_dump_json() + "\n")
    log = RollingLog(tmp_path)
    log.write(_rec("after"))
    log.close()
    assert latest.read_text().count("\n") == 2 and len(list(tmp_path.iterdir())) == 1


def test_a_log_file_deleted_or_moved_while_the_service_runs_is_started_again(tmp_path):
    """QA: the active log file removed by hand (or a cleanup job) while liner serve ran: every
    later record was appended to the deleted file, lost until the next UTC day, and no write
    failed. A file moved away (rotated by logrotate, archived) kept receiving records likewise,
    outside the log folder. A new file is started in the folder instead."""
    log = RollingLog(tmp_path)
    log.write(_rec("first"))
    log.path.unlink()
    log.write(_rec("after-delete"))
    archive = tmp_path.parent / "archive.jsonl"
    log.path.rename(archive)
    log.write(_rec("after-move"))
    log.close()
    assert load_output(tmp_path).table.column("id").to_pylist() == ["after-move"]
    # the record written after the delete went to a new file in the folder, the one then moved away
    assert load_output(archive).table.column("id").to_pylist() == ["after-delete"]
