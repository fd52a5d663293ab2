"""How many worker processes a local run gets when ``--workers`` is not given (issue 16: "workers
as needed"). Pure: the machine's figures come in as arguments (``machine()`` reads them).

Why workers at all: one process spends ~10 ms of CPU per item (graph, tools, client), so at
high concurrency against an API its one core, not the endpoint, sets throughput; each worker
runs the graph on another core (``linernotes.run.parallel``). Why not always: a worker costs
startup (imports, taxonomy indexes, embeddings: seconds of CPU) and memory, and buys nothing when
the endpoint, not the CPU, is the bound.

The rules, each with its reason:

- the embedded model: 1 — its llama.cpp threads are the bound, and each worker would start its
  own engine (another copy of the model in memory);
- a small run: at most one worker per ``MIN_ITEMS_PER_WORKER`` items, so startup stays a small
  share of the work;
- few calls in flight: at most one worker per ``IN_FLIGHT_PER_WORKER`` of ``--concurrency``
  (LLM calls in flight since issue 16's call window, items before; one process kept 0.88 of C/L
  at C = 8 against the 200 ms stub; it fell to 0.60 at C = 32: ``benchmarks/HISTORY.md``;
  re-checked with the call window, session 10, load 3.6-4.8: 2 workers 0.791 / 0.436 of C/L at
  C = 32 / 64 against one process's 0.632 / 0.283); ``--llm never`` makes no calls, so there the
  run is CPU-bound at any concurrency and this rule does not apply;
- cores: at most one worker per core (the parent, reading and writing, is light);
- memory: at most as many as fit in the available memory at ``worker_mb`` each, after the
  parent's ``PARENT_MB``.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

from linernotes.config import TagConfig
from linernotes.llm.config import EMBEDDED

# a worker's startup costs ~1 s of CPU (plus the forkserver's ~3 s once) and its first items load
# the indexes and embeddings again (~2-3 s); at ~10 ms of CPU per item it pays off after several
# hundred items: measured 2026-11-30 (load average 5), 500 items --llm never took 24 s in 2
# workers against 15 s in one process
MIN_ITEMS_PER_WORKER = 1000
IN_FLIGHT_PER_WORKER = 16
# RSS of one worker after 500 items through the full graph against the stub, measured
# 2026-11-30 (scratch script over run.parallel.WorkerPool, psutil.memory_full_info): 452 MB on
# the HTTP transport (USS 344 MB); LiteLLM's import adds ~145 MB (USS, measured the same day).
WORKER_MB_HTTP = 460
WORKER_MB_LITELLM = 610
PARENT_MB = 300  # the parent with its runtime (manifest, prompt hash): 290 MB RSS measured alongside


@dataclass(frozen=True)
class WorkerChoice:
    """``workers`` processes, and why (one line for stderr)."""

    workers: int
    reason: str


def machine() -> tuple[int, int]:
    """(usable cores, available memory in MB) of this machine."""
    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        cores = os.cpu_count() or 1
    try:
        import psutil

        mb = int(psutil.virtual_memory().available // 2**20)
    except ImportError:  # pragma: no cover (psutil is a dependency)
        mb = 0
    return max(1, cores), mb


def is_embedded(config: TagConfig) -> bool:
    model = config.llm.model
    return model in (EMBEDDED, "local") or model.startswith("local:")


def worker_mb(config: TagConfig) -> int:
    """The memory one worker needs on ``config``'s transport (``llm.transports.select``)."""
    from linernotes.llm.transports import uses_http

    return WORKER_MB_HTTP if uses_http(config.llm) else WORKER_MB_LITELLM


def choose_workers(config: TagConfig, items: int | None, concurrency: int, cores: int,
                   available_mb: int) -> WorkerChoice:
    """The number of worker processes for a run of ``items`` rows (None: unknown, e.g. a
    datasets folder) at ``concurrency`` in flight on ``cores`` cores with ``available_mb`` MB of
    memory available. 1 means the local runner's single process."""
    if is_embedded(config):
        return WorkerChoice(1, "the embedded model (its threads are the bound; one engine per process)")
    per = worker_mb(config)
    bounds = {"cores": cores, "memory": max(0, available_mb - PARENT_MB) // per}
    if items is not None:
        bounds["items"] = items // MIN_ITEMS_PER_WORKER
    if config.llm_mode != "never":
        bounds["in flight"] = -(-concurrency // IN_FLIGHT_PER_WORKER)
    n = max(1, min(bounds.values()))
    facts = [f"{cores} cores", f"{available_mb / 1024:.1f} GB available at ~{per} MB a worker",
             f"{concurrency} in flight"]
    if items is not None:
        facts.insert(0, f"{items} items")
    bound = min(bounds, key=lambda k: bounds[k])
    return WorkerChoice(n, f"{', '.join(facts)}; bound by {bound}")


def auto_workers(config: TagConfig, items: int | None, concurrency: int) -> WorkerChoice:
    """``choose_workers`` on this machine's cores and available memory."""
    cores, mb = machine()
    return choose_workers(config, items, concurrency, cores, mb)
