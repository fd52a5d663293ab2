"""The batch runner: stream a catalog through the graph with bounded concurrency (``--concurrency``
LLM calls in flight, ``run.batching.item_window`` items), write one line per input row, resume
from what is already written.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections import Counter
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from pydantic import BaseModel, Field

from linernotes.config import TagConfig
from linernotes.llm.cache import cache_problem, default_cache_path
from linernotes.llm.transports import preflight
from linernotes.run.batching import Batcher, batch_size, item_window
from linernotes.run.gc_pace import run_pace
from linernotes.run.ordering import sort_output
from linernotes.run.prepare import (  # noqa: F401 (re-exported: the names' old home)
    PreparedRun,
    ResumeMismatch,
    RunOptions,
    check_resume,
    exception_record,
    manifest_path,
    package_versions,
    prepare_run,
    redactor,
    resume_identity,
    where,
    with_catalog_defaults,
)
from linernotes.run.stopping import retrieve_stop
from linernotes.schema import OutputRecord, add_cost
from linernotes.sinks import journal_path, open_sink
from linernotes.store.catalog import Row, estimate_rows, read_catalog
from linernotes.store.records import (
    OutputError,
    OutputLock,
    compact,
    error_record,
    scan_state,
    write_manifest,
)


def counted(n: int, noun: str) -> str:
    """``n`` and ``noun``, plural unless ``n`` is 1 ("1 LLM answer", "7 items"): the summary's notes
    read "1 LLM answers came from the cache and 7 items needed none" on the bundled example."""
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"


WHERE_MOST = 3  # items a summary line names per kind; the output's records name every one


def _per_kind(kind: str, n: int, places: list[str], message: str | None) -> str:
    """``kind (n): FIRST: message; also SECOND, THIRD and 7 more`` (the message cut at 300)."""
    out = f"{kind} ({n})" + (f": {places[0]}" if places else "") + (f": {message[:300]}" if message else "")
    more = n - len(places)
    if places and (len(places) > 1 or more > 0):
        also = ", ".join(places[1:])
        rest = f"{more} more (the output's records name each)" if more > 0 else ""
        out += "; also " + (f"{also} and {rest}" if also and rest else also or rest)
    return out


class RunSummary(BaseModel):
    rows: int = 0
    skipped: int = 0
    ok: int = 0
    failed: int = 0
    errors_by_kind: dict[str, int] = Field(default_factory=dict)
    review: int = 0
    llm_calls: int = 0
    cache_hits: int = 0
    tokens_in: int = 0
    tokens_out: int = 0
    cost_usd: float | None = Field(0.0, description="USD; None: some call went to a model with no known price")
    elapsed_s: float = 0.0
    expected_rows: int | None = None
    error_examples: dict[str, str] = Field(default_factory=dict, description="first message per error kind")
    error_where: dict[str, list[str]] = Field(
        default_factory=dict, description=f"per error kind, where its first {WHERE_MOST} items came from "
        "(``where``: catalog:line and id), the first one that of error_examples' message")
    replaced: int = Field(0, description="older lines (retried error records) removed from the output")
    orphans: int = Field(0, description="error records of rows no longer in the catalog, removed")
    audio_errors_by_kind: dict[str, int] = Field(
        default_factory=dict, description="ok items whose audio could not be used (missing, outside the root ...)")
    audio_examples: dict[str, str] = Field(default_factory=dict, description="first message per audio error kind")
    audio_where: dict[str, list[str]] = Field(
        default_factory=dict, description=f"per audio error kind, where its first {WHERE_MOST} items came from")
    llm_mode: str = Field("auto", description="--llm of the run: a summary with 0 calls says why")
    rationale: bool = Field(False, description="--rationale of the run: a summary says which records lack one")
    llm_consulted: int = Field(0, description="ok items whose record says the LLM was consulted (cache included)")
    with_rationale: int = Field(0, description="ok items whose record holds a rationale")
    cache_problem: str | None = Field(None, description="why the response cache was not used (llm.cache.cache_problem)")
    reordered: int | None = Field(None, description="--sorted: records moved into input order at the end (0: "
                                  "already in order); None: not asked, or the run did not complete")
    sort_problem: str | None = Field(None, description="--sorted: why the output could not be sorted")

    @property
    def processed(self) -> int:
        return self.ok + self.failed

    @property
    def items_per_s(self) -> float:
        return self.processed / self.elapsed_s if self.elapsed_s > 0 else 0.0

    @property
    def exit_code(self) -> int:
        return 1 if self.failed else 0

    def count(self, rec: OutputRecord, source: str | None = None, line: int | None = None) -> None:
        """Add ``rec`` to the figures. ``source``/``line``: the catalog and input line of an ok
        record's row (an error record names its own), so that a line about an item tagged without
        its audio says where the item is."""
        if rec.status == "ok" and rec.enrichment is not None:
            self.ok += 1
            p = rec.enrichment.provenance
            self.llm_calls += p.llm_calls
            self.cache_hits += int(p.cache_hit)
            if not p.cache_hit:
                self.tokens_in += p.tokens_in
                self.tokens_out += p.tokens_out
                self.cost_usd = add_cost(self.cost_usd, p.cost_usd)
            self.review += int(rec.enrichment.review.routed)
            self.llm_consulted += int(p.llm_consulted)
            self.with_rationale += int(bool(rec.enrichment.rationale))
            audio_error = rec.enrichment.evidence.get("audio_error")
            if isinstance(audio_error, dict):  # the item is tagged without audio: say so in the summary
                kind = str(audio_error.get("kind", "audio.unknown"))
                self.audio_errors_by_kind[kind] = self.audio_errors_by_kind.get(kind, 0) + 1
                self.audio_examples.setdefault(kind, str(audio_error.get("message") or ""))
                if len(places := self.audio_where.setdefault(kind, [])) < WHERE_MOST:
                    places.append(where(rec.id, source, line))
        else:
            self.failed += 1
            kind = rec.error.kind if rec.error else "unknown"
            self.errors_by_kind[kind] = self.errors_by_kind.get(kind, 0) + 1
            if rec.error is not None:
                self.error_examples.setdefault(kind, rec.error.message)
                if len(places := self.error_where.setdefault(kind, [])) < WHERE_MOST:
                    places.append(where(rec.id, rec.error.source, rec.error.line))
                if rec.error.usage is not None:  # a failed item's attempts were billed too
                    u = rec.error.usage
                    self.llm_calls += u.calls
                    self.tokens_in += u.tokens_in
                    self.tokens_out += u.tokens_out
                    self.cost_usd = add_cost(self.cost_usd, u.cost_usd)

    def notes(self) -> list[str]:
        """One line per thing a reader of the summary must know: where the answers came from,
        and what each kind of failure was (its first message)."""
        out = []
        if self.ok and self.llm_calls == 0:
            if self.llm_mode == "never":  # nothing was asked: no claim that the evidence decided everything
                out.append("--llm never: 0 LLM calls made (values from the evidence alone)")
            elif self.cache_hits == self.ok:
                out.append("all LLM answers came from the cache: 0 LLM calls made")
            elif self.cache_hits:
                rest = self.ok - self.cache_hits
                out.append(f"{counted(self.cache_hits, 'LLM answer')} came from the cache and {counted(rest, 'item')} "
                           f"needed none (every field decided from the evidence): 0 LLM calls made")
            elif self.failed:  # a failed item may have needed the LLM (llm.config: no request left)
                out.append(f"the {counted(self.ok, 'item')} that succeeded needed no LLM call (every field decided "
                           f"from the evidence); {self.failed} failed (below): 0 LLM calls made")
            else:
                out.append("no item needed the LLM (every field decided from the evidence): 0 LLM calls made")
        if self.rationale and self.ok > self.with_rationale:
            out.append(self._rationale_note())
        for kind in sorted(self.errors_by_kind):  # each kind's first items by catalog, line and id
            out.append(_per_kind(kind, self.errors_by_kind[kind], self.error_where.get(kind, []),
                                 self.error_examples.get(kind)))
        for kind in sorted(self.audio_errors_by_kind):
            if places := self.audio_where.get(kind):
                out.append("tagged without audio: " + _per_kind(kind, self.audio_errors_by_kind[kind], places,
                                                                self.audio_examples.get(kind)))
        if self.cache_problem:
            out.append(f"response cache not used ({self.cache_problem}): no answer was read from it or stored "
                       "in it; a rerun calls the LLM again")
        if "llm.config" in self.errors_by_kind:
            out.append("llm.config: no request left this process; check --model, --api-base and the "
                       "provider's API key variable")
        if self.reordered is not None:
            out.append(f"--sorted: {counted(self.reordered, 'record')} moved into input order" if self.reordered
                       else "--sorted: the records were already in input order")
        if self.sort_problem:
            out.append(f"--sorted: {self.sort_problem}")
        if self.orphans:
            out.append(f"{self.orphans} error record(s) of rows no longer in the catalog removed from the output")
        if self.replaced > self.orphans:
            out.append(f"{self.replaced - self.orphans} earlier line(s) replaced by this run's records (retried errors)")
        return out


    def _rationale_note(self) -> str:
        """Why records of a --rationale run have none: only the LLM writes one, and under --llm auto
        an item whose every field the evidence decided makes no call (QA session 24: 7 of the
        example's 8 records had none, and --llm never --rationale none at all, without a word)."""
        if self.llm_mode == "never":
            return "--rationale: no record has one: only the LLM writes a rationale and --llm never makes no call"
        why = []
        if unasked := self.ok - self.llm_consulted:
            why.append(f"{counted(unasked, 'item')} made no LLM call (every field decided from the evidence; "
                       "--llm always asks the LLM about every item)")
        if empty := self.llm_consulted - self.with_rationale:
            why.append(f"the LLM's answer for {counted(empty, 'item')} held none")
        return f"--rationale: {self.with_rationale} of {counted(self.ok, 'record')} have a rationale: " + "; ".join(why)


class Enricher:
    """Runs one item through the compiled graph; turns every failure into an error record."""

    def __init__(self, config: TagConfig, runtime: Any = None):
        from linernotes.agents.graph import build_graph
        from linernotes.agents.runtime import build_runtime

        self.config = config
        self._owns_runtime = runtime is None
        self.runtime = runtime or build_runtime(config)
        self.graph = build_graph(self.runtime)
        self.redact = redactor(config)

    def close(self) -> None:
        """Give back what a runtime built here holds (its embedded model server stops unless
        another client in the process holds it); a caller's runtime is the caller's to close.
        Idempotent; a later ``enrich`` builds the transport again."""
        if self._owns_runtime:
            self.runtime.llm.close()

    def set_call_window(self, calls: int | None) -> None:
        """At most ``calls`` LLM calls in flight at once from now on (None: no bound), whatever
        the number of items in flight (``llm.window``). A run sets its ``--concurrency``."""
        self.runtime.llm.window.resize(calls)

    async def enrich(self, row: Row) -> OutputRecord:
        """One row's record (a batch of one)."""
        return (await self.enrich_many([row]))[0]

    async def enrich_many(self, rows: list[Row],
                          on_record: Callable[[int, OutputRecord], None] | None = None) -> list[OutputRecord]:
        """The rows' records, in order, from one pass of the graph over all of them
        (``agents.graph``: micro-batching); ``on_record(position, record)`` as each is done. An
        item that fails gets the error record it would get alone; the others are unaffected."""
        out: list[Any] = [None] * len(rows)

        def done(i: int, slot: Any) -> None:
            out[i] = self._record(rows[i], slot)
            if on_record is not None:
                on_record(i, out[i])

        for i, row in enumerate(rows):
            if row.item is None:
                done(i, None)
        where = [i for i, row in enumerate(rows) if row.item is not None]
        await self.graph.run([{"item": rows[i].item} for i in where], lambda k, slot: done(where[k], slot))
        return out

    def _record(self, row: Row, slot: Any) -> OutputRecord:
        if row.item is None:
            assert row.error is not None
            return error_record(row.raw_id, row.error)
        item, state = row.item, slot.state
        if slot.exception is not None:  # one bad item never kills the batch
            return exception_record(item.id, row.line, slot.exception, self.redact, row.source)
        if state.get("error") is not None:  # an LLM or tool failure: named by catalog, line and id like a bad row
            info = state["error"].model_copy(update={"line": row.line, "source": row.source,
                                                     "usage": state.get("usage")})
            return error_record(item.id, info)
        return OutputRecord(id=item.id, status="ok", enrichment=state["enrichment"])


async def run_batch(
    config: TagConfig,
    opts: RunOptions,
    enricher: Enricher | None = None,
    on_record: Callable[[OutputRecord, RunSummary], None] | None = None,
    prepared: PreparedRun | None = None,
) -> RunSummary:
    """Process every row whose record is not ok yet: new rows, and rows whose record is an error
    (retried; the new line replaces the old one when the run ends, see ``runstore``).

    One writer per output (``OutputLock``), and a resume must match the configuration the output
    was started with (``check_resume``). Raises CatalogError/OutputError for whole-run problems.

    Defaults, redaction, resume identity and manifest come from ``prepare_run``; this function
    only schedules. A caller-built ``enricher`` should be built from the prepared run's ``config``
    (``run_parallel`` passes both), else it runs as built."""
    rows = read_catalog(opts.input, opts.mapping, opts.drop, opts.keep_extra)  # validates the file first
    if config.llm_mode != "never":
        # a missing API key fails every call alike: one clear error (exit 2), not one error record per item
        preflight(config.llm)
    cache = None
    if config.llm_mode != "never" and config.llm.use_cache:
        cache = cache_problem(config.llm.cache_path or default_cache_path())
    with OutputLock(opts.output), run_pace():
        return await _run_locked(prepared or prepare_run(config, opts), rows, enricher, on_record, cache)


async def _run_locked(run: PreparedRun, rows: Any, enricher: Enricher | None,
                      on_record: Callable[[OutputRecord, RunSummary], None] | None,
                      cache: str | None = None) -> RunSummary:
    opts = run.opts
    summary = RunSummary(expected_rows=estimate_rows(opts.input), llm_mode=run.config.llm_mode,
                         rationale=run.config.rationale, cache_problem=cache)
    if opts.limit is not None and summary.expected_rows is not None:
        summary.expected_rows = min(summary.expected_rows, opts.limit)
    owned = enricher is None  # a run that built its enricher closes it (its model server stops with the run)
    enricher = enricher or Enricher(run.config)
    try:
        return await _schedule(run, rows, enricher, on_record, summary)
    finally:
        if owned:
            enricher.close()


async def _schedule(run: PreparedRun, rows: Any, enricher: Enricher,
                    on_record: Callable[[OutputRecord, RunSummary], None] | None, summary: RunSummary) -> RunSummary:
    opts = run.opts
    rt = enricher.runtime
    journal = journal_path(opts.output)  # the output itself for JSONL; Parquet outputs resume from a journal
    state = scan_state(journal)  # repairs a line cut by a kill
    # ok records bind the output to the options they were made with; error records alone do not
    # (this run retries every one), so the rerun a failed run asks for goes on: the --map its
    # input.missing_id records name, a reachable --api-base after llm.connection errors
    identity = run.check_resume(rt, has_records=bool(state.done))
    done = state.done
    manifest = run.manifest(rt, identity)
    mpath = manifest_path(opts.output)
    writer = open_sink(opts.output, sync=opts.sync)  # JSONL, or Parquet by suffix/folder (linernotes.sinks)
    write_manifest(mpath, {**manifest, "status": "running"})
    start = time.monotonic()
    # --concurrency bounds the LLM calls in flight (the enricher's call window), and the items in
    # flight are that plus a bounded headroom (``item_window``): the next items' tools run while
    # calls wait. --llm never makes no call, and an enricher that cannot bound its calls gets the
    # items' window alone: there the window of C items bounds the work, as it always did
    calls = None if run.config.llm_mode == "never" else opts.concurrency
    set_call_window = getattr(enricher, "set_call_window", None)
    if set_call_window is not None:
        set_call_window(calls)
    sem = asyncio.Semaphore(item_window(opts.concurrency, calls is not None and set_call_window is not None))
    pending: set[asyncio.Task[None]] = set()
    failure: list[BaseException] = []
    # input-error lines (keyed line:N) of rows that now read cleanly: their new record has the id's key
    stale: set[str] = set()
    # error records whose row is not met again: when the whole catalog was read, that row is gone
    # (a bad line deleted, a row removed) and its record would outlive it; ok records stay
    orphans = {k for k, st in state.last_status.items() if st == "error"}
    retried = False  # a key that already has a line gets a new one: the old line goes at the end
    # --sorted: each key's input position, for the rewrite when the run completes (run.ordering)
    order: dict[str, int] | None = {} if opts.sorted else None
    interrupted = False

    def emit(rec: OutputRecord, row: Row | None = None) -> None:
        writer.write(rec)
        summary.count(rec, *((row.source, row.line) if row is not None else (None, None)))
        summary.elapsed_s = time.monotonic() - start
        if on_record:
            on_record(rec, summary)

    batcher = Batcher(enricher, batch_size(opts.concurrency))

    async def one(row: Row) -> None:
        try:
            rec = await batcher.enrich(row)
            if not failure:
                emit(rec, row)
        except BaseException as e:  # noqa: BLE001 (an OutputError stops the run)
            failure.append(e)
        finally:
            sem.release()

    try:
        for n, row in enumerate(rows, start=1):
            if opts.limit is not None and n > opts.limit:
                break
            summary.rows += 1
            if order is not None:
                order.setdefault(row.key, n)
            orphans.discard(row.key)
            orphans.discard(f"line:{row.line}")  # left to the stale rule below
            if row.key != f"line:{row.line}" and f"line:{row.line}" in state.last_status:
                stale.add(f"line:{row.line}")
            if row.key in done:
                summary.skipped += 1
                continue
            retried = retried or row.key in state.last_status
            if row.item is None:
                emit(error_record(row.raw_id, row.error))
                continue
            if sem.locked():  # the window is full: what entered it since the last batch goes soon
                batcher.window_full()
            await sem.acquire()
            if failure:
                sem.release()
                break
            task = asyncio.create_task(one(row))
            pending.add(task)
            task.add_done_callback(pending.discard)
            task.add_done_callback(retrieve_stop)
            await asyncio.sleep(0)
        else:  # every row was read: the orphans' rows are not in the catalog any more
            summary.orphans = len(orphans)
            stale |= orphans
        batcher.flush()
        if pending:
            await asyncio.gather(*pending)
        if failure:
            raise failure[0]
    except (asyncio.CancelledError, KeyboardInterrupt):  # Ctrl-C, SIGTERM, SIGHUP (run.stopping)
        interrupted = True
        raise
    except Exception as e:  # a catalog that breaks mid-read, say: the manifest must not say "complete"
        failure.append(e)
        raise
    finally:
        for t in pending:
            t.cancel()
        batcher.cancel()
        if stale and hasattr(writer, "forget"):  # Parquet: stale input-error rows leave the table too
            writer.forget(stale)
        writer.close()
        summary.elapsed_s = time.monotonic() - start
        status = "interrupted" if interrupted else "failed" if failure else "complete"
        # Parquet sinks keep the last record per key themselves; a full scan only when a line was superseded
        if journal == opts.output and (retried or stale or state.superseded):
            with contextlib.suppress(OutputError):  # a failed compaction is redone by the next run
                summary.replaced = compact(journal, stale)
        if order is not None and status == "complete":
            try:
                summary.reordered = sort_output(opts.output, order)
            except OutputError as e:  # the records stand as written; a rerun sorts them
                summary.sort_problem = str(e)
        with contextlib.suppress(OSError):
            write_manifest(mpath, {**manifest, "status": status, "finished": datetime.now(UTC).isoformat(),
                                   "summary": {**summary.model_dump(), "items_per_s": summary.items_per_s,
                                               "errors_by_kind": dict(Counter(summary.errors_by_kind))}})
    return summary

