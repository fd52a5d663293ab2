"""Figure 2 — concurrency efficiency against a local STUB endpoint with a fixed 200 ms latency.

For C in-flight items, the limit is C / 0.2 s items/s; the figure is achieved items/s over that
limit, for the whole toolkit (run_batch: graph + tools + client + writer). Variants: one process
through LiteLLM+Instructor, one process on the opt-in fast path, and N worker processes
(``--workers``). The stub runs in its own process so it never shares the measured GIL.
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


async def _sweep(name: str, enricher: Any, config: Any, catalog: Path, work: Path, rounds: int,
                 out: dict[str, Any]) -> None:
    from linernotes.runner import RunOptions, run_batch

    await run_batch(config, RunOptions(input=catalog, output=work / f"{name}-warm.jsonl", concurrency=8, limit=16),
                    enricher=enricher)
    for c in LEVELS:
        n = c * rounds
        t = time.perf_counter()
        s = await run_batch(config, RunOptions(input=catalog, output=work / f"{name}-{c}.jsonl", concurrency=c,
                                               limit=n, sync="batch"), enricher=enricher)
        rate = s.processed / (time.perf_counter() - t)
        assert s.ok == n, s
        out[f"{name}_C{c}_items_per_s"] = round(rate, 2)
        out[f"{name}_C{c}_ratio"] = round(rate / (c / LATENCY_S), 3)


async def _measure(base_url: str, rounds: int, workers: int, work: Path) -> dict[str, Any]:
    from linernotes.config import TagConfig
    from linernotes.llm.client import LLMConfig
    from linernotes.parallel import WorkerPool
    from linernotes.runner import Enricher
    from linernotes.testing.synthetic import write_catalog

    catalog = write_catalog(work / "catalog.jsonl", max(LEVELS) * rounds)
    out: dict[str, Any] = {"latency_ms": LATENCY_S * 1000, "rounds": rounds, "workers": workers}
    for transport in ("litellm", "fast"):
        cfg = TagConfig(llm=LLMConfig(model="openai/stub", api_base=base_url, use_cache=False, max_retries=0,
                                      transport=transport), audio_base=str(work))
        await _sweep(f"one_process_{transport}", Enricher(cfg), cfg, catalog, work, rounds, out)
    cfg = TagConfig(llm=LLMConfig(model="openai/stub", api_base=base_url, use_cache=False, max_retries=0,
                                  transport="fast"), audio_base=str(work))
    async with WorkerPool(cfg, workers) as pool:
        await _sweep(f"{workers}_workers_fast", pool, cfg, catalog, work, rounds, out)
    return out


def run(quick: bool) -> dict[str, Any]:
    os.environ.setdefault("OPENAI_API_KEY", "sk-stub-not-a-key")
    from linernotes.testing.openai_stub import StubProcess

    rounds = 2 if quick else 5
    workers = 2
    with tempfile.TemporaryDirectory() as tmp, StubProcess(latency_ms=LATENCY_S * 1000) as stub:
        figures = asyncio.run(_measure(stub.base_url, rounds, workers, Path(tmp)))
    ratios = [v for k, v in figures.items() if k.endswith("_ratio")]
    figures["goal_ratio"] = GOAL
    figures["goal_met_every_C_best_variant"] = all(
        max(v for k, v in figures.items() if k.endswith(f"_C{c}_ratio")) >= GOAL for c in LEVELS)
    figures["min_ratio"] = min(ratios)
    figures["cpus"] = os.cpu_count()
    figures["load_avg_1m"] = round(os.getloadavg()[0], 2)
    figures["command"] = COMMAND + (" --quick" if quick else "")
    return figures


if __name__ == "__main__":
    import json
    import sys

    print(json.dumps(run("--quick" in sys.argv), indent=2))
