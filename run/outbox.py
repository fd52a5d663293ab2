"""A worker's records on their way back to the run (``run.parallel``): the records done within
``RECORDS_WAIT_S`` of the first waiting one go as one message.

Why wait at all: each message is one queue put, one wake-up of the queue's feeder thread here
(which takes the GIL from the worker's event loop to pickle it) and one of the run's reader
thread there (unpickle, then a wake-up of the run's event loop). Sent at the next turn of the
loop, a message held ~2 records on a quiet box at C = 64 (calls finish one by one as the window
hands their slots on) and ~7 under load, where the turns are longer. 2 workers, C = 64, 200 ms
STUB, 2,000 items, 0 ms and 5 ms alternated x3 at load 2.5-3.8 (2026-12-01, session 15): records
per message 4-5 -> 8-11, CPU per item, all processes, 4.22 / 3.99 / 4.07 -> 3.77 / 3.82 / 3.73
ms (the run's process 0.28-0.31 -> 0.23-0.24, each worker ~0.1 less). A record reaches the run
at most ``RECORDS_WAIT_S`` later, which only delays the next items' entry into the run's
window (``run.batching.item_window``: 32 items of headroom at C = 64 for ~1 item of delay).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

RECORDS_WAIT_S = 0.005


class Outbox:
    """``add(*entry)`` as each item is done (a record: ``task_id, position, record``);
    ``put((tag, sender, [entry, ...]))`` once ``wait_s`` (default ``RECORDS_WAIT_S``) after the
    first entry waiting (0: at the loop's next turn), or at ``flush()``. ``tag`` and ``sender``
    (default ``"records"``, None) say what the entries are and whose (``llm.relay``'s calls and
    answers go the same way)."""

    def __init__(self, loop: asyncio.AbstractEventLoop, put: Callable[[Any], None], wait_s: float | None = None,
                 tag: str = "records", sender: Any = None):
        self._loop, self._put = loop, put
        self.wait_s = RECORDS_WAIT_S if wait_s is None else wait_s
        self.tag, self.sender = tag, sender
        self._records: list[tuple[Any, ...]] = []
        self._timer: asyncio.Handle | None = None

    def add(self, *entry: Any) -> None:
        if not self._records:
            self._timer = (self._loop.call_later(self.wait_s, self.flush) if self.wait_s > 0
                           else self._loop.call_soon(self.flush))
        self._records.append(entry)

    def flush(self) -> None:
        """Send what waits now (nothing: no message)."""
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        if self._records:
            sent, self._records = self._records, []
            self._put((self.tag, self.sender, sent))
