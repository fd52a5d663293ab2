"""Figure 7 — peak RSS while streaming synthetic items through the runner (goal < 500 MB), and
whether memory grows with input size.

Each size runs in a fresh process (peak RSS of that process alone). Two paths:
- ``runner``: ``run_batch`` with a STUB Enricher (linernotes.testing.stub_enricher: no graph, no
  LLM) — the reader, scheduler, writer and per-item bookkeeping over up to 1M rows;
- ``graph``: the whole graph against the 0 ms STUB endpoint, at sizes a shared 2-core machine can
  run (tens of ms of CPU per item), to show the graph holds nothing per item.
Growth per item is the RSS slope between 25% and 100% of the run, sampled with psutil.
"""

from __future__ import annotations

import asyncio
import json
import os
import resource
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

COMMAND = "python -m benchmarks memory"
GOAL_MB = 500


def _child(mode: str, n: int) -> dict[str, Any]:
    import psutil

    from linernotes.run.runner import RunOptions, run_batch
    from linernotes.testing.synthetic import write_catalog

    proc = psutil.Process()
    samples: dict[str, float] = {}
    marks = {int(n * f): f for f in (0.25, 0.5, 1.0)}

    def on_record(_rec: Any, s: Any) -> None:
        if s.processed in marks:
            samples[str(marks[s.processed])] = proc.memory_info().rss / 2**20

    with tempfile.TemporaryDirectory() as tmp:
        catalog = write_catalog(Path(tmp) / "catalog.jsonl", n)
        opts = RunOptions(input=catalog, output=Path(tmp) / "out.jsonl", concurrency=64, sync="batch")
        before = proc.memory_info().rss / 2**20
        if mode == "runner":
            from linernotes.config import TagConfig
            from linernotes.testing.stub_enricher import StubEnricher

            summary = asyncio.run(run_batch(TagConfig(), opts, enricher=StubEnricher(), on_record=on_record))
        else:
            from linernotes.config import TagConfig
            from linernotes.llm.client import LLMConfig
            from linernotes.testing.openai_stub import StubProcess

            os.environ.setdefault("OPENAI_API_KEY", "sk-stub-not-a-key")
            with StubProcess(latency_ms=0) as stub:
                cfg = TagConfig(llm=LLMConfig(model="openai/stub", api_base=stub.base_url, use_cache=False,
                                              max_retries=0), llm_mode="always")
                summary = asyncio.run(run_batch(cfg, opts, on_record=on_record))
        out_mb = opts.output.stat().st_size / 2**20
    assert summary.ok == n, summary
    peak = _peak_rss_mb()
    growth = (samples["1.0"] - samples["0.25"]) * 2**20 / (0.75 * n)
    return {"items": n, "peak_rss_mb": round(peak, 1), "rss_before_run_mb": round(before, 1),
            "rss_at_25pct_mb": round(samples["0.25"], 1), "rss_at_end_mb": round(samples["1.0"], 1),
            "growth_bytes_per_item": round(growth, 1), "items_per_s": round(summary.items_per_s, 1),
            "output_mb": round(out_mb, 1)}


def _peak_rss_mb() -> float:
    """VmHWM: this process's own high-water mark. Not ru_maxrss, which Linux carries across the
    fork+exec that started us, so it reports the (bigger) parent's size."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _spawn(mode: str, n: int) -> dict[str, Any]:
    r = subprocess.run([sys.executable, "-m", "benchmarks.bench_memory", "--child", mode, str(n)],
                       capture_output=True, text=True, check=True, cwd=Path(__file__).resolve().parents[1])
    return json.loads(r.stdout.strip().splitlines()[-1])


def run(quick: bool) -> dict[str, Any]:
    sizes = {"runner": (20_000, 100_000) if quick else (100_000, 1_000_000),
             "graph": (200, 800) if quick else (500, 2_000)}
    figures: dict[str, Any] = {}
    for mode, ns in sizes.items():
        for n in ns:
            for k, v in _spawn(mode, n).items():
                if k != "items":
                    figures[f"{mode}_{n}_{k}"] = v
    peaks = [v for k, v in figures.items() if k.endswith("peak_rss_mb")]
    figures["goal_mb"] = GOAL_MB
    figures["goal_met"] = max(peaks) < GOAL_MB
    figures["load_avg_1m"] = round(os.getloadavg()[0], 2)
    figures["command"] = COMMAND + (" --quick" if quick else "")
    return figures


if __name__ == "__main__":
    if len(sys.argv) == 4 and sys.argv[1] == "--child":
        print(json.dumps(_child(sys.argv[2], int(sys.argv[3]))))
    else:
        print(json.dumps(run("--quick" in sys.argv), indent=2))
