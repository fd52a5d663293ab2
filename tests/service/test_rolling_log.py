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


def test_each_record_is_logged_when_its_item_is_done_not_when_its_whole_batch_is(tmp_path):
    """QA: a batch's records reached --log-dir only once every item of it was done, so a service
    killed (OOM, SIGKILL, a node lost) while one slow item held its batch lost the others' answers,
    paid for, from the log; a record is logged as its item ends now, and counted in the metrics."""
    import asyncio
    import threading
    import time

    import httpx

    from linernotes.config import TagConfig
    from linernotes.service.app import ServiceOptions, create_app
    from linernotes.service.server import BackgroundService

    release = threading.Event()

    class HeldEnricher:  # a TEST DOUBLE: answers at once, except the item 'held' until released
        runtime = None

        async def enrich(self, row):
            while row.item.id == "held" and not release.is_set():
                await asyncio.sleep(0.02)
            return _rec(row.item.id)

        def close(self) -> None:
            pass

    logs = tmp_path / "logs"
    app = create_app(TagConfig(), ServiceOptions(log_dir=logs), enricher=HeldEnricher())
    with BackgroundService(app) as svc:
        answer: list[httpx.Response] = []
        sender = threading.Thread(target=lambda: answer.append(httpx.post(
            svc.base_url + "/v1/enrich", json={"items": [{"id": "quick-1"}, {"id": "held"}, {"id": "quick-2"}]},
            timeout=30)))
        sender.start()
        deadline, logged = time.monotonic() + 10, []
        while time.monotonic() < deadline and len(logged) < 2:
            time.sleep(0.05)
            logged = [line for f in logs.glob("*.jsonl") for line in f.read_text().splitlines()]
        metrics = httpx.get(svc.base_url + "/metrics").text
        release.set()
        sender.join(30)
    assert sorted(OutputRecord.model_validate_json(x).id for x in logged) == ["quick-1", "quick-2"]
    assert 'liner_items_total{status="error"} 2.0' in metrics  # the test double's records are errors
    assert [r["id"] for r in answer[0].json()["records"]] == ["quick-1", "held", "quick-2"]
    assert sorted(load_output(logs).table.column("id").to_pylist()) == ["held", "quick-1", "quick-2"]
