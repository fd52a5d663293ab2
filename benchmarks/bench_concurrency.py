"""Figure 2 — concurrency efficiency against a local STUB endpoint with a fixed 200 ms latency.

C is ``--concurrency``: LLM calls in flight (since issue 16's call window, ``llm.window``; before
it, items in flight). With every item making one call (``--llm always``) the limit is C / 0.2 s
items/s; the figure is achieved items/s over that limit, for the whole toolkit (run_batch: graph
+ tools + client + writer). The run holds up to ``run.batching.item_window(C)`` items (recorded as
``items_in_flight_window``); the STUB counts the calls it answers at once (``_calls_peak``, never
above C, and ``_calls_mean``, the mean over the level's wall time: ratio x C when every call takes
the stub's latency). Variants: one process
through LiteLLM+Instructor, one process on the opt-in fast path, and N worker processes
(``--workers``), each at C x rounds items per level; then the default configuration as a run of
a realistic size gets it (``default_configuration``: at C = 32/64 enough items for
``run.workers.auto_workers`` to give each core a worker, the pool's startup timed). The stub runs
in its own process so it never shares the measured GIL.
"""

from __future__ import annotations

import asyncio
import os
import tempfile
import time
from pathlib import Path
from typing import Any

COMMAND = "python -m benchmarks concurrency"
LATENCY_S = 0.2
LEVELS = (1, 8, 32, 64)
GOAL = 0.9


def _cpu_s(pids: dict[str, int]) -> dict[str, float]:
    """CPU seconds (user + system) so far of each named process."""
    import psutil

    return {k: sum(psutil.Process(pid).cpu_times()[:2]) for k, pid in pids.items()}


def _stub_stats(base_url: str, reset: bool = False) -> dict[str, Any]:
    import json
    import urllib.request

    url = base_url.removesuffix("/v1") + "/stats" + ("?reset=1" if reset else "")
    with urllib.request.urlopen(url, timeout=10) as r:
        return dict(json.loads(r.read()))


def _calls(out: dict[str, Any], key: str, base_url: str, wall_s: float) -> None:
    """The calls the STUB answered at once over the level just run (reset before it)."""
    st = _stub_stats(base_url)
    out[f"{key}_calls_peak"] = st["max_in_flight"]
    out[f"{key}_calls_mean"] = round(st["busy_s"] / wall_s, 2)


async def _sweep(name: str, enricher: Any, config: Any, catalog: Path, work: Path, rounds: int,
                 out: dict[str, Any], pids: dict[str, int]) -> None:
    """Throughput at each C, and at the highest C where each process's CPU went per item: the
    budget that bounds the ratio once the endpoint is not the limit (2 cores here)."""
    from linernotes.run.runner import RunOptions, run_batch

    await run_batch(config, RunOptions(input=catalog, output=work / f"{name}-warm.jsonl", concurrency=8, limit=16),
                    enricher=enricher)
    base_url = config.llm.api_base
    for c in LEVELS:
        n = c * rounds
        before = _cpu_s(pids)
        _stub_stats(base_url, reset=True)
        t = time.perf_counter()
        s = await run_batch(config, RunOptions(input=catalog, output=work / f"{name}-{c}.jsonl", concurrency=c,
                                               limit=n, sync="batch"), enricher=enricher)
        wall = time.perf_counter() - t
        rate = s.processed / wall
        after = _cpu_s(pids)
        assert s.ok == n, s
        _calls(out, f"{name}_C{c}", base_url, wall)
        out[f"{name}_C{c}_items_per_s"] = round(rate, 2)
        out[f"{name}_C{c}_ratio"] = round(rate / (c / LATENCY_S), 3)
        if c == max(LEVELS):
            for k in pids:
                out[f"{name}_C{c}_cpu_ms_per_item_{k}"] = round((after[k] - before[k]) * 1000 / n, 2)


async def _measure(base_url: str, rounds: int, workers: tuple[int, ...], work: Path, stub_pid: int
                   ) -> dict[str, Any]:
    from linernotes.config import TagConfig
    from linernotes.llm.client import LLMConfig
    from linernotes.run.parallel import WorkerPool
    from linernotes.run.runner import Enricher
    from linernotes.testing.synthetic import write_catalog

    catalog = write_catalog(work / "catalog.jsonl", max(LEVELS) * rounds)

    def catalog_for(n: int) -> Path:
        return catalog if n <= max(LEVELS) * rounds else write_catalog(work / f"catalog-{n}.jsonl", n)

    out: dict[str, Any] = {"latency_ms": LATENCY_S * 1000, "rounds": rounds, "workers": workers}
    await stub_floor(base_url, rounds, out)
    for transport in ("litellm", "fast"):  # fast: the HTTP transport (the default for openai/ + api_base)
        cfg = TagConfig(llm=LLMConfig(model="openai/stub", api_base=base_url, use_cache=False, max_retries=0,
                                      transport=transport), audio_base=str(work), llm_mode="always")
        await _sweep(f"one_process_{transport}", Enricher(cfg), cfg, catalog, work, rounds, out,
                     {"client": os.getpid(), "stub": stub_pid})
    cfg = TagConfig(llm=LLMConfig(model="openai/stub", api_base=base_url, use_cache=False, max_retries=0,
                                  transport="fast"), audio_base=str(work), llm_mode="always")
    for w in workers:
        async with WorkerPool(cfg, w) as pool:
            pids = {"parent": os.getpid(), **{f"worker{i}": p.pid for i, p in enumerate(pool.processes)},
                    "stub": stub_pid}
            await _sweep(f"{w}_workers_fast", pool, cfg, catalog, work, rounds, out, pids)
    await default_configuration(out, base_url, work, catalog_for, {"stub": stub_pid})
    return out


async def default_configuration(out: dict[str, Any], base_url: str, work: Path, catalog_for: Any,
                                others: dict[str, int]) -> None:
    """The configuration a user gets without --workers/--transport (issue 16: "the default
    configuration (workers as needed)"), as a real run of that size gets it: at each C, a run of
    ``default_items(C)`` items, the worker count ``run.workers.auto_workers`` picks for that many
    items at that C on this machine's cores and memory, the default transport (HTTP for openai/ +
    api_base). One process: the one-process sweep above. More: a fresh pool, timed with its
    startup (``_C{c}_ratio``, what the run's user waits for) and without (``_steady_ratio``); CPU
    per item of every process over the run (startup excluded)."""
    from linernotes.config import TagConfig
    from linernotes.llm.client import LLMConfig
    from linernotes.run.parallel import WorkerPool
    from linernotes.run.runner import RunOptions, run_batch
    from linernotes.run.workers import auto_workers

    cfg = TagConfig(llm=LLMConfig(model="openai/stub", api_base=base_url, use_cache=False, max_retries=0),
                    audio_base=str(work), llm_mode="always")
    for c in LEVELS:
        n = default_items(c, out["rounds"])
        w = auto_workers(cfg, n, c).workers
        out[f"default_C{c}_items"] = n
        out[f"default_C{c}_workers"] = w
        if w == 1:
            for key in ("_ratio", "_items_per_s", "_calls_peak", "_calls_mean"):
                out[f"default_C{c}{key}"] = out[f"one_process_fast_C{c}{key}"]
            if c == max(LEVELS):
                per = {k.rsplit("_", 1)[-1]: v for k, v in out.items()
                       if k.startswith(f"one_process_fast_C{c}_cpu_ms_per_item_")}
                out.update({f"default_C{c}_cpu_ms_per_item_{k}": v for k, v in per.items()})
                out[f"default_C{c}_cpu_ms_per_item_total"] = round(sum(per.values()), 2)
            continue
        t, parent0 = time.perf_counter(), _cpu_s({"parent": os.getpid()})["parent"]
        async with WorkerPool(cfg, w) as pool:
            startup = time.perf_counter() - t
            pids = {"parent": os.getpid(), **{f"worker{i}": p.pid for i, p in enumerate(pool.processes)}, **others}
            before = _cpu_s(pids)
            # the pool's startup: the parent's runtime and every worker's up to ready (the
            # forkserver's warm-up, run.warm, is paid once per parent process, by the first pool)
            startup_cpu = before["parent"] - parent0 + sum(v for k, v in before.items() if k.startswith("worker"))
            _stub_stats(base_url, reset=True)
            t = time.perf_counter()
            s = await run_batch(cfg, RunOptions(input=catalog_for(n), output=work / f"default-{c}.jsonl",
                                                concurrency=c, limit=n, sync="batch"), enricher=pool)
            run_s = time.perf_counter() - t
            after = _cpu_s(pids)
        assert s.ok == n, s
        _calls(out, f"default_C{c}", base_url, run_s)
        out[f"default_C{c}_pool_startup_s"] = round(startup, 2)
        out[f"default_C{c}_pool_startup_cpu_s"] = round(startup_cpu, 2)
        out[f"default_C{c}_items_per_s"] = round(n / (startup + run_s), 2)
        out[f"default_C{c}_ratio"] = round(n / (startup + run_s) / (c / LATENCY_S), 3)
        out[f"default_C{c}_steady_ratio"] = round(n / run_s / (c / LATENCY_S), 3)
        per = {k: round((after[k] - before[k]) * 1000 / n, 2) for k in pids}
        out.update({f"default_C{c}_cpu_ms_per_item_{k}": v for k, v in per.items()})
        out[f"default_C{c}_cpu_ms_per_item_total"] = round(sum(per.values()), 2)


async def stub_floor(base_url: str, rounds: int, out: dict[str, Any]) -> None:
    """What the STUB and loopback HTTP alone allow: a bare aiohttp client (no toolkit) sending a
    request of the extract call's size, C at a time, C x rounds in all; ``stub_floor_C{c}`` is its
    items/s over C/L. The toolkit's ratio cannot pass it (2026-12-01, quiet box: 0.990 / 0.982 /
    0.944 at C = 1 / 8 / 64: the STUB's own answers take ~208 ms at C = 64 on 2 cores)."""
    import aiohttp

    body = {"model": "stub", "temperature": 0, "max_tokens": 200,
            "messages": [{"role": "system", "content": "x" * 2000}, {"role": "user", "content": "y" * 550}]}
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0)) as session:
        async def caller(n: int) -> None:
            for _ in range(n):
                async with session.post(base_url + "/chat/completions", json=body) as r:
                    await r.read()

        for c in LEVELS:
            t = time.perf_counter()
            await asyncio.gather(*(caller(rounds) for _ in range(c)))
            out[f"stub_floor_C{c}"] = round(c * rounds / (time.perf_counter() - t) / (c / LATENCY_S), 3)


def default_items(c: int, rounds: int) -> int:
    """Items of the default configuration's run at C: C x rounds, and at least the size at which
    ``auto_workers`` gives every core a worker when C allows it (a big batch's configuration; a
    few hundred items would always get one process)."""
    from linernotes.run.workers import IN_FLIGHT_PER_WORKER, MIN_ITEMS_PER_WORKER

    cores = os.cpu_count() or 1
    if -(-c // IN_FLIGHT_PER_WORKER) <= 1:  # one process whatever the size: C x rounds measures it
        return c * rounds
    return max(c * rounds, MIN_ITEMS_PER_WORKER * min(cores, -(-c // IN_FLIGHT_PER_WORKER)))


def run(quick: bool) -> dict[str, Any]:
    os.environ.setdefault("OPENAI_API_KEY", "sk-stub-not-a-key")
    from linernotes.testing.openai_stub import StubProcess

    rounds = 5 if quick else 20  # C x rounds items per level: run_batch setup (~10-25 ms) stays under 1%
    # one per core, and two per core: with ~7 ms of CPU per item a worker's 200 ms waits come back
    # in bursts it works through one at a time, so more, smaller workers shorten that queue
    cpus = os.cpu_count() or 2
    workers = (cpus, 2 * cpus)
    load_start = round(os.getloadavg()[0], 2)
    with tempfile.TemporaryDirectory() as tmp, StubProcess(latency_ms=LATENCY_S * 1000) as stub:
        figures = asyncio.run(_measure(stub.base_url, rounds, workers, Path(tmp), stub.pid))
    from linernotes.run.batching import item_window

    figures["llm_mode"] = "always"  # every item makes its call (the cascade's default, auto, makes fewer)
    figures["concurrency_means"] = "LLM calls in flight (the call window, llm.window)"
    figures["items_in_flight_window"] = {str(c): item_window(c) for c in LEVELS}
    figures["load_avg_1m_start"] = load_start
    ratios = [v for k, v in figures.items() if k.endswith("_ratio")]
    figures["goal_ratio"] = GOAL
    figures["goal_met_every_C_best_variant"] = all(
        max(v for k, v in figures.items() if k.endswith(f"_C{c}_ratio")) >= GOAL for c in LEVELS)
    figures["goal_met_every_C_default"] = all(figures.get(f"default_C{c}_ratio", 0) >= GOAL for c in LEVELS)
    figures["min_ratio"] = min(ratios)
    figures["cpus"] = os.cpu_count()
    figures["load_avg_1m"] = round(os.getloadavg()[0], 2)
    figures["command"] = COMMAND + (" --quick" if quick else "")
    return figures


if __name__ == "__main__":
    import json
    import sys

    print(json.dumps(run("--quick" in sys.argv), indent=2))
