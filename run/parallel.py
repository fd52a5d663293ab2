"""``liner tag --workers N``: the local runner with the graph in N worker processes.

Why: one process spends tens of ms of CPU per item in the graph, tools and client, so at high
concurrency the GIL, not the endpoint, sets throughput. The parent stays the only reader and
writer — ``run_batch`` unchanged, so ordering of checks, resume, manifest and summary are the
local runner's — and hands each batch of rows (``run.batching``) to a pool of processes that
each run the same ``Enricher``. A worker that dies fails the run (rerun the same command to resume), never hangs it.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import itertools
import multiprocessing as mp
import os
import queue
import signal
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from linernotes.config import TagConfig
from linernotes.llm.transports import uses_http
from linernotes.llm.window import CallWindow
from linernotes.run.gc_pace import pace_for_good
from linernotes.run.outbox import Outbox
from linernotes.run.prepare import prepare_run
from linernotes.run.runner import Enricher, RunOptions, RunSummary, run_batch
from linernotes.run.stopping import stop_like_ctrl_c
from linernotes.schema import OutputRecord
from linernotes.store.catalog import Row


class WorkerDied(RuntimeError):
    """A worker process exited while items were in flight."""


# How often a worker with nothing to do checks that the run's process still exists. A run killed
# with SIGKILL (OOM killer, kill -9) cannot stop its pool: the workers would wait on the task
# queue forever, and the forkserver with them (each worker holds its alive pipe), ~0.4 GB each.
PARENT_CHECK_S = 1.0


# How often the run checks that its workers are alive (a dead one fails the run: ``WorkerDied``).
DEAD_CHECK_S = 0.5


def _next_task(tasks: Any) -> Any:
    """The next message from the run, waiting as long as the run's process exists; when it is
    gone the worker exits at once (nobody reads its results; a resume redoes its items).

    Gone: the pipe end the run holds for this worker (``parent_process().sentinel``) is closed,
    which the kernel does as the run dies. Not its pid: a killed run that whatever started it has
    not yet reaped is a zombie, which kill(pid, 0) finds, so the workers and the forkserver lived
    on holding the run's stdout and stderr, and a caller reading those to their end (then reaping)
    waited forever."""
    parent = mp.parent_process()
    while True:
        try:
            return tasks.get(timeout=PARENT_CHECK_S)
        except queue.Empty:
            if parent is not None and not parent.is_alive():
                os._exit(0)


def _worker(config: TagConfig, env: dict[str, str], tasks: Any, results: Any, index: int = 0,
            relay: bool = False) -> None:
    """Worker main: take ("batch", id, rows) from ``tasks`` (a batch: ``run.batching``), enrich
    batches concurrently, put (id, position, record) on ``results`` as each item is done;
    ("window", n) sets this worker's share of the run's LLM calls in flight (``llm.window``).
    Ctrl-C reaches the whole process group: a worker then exits quietly (the parent reports the
    interruption once and the run resumes), not with a traceback per worker; so does a SIGTERM or
    SIGHUP to the group (``run.stopping``), and the SIGTERM the pool sends when the run stops early.
    ``relay``: the run's process makes this worker's HTTP exchanges (``llm.relay``): requests go
    out as ("calls", index, [...]), answers come in as ("answers", None, [...])."""
    try:
        stop_like_ctrl_c()
        _serve(config, env, tasks, results, index, relay)
    except KeyboardInterrupt:
        return


def _serve(config: TagConfig, env: dict[str, str], tasks: Any, results: Any, index: int, relay: bool) -> None:
    os.environ.clear()  # the forkserver's environment may be older than the parent's (keys, cache dir)
    os.environ.update(env)
    loop = asyncio.new_event_loop()
    enricher = Enricher(config)
    # the runtime (indexes, models, imports: ~316k tracked objects) lives as long as the worker:
    # out of the cycle collector's gen-2 passes it is not re-scanned every few hundred items
    # (12.42 -> 11.66 and 11.87 -> 11.55 ms of CPU per item in back-to-back pairs, one process,
    # load 5.3; benchmarks/HISTORY.md). Only here, in a process that does nothing else
    gc.collect()
    gc.freeze()
    pace_for_good()  # and fewer first-generation collections (run.gc_pace)
    results.put(("ready", None, None))
    done = threading.Event()

    # each record goes back as soon as its item is done, not with its batch's slowest; those done
    # within a few ms of each other as one message (run.outbox). 2 workers, C = 64, 200 ms STUB:
    # one message per record -> per turn of the loop, the parent's CPU 0.77 -> 0.50 ms per item
    outbox = Outbox(loop, results.put)
    relayed = _relayed(enricher, loop, results.put, index) if relay else None

    async def one(task_id: int, rows: list[Row]) -> None:
        await enricher.enrich_many(rows, on_record=lambda i, rec: outbox.add(task_id, i, rec))

    def feed() -> None:
        while True:
            item = _next_task(tasks)
            if item is None:
                loop.call_soon_threadsafe(done.set)
                loop.call_soon_threadsafe(loop.stop)
                return
            if item[0] == "answers" and relayed is not None:
                loop.call_soon_threadsafe(_resolve_all, relayed, item[2])
                continue
            if item[0] == "window":  # on the loop, in order with the batches queued before and after it
                loop.call_soon_threadsafe(enricher.set_call_window, item[1])
                continue
            asyncio.run_coroutine_threadsafe(one(*item[1:]), loop)

    threading.Thread(target=feed, daemon=True).start()
    loop.run_forever()
    pending = asyncio.all_tasks(loop)
    if pending:
        loop.run_until_complete(asyncio.gather(*pending))
    outbox.flush()  # records still waiting when the loop stopped
    loop.run_until_complete(loop.shutdown_asyncgens())


def _relayed(enricher: Enricher, loop: asyncio.AbstractEventLoop, put: Callable[[Any], None], index: int) -> Any:
    """The worker's HTTP transport, relayed (``llm.relay``): the requests one turn of the loop
    makes go to the run as one message."""
    from linernotes.llm.relay import Relayed
    from linernotes.llm.transports import HTTPTransport

    calls = Outbox(loop, put, wait_s=0, tag="calls", sender=index)

    def wrap(t: Any) -> Any:
        if not isinstance(t, HTTPTransport):  # the run decides from the same config (uses_http)
            raise RuntimeError(f"relay asked for a {t.name} transport; only HTTP exchanges are relayed")
        return Relayed(t, calls.add)

    return enricher.runtime.llm.relay_through(wrap)


def _resolve_all(relayed: Any, answers: list[tuple[int, Any]]) -> None:
    for call_id, outcome in answers:
        relayed.resolve(call_id, outcome)


# the last one warms the default packs' caches (lexicon regex, clause index, taxonomy indexes,
# language model) once in the forkserver, for every worker to inherit (``run.warm``)
PRELOAD = ["linernotes.run.runner", "linernotes.agents.graph", "linernotes.agents.runtime", "linernotes.llm.client",
           "linernotes.run.warm"]


def _context() -> Any:
    """forkserver: each worker forks from a clean server that imported the graph once (no
    re-import per worker, and no fork of this process's threads and event loop)."""
    try:
        ctx = mp.get_context("forkserver")
        ctx.set_forkserver_preload(PRELOAD)
        return ctx
    except ValueError:  # platforms without fork
        return mp.get_context("spawn")


@dataclass
class _Batch:
    """A batch sent to the workers: its records so far, how many are still to come."""

    future: asyncio.Future[list[OutputRecord]]
    records: list[Any]
    left: int
    on_record: Callable[[int, OutputRecord], None] | None


def shares(calls: int, workers: int) -> list[int]:
    """``calls`` LLM calls in flight split between ``workers`` processes, as evenly as integers
    allow (the first ``calls % workers`` get one more): they sum to ``calls``, so the run never has
    more in flight than asked. A worker whose share is 0 (more workers than calls) gets no items."""
    return [calls // workers + (i < calls % workers) for i in range(workers)]


class WorkerPool:
    """An Enricher-shaped handle on N processes: ``await pool.enrich_many(rows)``; ``runtime`` is built
    in the parent too, for the manifest (model label, prompt hash, tool versions, cache).

    Each worker has its own task queue: a batch goes to the worker with the fewest items in hand
    for its share of the calls (``set_call_window``), so no worker queues calls behind its share
    while another's slots idle (a shared queue let whichever worker read first take it).

    On the HTTP transport the pool relays the workers' calls (``llm.relay``): this process makes
    every exchange under one call window of the run's ``--concurrency`` (``window``), so a slot is
    freed and the next call sent as soon as an answer arrives, not when the worker that asked
    finishes its current pass; each worker's own window is then the whole run's bound."""

    def __init__(self, config: TagConfig, workers: int):
        self.config = config
        self.workers = workers
        self.runtime = None
        self._ctx = _context()
        self._tasks: list[Any] = []
        self._results: Any = None
        self._held = [0] * workers  # items sent to each worker whose records have not all come back
        self._shares: list[int] | None = None  # each worker's calls in flight; None: no bound
        self._owner: dict[int, int] = {}  # batch id -> the worker it went to
        self._procs: list[Any] = []
        self._futures: dict[int, _Batch] = {}
        self._ids = itertools.count()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._reader: threading.Thread | None = None
        self._closing = False
        self.relay = config.llm_mode != "never" and uses_http(config.llm)
        self.window = CallWindow()  # the run's calls in flight, when relayed
        self._exchanges: set[asyncio.Task[None]] = set()
        self._answers: list[Outbox] = []

    async def __aenter__(self) -> WorkerPool:
        from linernotes.agents.runtime import build_runtime

        self._loop = asyncio.get_running_loop()
        self._tasks = [self._ctx.Queue() for _ in range(self.workers)]
        self._results = self._ctx.Queue()
        self._procs = [self._ctx.Process(target=_worker, daemon=True,
                                         args=(self.config, dict(os.environ), tasks, self._results, i, self.relay))
                       for i, tasks in enumerate(self._tasks)]
        self._answers = [Outbox(self._loop, tasks.put, wait_s=0, tag="answers") for tasks in self._tasks]
        for p in self._procs:
            p.start()
        self.runtime = await asyncio.to_thread(build_runtime, self.config)
        await asyncio.to_thread(self._wait_ready)
        self._reader = threading.Thread(target=self._read_results, daemon=True)
        self._reader.start()
        return self

    @property
    def processes(self) -> list[Any]:
        """The worker processes (for CPU accounting in benchmarks)."""
        return list(self._procs)

    def _wait_ready(self) -> None:
        ready = 0
        while ready < self.workers:
            try:
                tag, _, _ = self._results.get(timeout=1.0)
            except queue.Empty:
                if any(not p.is_alive() for p in self._procs):
                    raise WorkerDied("a worker process exited during setup") from None
                continue
            ready += tag == "ready"

    def _read_results(self) -> None:
        # the workers are checked every DEAD_CHECK_S whatever comes in: checked only when no message
        # came for that long, a dead worker went unnoticed while another sent calls and records,
        # and the run went on without its items until the living ones ran out of work
        checked = time.monotonic()
        while True:
            try:
                tag, sender, entries = self._results.get(timeout=DEAD_CHECK_S)
            except queue.Empty:
                if self._closing:
                    return
                tag = None
            if time.monotonic() - checked >= DEAD_CHECK_S or tag is None:
                checked = time.monotonic()
                if not self._closing and any(not p.is_alive() for p in self._procs):
                    self._loop.call_soon_threadsafe(self._fail_all)
                    return
            if tag is None:
                continue
            if tag == "calls":
                self._loop.call_soon_threadsafe(self._relay_calls, sender, entries)
            else:
                self._loop.call_soon_threadsafe(self._resolve_many, entries)

    def _relay_calls(self, worker: int, calls: list[tuple[int, Any]]) -> None:
        for call_id, req in calls:
            task = self._loop.create_task(self._exchange(worker, call_id, req))
            self._exchanges.add(task)
            task.add_done_callback(self._exchanges.discard)

    async def _exchange(self, worker: int, call_id: int, req: Any) -> None:
        from linernotes.llm.relay import exchange

        self._answers[worker].add(call_id, await exchange(self.window, req))

    def _resolve_many(self, records: list[tuple[int, int, OutputRecord]]) -> None:
        for task_id, i, rec in records:
            self._resolve(task_id, i, rec)

    def _resolve(self, task_id: int, i: int, rec: OutputRecord) -> None:
        batch = self._futures.get(task_id)
        if batch is None:
            return
        self._held[self._owner[task_id]] -= 1
        batch.records[i] = rec
        batch.left -= 1
        if batch.on_record is not None:
            batch.on_record(i, rec)
        if batch.left == 0:
            del self._futures[task_id]
            del self._owner[task_id]
            if not batch.future.done():
                batch.future.set_result(batch.records)

    def _fail_all(self) -> None:
        for batch in self._futures.values():
            if not batch.future.done():
                batch.future.set_exception(WorkerDied("a worker process died; rerun the same command to resume"))
        self._futures.clear()
        self._owner.clear()
        self._held = [0] * self.workers

    def set_call_window(self, calls: int | None) -> None:
        """At most ``calls`` LLM calls in flight over all workers (None: no bound): each worker's
        share (``shares``) goes to it ahead of the batches sent after this."""
        self._shares = None if calls is None else shares(calls, self.workers)
        if self.relay:
            self.window.resize(calls)
        for i, tasks in enumerate(self._tasks):
            if self._shares is None or self._shares[i] > 0:
                tasks.put(("window", calls if self.relay or self._shares is None else self._shares[i]))

    def _pick(self) -> int:
        """The worker for the next batch: the fewest items in hand per call slot (per worker
        without a bound); a worker with no share gets none."""
        if self._shares is None:
            return min(range(self.workers), key=lambda w: self._held[w])
        return min((w for w in range(self.workers) if self._shares[w] > 0),
                   key=lambda w: self._held[w] / self._shares[w])

    async def enrich(self, row: Row) -> OutputRecord:
        return (await self.enrich_many([row]))[0]

    async def enrich_many(self, rows: list[Row],
                          on_record: Callable[[int, OutputRecord], None] | None = None) -> list[OutputRecord]:
        """The rows' records, in order: the batch goes to one worker as one message (one graph
        pass there); ``on_record(position, record)`` as each comes back."""
        if not rows:
            return []
        task_id = next(self._ids)
        fut = self._loop.create_future()
        self._futures[task_id] = _Batch(fut, [None] * len(rows), len(rows), on_record)
        w = self._pick()
        self._owner[task_id] = w
        self._held[w] += len(rows)
        self._tasks[w].put(("batch", task_id, rows))
        return await fut

    async def __aexit__(self, exc_type: type[BaseException] | None, *exc: object) -> None:
        self._closing = True
        if exc_type is not None:
            # the run stops early (interrupted, or failed): nobody will write the workers' records
            # (a resume redoes their items), so they stop now as on Ctrl-C, not after their calls
            # in flight (a SIGTERM to the run alone took 6.7 s to stop 2 workers, 3 s STUB latency).
            # SIGTERM, not SIGINT: a worker routes it into its quiet exit (_worker), and a run started
            # with SIGINT ignored (nohup, a script's background job) has workers that ignore SIGINT
            for p in self._procs:
                if p.is_alive():
                    with contextlib.suppress(ProcessLookupError):
                        os.kill(p.pid, signal.SIGTERM)
        for task in list(self._exchanges):  # a worker that died left its calls here: nobody reads them
            task.cancel()
        for tasks in self._tasks:
            tasks.put(None)
        for p in self._procs:
            await asyncio.to_thread(p.join, 30)
            if p.is_alive():
                p.terminate()
        if self._reader is not None:
            await asyncio.to_thread(self._reader.join, 5)
        for q in (*self._tasks, self._results):
            with contextlib.suppress(Exception):
                q.close()
                q.cancel_join_thread()  # answers left for a dead worker must not hold this process's exit


async def run_parallel(config: TagConfig, opts: RunOptions, workers: int,
                       on_record: Callable[[OutputRecord, RunSummary], None] | None = None) -> RunSummary:
    """``run_batch`` with the graph in ``workers`` processes; ``opts.concurrency`` LLM calls in
    flight in total (each worker its share, ``shares``), ``run.batching.item_window`` items.

    The workers run ``prepare_run``'s config — the local runner's, audio sandbox included — with
    the embedded engine's slots split between them (each worker starts its own engine)."""
    if workers <= 1:
        return await run_batch(config, opts, on_record=on_record)
    run = prepare_run(config, opts, "workers", workers)
    async with WorkerPool(run.config, workers) as pool:
        return await run_batch(config, opts, enricher=pool, on_record=on_record, prepared=run)
