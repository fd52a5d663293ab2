"""Figure 3 — the embedded model (SmolLM2-135M GGUF on llama.cpp) on the bundled example catalog:
items/s and tokens/s at 1 and 2 model threads, no cache, one item in flight.

Server start and model load are excluded (one warm-up item first); the figures are the whole
toolkit per item, of which the model's generation is nearly all. Each thread count runs in its own
process so the two servers never share the CPU.
"""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

COMMAND = "python -m benchmarks embedded"
REPO = Path(__file__).resolve().parents[1]
EXAMPLE = REPO / "examples" / "catalog.jsonl"


def _child(threads: int, limit: int | None) -> dict[str, Any]:
    from linernotes.config import TagConfig
    from linernotes.llm.client import LLMConfig
    from linernotes.run.runner import Enricher, RunOptions, run_batch

    cfg = TagConfig(llm=LLMConfig(threads=threads, parallel=1, use_cache=False), audio_base=str(EXAMPLE.parent),
                    llm_mode="always")
    enricher = Enricher(cfg)
    with tempfile.TemporaryDirectory() as tmp:
        asyncio.run(run_batch(cfg, RunOptions(input=EXAMPLE, output=Path(tmp) / "warm.jsonl", limit=1,
                                              concurrency=1), enricher=enricher))
        s = asyncio.run(run_batch(cfg, RunOptions(input=EXAMPLE, output=Path(tmp) / "out.jsonl", limit=limit,
                                                  concurrency=1, sync="batch"), enricher=enricher))
    return {"items": s.processed, "ok": s.ok, "llm_calls": s.llm_calls, "elapsed_s": round(s.elapsed_s, 2),
            "items_per_s": round(s.items_per_s, 3), "s_per_item": round(s.elapsed_s / max(1, s.processed), 2),
            "tokens_out_per_s": round(s.tokens_out / s.elapsed_s, 1),
            "tokens_total_per_s": round((s.tokens_in + s.tokens_out) / s.elapsed_s, 1)}


def run(quick: bool) -> dict[str, Any]:
    figures: dict[str, Any] = {"catalog": str(EXAMPLE.relative_to(REPO))}
    limit = 3 if quick else None
    for threads in (1, 2):
        r = subprocess.run([sys.executable, "-m", "benchmarks.bench_embedded", "--child", str(threads),
                            str(limit or 0)], capture_output=True, text=True, check=True, cwd=REPO)
        for k, v in json.loads(r.stdout.strip().splitlines()[-1]).items():
            figures[f"threads{threads}_{k}"] = v
    figures["load_avg_1m"] = round(os.getloadavg()[0], 2)
    figures["command"] = COMMAND + (" --quick" if quick else "")
    return figures


if __name__ == "__main__":
    if len(sys.argv) == 4 and sys.argv[1] == "--child":
        print(json.dumps(_child(int(sys.argv[2]), int(sys.argv[3]) or None)))
    else:
        print(json.dumps(run("--quick" in sys.argv), indent=2))
