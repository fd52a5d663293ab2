"""A worker's records go back to the run in few messages (``run.outbox``): the records done a few
ms apart, in different turns of the worker's event loop, as one message, not one each."""

from __future__ import annotations

import asyncio
import gc
import os
import queue
import threading

from linernotes.run import outbox as outbox_module
from linernotes.run import parallel
from linernotes.run.outbox import Outbox


class TwoRecords:
    """Test double for the worker's Enricher: a batch's two items finish 1 ms apart, in different
    turns of the event loop."""

    def __init__(self, config: object) -> None:
        self.runtime = None

    def set_call_window(self, calls: int | None) -> None:
        pass

    async def enrich_many(self, rows, on_record=None):
        on_record(0, f"record of {rows[0]}")
        await asyncio.sleep(0.001)
        on_record(1, f"record of {rows[1]}")
        return [f"record of {r}" for r in rows]


def test_a_workers_records_done_a_millisecond_apart_go_back_as_one_message(monkeypatch) -> None:
    monkeypatch.setattr(parallel, "Enricher", TwoRecords)
    monkeypatch.setattr(parallel, "pace_for_good", lambda: None)  # this test process's GC stays as it is
    monkeypatch.setattr(gc, "freeze", lambda: None)
    monkeypatch.setattr(outbox_module, "RECORDS_WAIT_S", 0.2)  # far above the 1 ms, on a loaded box too
    tasks: queue.Queue = queue.Queue()
    results: queue.Queue = queue.Queue()
    worker = threading.Thread(target=parallel._serve, args=(None, dict(os.environ), tasks, results, 0, False),
                              daemon=True)
    worker.start()
    assert results.get(timeout=10)[0] == "ready"
    tasks.put(("batch", 7, ["a", "b"]))
    first = results.get(timeout=10)  # before: the first record alone, at the loop's next turn
    tasks.put(None)
    worker.join(10)
    assert first == ("records", None, [(7, 0, "record of a"), (7, 1, "record of b")])
    assert results.empty()


def test_an_outbox_sends_nothing_when_nothing_waits_and_each_record_once() -> None:
    sent: list = []

    async def run() -> None:
        box = Outbox(asyncio.get_running_loop(), sent.append, wait_s=0.01)
        box.flush()
        box.add(1, 0, "x")
        box.flush()  # at once, and its timer with it
        await asyncio.sleep(0.03)
        box.add(1, 1, "y")
        await asyncio.sleep(0.03)

    asyncio.run(run())
    assert sent == [("records", None, [(1, 0, "x")]), ("records", None, [(1, 1, "y")])]
