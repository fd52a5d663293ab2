"""``EnrichItems``: the same graph as the local runner, as a Beam PTransform.

Elements are catalog ``Row``s, ``Item``s or plain dicts (validated with the catalog's own
``to_item``). ``BatchElements`` groups them within a bundle; one ``EnrichBatchFn`` per worker
builds the Enricher (LLM client, packs, prompt) once in ``setup`` and enriches each batch
concurrently, bounded by a semaphore, on an event loop it owns for its whole life — so the HTTP
sessions litellm keeps stay bound to one loop. Batches, not per-bundle buffering in
``finish_bundle``: Beam's own transform sizes them and keeps windows and timestamps right.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
from typing import Any

import apache_beam as beam
from apache_beam.metrics import Metrics
from apache_beam.pvalue import TaggedOutput

from linernotes.config import TagConfig
from linernotes.run.prepare import exception_record
from linernotes.run.runner import Enricher, RunSummary
from linernotes.schema import ErrorInfo, Item, OutputRecord
from linernotes.store.catalog import MissingIdError, Row, to_item

OK = "ok"
DEAD_LETTER = "dead_letter"
NAMESPACE = "linernotes"
COUNTERS = ("rows", "ok", "failed", "cached", "tokens_in", "tokens_out", "llm_calls", "review")


def as_row(element: Row | Item | dict[str, Any]) -> Row:
    """Whatever the user's pipeline carries, as a catalog Row (bad dicts become error rows)."""
    if isinstance(element, Row):
        return element
    if isinstance(element, Item):
        return Row(line=0, key=element.id, item=element, raw_id=element.id)
    raw_id = element.get("id") if isinstance(element, dict) else None
    try:
        if not isinstance(element, dict):
            raise ValueError(f"expected an object, got {type(element).__name__}")
        item = to_item(element)
    except ValueError as e:
        raw = str(raw_id) if raw_id is not None else f"invalid:{content_digest(element)}"
        # a pipeline's dicts have no --map: a missing id says which key to send instead
        kind, message = (("input.missing_id", e.for_request()) if isinstance(e, MissingIdError)
                         else ("input.invalid", str(e)))
        return Row(line=0, key=raw, error=ErrorInfo(kind=kind, message=message), raw_id=raw)
    return Row(line=0, key=item.id, item=item, raw_id=item.id)


def content_digest(element: object) -> str:
    """A stable name for a bad element that has no id (so dead letters stay traceable)."""
    blob = json.dumps(element, sort_keys=True, default=str, ensure_ascii=False)
    return hashlib.sha256(blob.encode()).hexdigest()[:12]


class EnrichBatchFn(beam.DoFn):
    """Enrich a batch of rows; ok records to the main output, error records to the dead letter."""

    def __init__(self, config: TagConfig, concurrency: int = 8):
        self.config = config
        self.concurrency = concurrency
        self._enricher: Enricher | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._counters = {name: Metrics.counter(NAMESPACE, name) for name in COUNTERS}

    def setup(self) -> None:
        self._loop = asyncio.new_event_loop()
        self._enricher = Enricher(self.config)

    def teardown(self) -> None:
        if self._enricher is not None:
            self._enricher.close()  # its embedded model server stops with the worker's DoFn
        if self._loop is not None:
            self._loop.run_until_complete(self._loop.shutdown_asyncgens())  # closes HTTP sessions
            self._loop.close()
            self._loop = None

    async def _one(self, row: Row, sem: asyncio.Semaphore) -> OutputRecord:
        async with sem:
            try:
                return await self._enricher.enrich(row)
            except Exception as e:  # noqa: BLE001 (a poisoned item goes to the dead letter, never fails the bundle)
                return exception_record(row.raw_id, row.line, e, self._enricher.redact, row.source)

    async def _all(self, rows: list[Row]) -> list[OutputRecord]:
        sem = asyncio.Semaphore(self.concurrency)
        return await asyncio.gather(*(self._one(r, sem) for r in rows))

    def process(self, batch: list[Row | Item | dict[str, Any]]):
        records = self._loop.run_until_complete(self._all([as_row(e) for e in batch]))
        tally = RunSummary()
        for rec in records:
            tally.count(rec)
            yield rec if rec.status == "ok" else TaggedOutput(DEAD_LETTER, rec)
        self._count(tally, len(records))

    def _count(self, t: RunSummary, rows: int) -> None:
        figures = {"rows": rows, "ok": t.ok, "failed": t.failed, "cached": t.cache_hits, "tokens_in": t.tokens_in,
                   "tokens_out": t.tokens_out, "llm_calls": t.llm_calls, "review": t.review}
        for name, n in figures.items():
            if n:
                self._counters[name].inc(n)
        for kind, n in t.errors_by_kind.items():
            Metrics.counter(NAMESPACE, f"error.{kind}").inc(n)


class EnrichItems(beam.PTransform):
    """``rows | EnrichItems(config)`` -> outputs ``ok`` and ``dead_letter`` (``OutputRecord``s).

    ``concurrency`` bounds in-flight items per worker; ``max_batch_size`` bounds one batch.
    """

    def __init__(self, config: TagConfig, concurrency: int = 8, max_batch_size: int | None = None,
                 label: str | None = None):
        super().__init__(label)
        self.config = config
        self.concurrency = concurrency
        self.max_batch_size = max_batch_size or 4 * concurrency

    def expand(self, pcoll: beam.PCollection) -> Any:
        return (pcoll
                | "Batch" >> beam.BatchElements(min_batch_size=1, max_batch_size=self.max_batch_size)
                | "Enrich" >> beam.ParDo(EnrichBatchFn(self.config, self.concurrency)).with_outputs(DEAD_LETTER,
                                                                                                   main=OK))
