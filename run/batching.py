"""Micro-batches for the graph: rows handed to ``Batcher.enrich`` one at a time go to the
enricher's ``enrich_many`` together (``agents.graph``: one graph pass per batch), and each row's
record comes back as soon as its own item is done.

How many items are in flight: ``item_window(C)``, C LLM calls (``llm.window``) plus a bounded
headroom of batches being prepared and finished.

When a batch leaves: as soon as ``batch_size(C)`` rows wait; when the input ends (``flush``); and
when the runner's in-flight window is full (``window_full``): at once if no other batch is in
flight (nothing else could free a slot: at concurrency 1 every batch is one row, sent at once) or
when batches are small (C < 32: latency, not CPU, bounds those runs), else after ``MAX_WAIT_S``,
so the rows that the batches in flight are about to free join it.
"""

from __future__ import annotations

import asyncio
from typing import Any

from linernotes.run.stopping import retrieve_stop
from linernotes.schema import OutputRecord
from linernotes.store.catalog import Row

# The graph's fixed costs are paid once per batch: CPU per item, one process, --llm always, HTTP
# transport, 0 ms stub (scratch harness, 2026-11-30, load 1-2, 384 items, 3 pairs each):
# one item per graph pass 7.1-9.1 ms; batches of 8: 5.3-5.7; 16: 4.3-5.5; 32: 4.1-4.5: 16 takes
# most of the gain, and a bigger batch makes its first call wait for more items' tools.
MAX_BATCH = 16
# Against the 200 ms stub, one process, C = 32, 640 items (load 2.6-3.4, one run each): batches
# of 1 / 4 / 8 / 16 gave 0.51 / 0.65 / 0.68 / 0.62 of C/L at 10.2 / 7.4 / 6.2 / 5.8 ms of CPU per
# item: a quarter of the window per batch keeps the CPU busy while other batches wait
BATCHES_IN_FLIGHT = 4


def batch_size(concurrency: int) -> int:
    """The largest batch at ``concurrency`` in flight: at least ``BATCHES_IN_FLIGHT`` batches share
    the window, so while one batch waits for its calls the process works on another (a single
    batch of the whole window would leave the CPU idle for the calls' whole latency, then queue
    every item behind the others' tools and records); at most ``MAX_BATCH``."""
    return max(1, min(MAX_BATCH, concurrency // BATCHES_IN_FLIGHT))


# Items in flight beyond the LLM calls in flight (issue 16: ``--concurrency`` bounds the calls,
# ``llm.window``): while C calls wait on the endpoint, one batch is being prepared (gather, tools,
# triage), so its calls are ready when slots free, and one is being finished (fuse, route, the
# record, the hand-back), so a finished call never holds a slot's successor back. Bounded: at most
# 2 x MAX_BATCH = 32 items more than C, whatever C is.
HEADROOM_BATCHES = 2


def item_window(concurrency: int, calls: bool = True) -> int:
    """Items in flight for a run of ``concurrency`` LLM calls in flight: ``concurrency`` plus
    ``HEADROOM_BATCHES`` batches of ``batch_size(concurrency)`` (1 -> 3, 8 -> 12, 32 -> 48,
    64 -> 96). ``calls=False`` (``--llm never``, or an enricher that cannot bound its calls):
    ``concurrency`` items, the window bounding the work itself."""
    return concurrency + HEADROOM_BATCHES * batch_size(concurrency) if calls else concurrency


# a row waits at most this long for others, and only while other batches are in flight (the
# process is busy with them): the records of a batch come back over ~2 ms of CPU each
MAX_WAIT_S = 0.02
# ... and only where batches are this big (C >= 32), where CPU bounds the run: at C = 8 (batches
# of 2) against the 200 ms stub, one process, waiting up to 20 ms gave 0.72 / 0.72 of C/L, not
# waiting 0.74 / 0.84 (load 3), at ~1 ms more CPU per item
WAIT_FROM_BATCH = 8


class Batcher:
    """``await batcher.enrich(row)`` -> that row's record, as soon as its item is done; rows wait
    until ``max_batch`` of them wait, ``window_full()`` or ``flush()``. The enricher's
    ``enrich_many(rows, on_record=...)`` reports each record as it is done; an enricher without
    ``enrich_many`` gets each row alone."""

    def __init__(self, enricher: Any, max_batch: int = MAX_BATCH):
        self.enricher = enricher
        self.max_batch = max(1, max_batch)
        self._waiting: list[tuple[Row, asyncio.Future[OutputRecord]]] = []
        self._tasks: set[asyncio.Task[None]] = set()
        self._many = getattr(enricher, "enrich_many", None)
        self._in_flight = 0  # rows sent whose record has not come back
        self._timer: asyncio.TimerHandle | None = None

    async def enrich(self, row: Row) -> OutputRecord:
        if self._many is None:
            return await self.enricher.enrich(row)
        fut: asyncio.Future[OutputRecord] = asyncio.get_running_loop().create_future()
        self._waiting.append((row, fut))
        if len(self._waiting) >= self.max_batch:
            self.flush()
        return await fut

    def window_full(self) -> None:
        """The runner can take no more rows until one comes back: send the waiting rows now if
        no other batch is in flight or batches are small, else within ``MAX_WAIT_S``."""
        if not self._waiting:
            return
        if not self._in_flight or self.max_batch < WAIT_FROM_BATCH:
            self.flush()
        elif self._timer is None:
            self._timer = asyncio.get_running_loop().call_later(MAX_WAIT_S, self.flush)

    def flush(self) -> None:
        """Send the waiting rows as batches of at most ``max_batch``."""
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        while self._waiting:
            batch, self._waiting = self._waiting[:self.max_batch], self._waiting[self.max_batch:]
            self._in_flight += len(batch)
            task = asyncio.ensure_future(self._run(batch))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)
            task.add_done_callback(retrieve_stop)

    def cancel(self) -> None:
        """Stop the batches in flight (the run is failing or interrupted)."""
        if self._timer is not None:
            self._timer.cancel()
        for task in list(self._tasks):
            task.cancel()

    def _settle(self, fut: asyncio.Future[OutputRecord], sent: list[bool], i: int,
                record: OutputRecord | None = None, error: BaseException | None = None) -> None:
        """Row ``i`` of a batch is done (its record, or the whole batch's failure): counted out of
        the in-flight window once, its caller told unless it stopped waiting."""
        if sent[i]:
            return
        sent[i] = True
        self._in_flight -= 1
        if fut.done():
            return
        if error is not None:
            fut.set_exception(error)
        else:
            fut.set_result(record)

    async def _run(self, batch: list[tuple[Row, asyncio.Future[OutputRecord]]]) -> None:
        futures = [fut for _, fut in batch]
        sent = [False] * len(batch)

        def deliver(i: int, rec: OutputRecord) -> None:
            self._settle(futures[i], sent, i, record=rec)

        try:
            records = await self._many([row for row, _ in batch], on_record=deliver)
        except BaseException as e:  # noqa: BLE001 (a whole-batch failure, e.g. a worker died: every row hears it)
            for i, fut in enumerate(futures):
                self._settle(fut, sent, i, error=e)
            if not isinstance(e, Exception):
                raise
            return
        for i, rec in enumerate(records):
            deliver(i, rec)
