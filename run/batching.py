"""Micro-batches for the graph: rows handed to ``Batcher.enrich`` one at a time go to the
enricher's ``enrich_many`` together (``agents.graph``: one graph pass per batch).

The runner decides when a batch leaves (``flush``): when its in-flight window is full or its
input has ended, so a batch is whatever entered the window since the last flush, and no row ever
waits for rows that are not coming (at concurrency 1 every batch is one row, sent at once). A
batch also leaves as soon as it holds ``MAX_BATCH`` rows.
"""

from __future__ import annotations

import asyncio
from typing import Any

from linernotes.schema import OutputRecord
from linernotes.store.catalog import Row

# The graph's fixed costs are paid once per batch: CPU per item, one process, --llm always, HTTP
# transport, 0 ms stub (scratch harness, 2026-11-30, load 1-2, 384 items, 3 pairs each):
# one item per graph pass 7.1-9.1 ms; batches of 8: 5.3-5.7; 16: 4.3-5.5; 32: 4.1-4.5. A batch
# moves on when its slowest item has, so a bigger batch holds more finished items behind a slow
# call: 16 takes most of the gain.
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


class Batcher:
    """``await batcher.enrich(row)`` -> that row's record; rows wait until ``flush()`` (or until
    ``max_batch`` of them wait). An enricher without ``enrich_many`` gets each row alone."""

    def __init__(self, enricher: Any, max_batch: int = MAX_BATCH):
        self.enricher = enricher
        self.max_batch = max(1, max_batch)
        self._waiting: list[tuple[Row, asyncio.Future[OutputRecord]]] = []
        self._tasks: set[asyncio.Task[None]] = set()
        self._many = getattr(enricher, "enrich_many", None)

    async def enrich(self, row: Row) -> OutputRecord:
        if self._many is None:
            return await self.enricher.enrich(row)
        fut: asyncio.Future[OutputRecord] = asyncio.get_running_loop().create_future()
        self._waiting.append((row, fut))
        if len(self._waiting) >= self.max_batch:
            self.flush()
        return await fut

    def flush(self) -> None:
        """Send the waiting rows as batches of at most ``max_batch``."""
        while self._waiting:
            batch, self._waiting = self._waiting[:self.max_batch], self._waiting[self.max_batch:]
            task = asyncio.ensure_future(self._run(batch))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)

    def cancel(self) -> None:
        """Stop the batches in flight (the run is failing or interrupted)."""
        for task in list(self._tasks):
            task.cancel()

    async def _run(self, batch: list[tuple[Row, asyncio.Future[OutputRecord]]]) -> None:
        try:
            records = await self._many([row for row, _ in batch])
        except BaseException as e:  # noqa: BLE001 (a whole-batch failure, e.g. a worker died: every row hears it)
            for _, fut in batch:
                if not fut.done():
                    fut.set_exception(e)
            if not isinstance(e, Exception):
                raise
            return
        for (_, fut), rec in zip(batch, records, strict=True):
            if not fut.done():
                fut.set_result(rec)
