"""The LLM cascade (issue 16): ``--llm auto`` against ``--llm always`` on the embedded model
(SmolLM2-135M GGUF, llama.cpp, 1 thread, one item in flight, no response cache), side by side in
one run so the machine's load hits both alike.

a) the bundled example: items/s of ``auto`` (the default) and of ``always --rationale`` (every
   item's every field, with a rationale: the behaviour before the cascade), LLM calls, output
   tokens and prompt tokens per item. Goal: >= 3x the items/s.
b) eval specs (``ci-slice`` whole; ``bandcamp-genres`` on ``--limit`` items, 300 unless --quick):
   wall time and each headline metric for both, the paired difference auto - always with its 95%
   clustered bootstrap CI (``liner gate``'s comparison). Goals: bandcamp-genres >= 5x faster,
   micro-F1 within 0.01; the CI slice no worse.
c) LLM calls per item under ``auto`` on the three dev gold sets' samples (counted against the
   OpenAI STUB: which fields get asked does not depend on the answers).

Server start and model load are excluded (one warm-up item first).
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

COMMAND = "python -m benchmarks cascade"
REPO = Path(__file__).resolve().parents[1]
EXAMPLE = REPO / "examples" / "catalog.jsonl"
HEADLINE = {"ci-slice": ["genres.micro_f1", "valence.pearson", "valence.mae", "policy.flag_recall", "policy.accuracy"],
            "bandcamp-genres": ["genres.micro_f1", "genres.hier_f1"]}


def _config(mode: str, rationale: bool = False):
    from linernotes.config import TagConfig
    from linernotes.llm.client import LLMConfig

    return TagConfig(llm=LLMConfig(threads=1, parallel=1, use_cache=False), llm_mode=mode, rationale=rationale,
                     audio_base=str(EXAMPLE.parent))


def _example(mode: str, rationale: bool) -> dict[str, Any]:
    from linernotes.run.runner import Enricher, RunOptions, run_batch

    cfg = _config(mode, rationale)
    enricher = Enricher(cfg)
    with tempfile.TemporaryDirectory() as tmp:
        warm = Path(tmp) / "warm.jsonl"
        # warm-up on an item that calls the model in either mode (the untagged-language track)
        warm_row = next(line for line in EXAMPLE.read_text().splitlines() if '"trk-004"' in line)
        (Path(tmp) / "w.jsonl").write_text(warm_row + "\n")
        asyncio.run(run_batch(_config("always"), RunOptions(input=Path(tmp) / "w.jsonl", output=warm, concurrency=1),
                              enricher=enricher))
        s = asyncio.run(run_batch(cfg, RunOptions(input=EXAMPLE, output=Path(tmp) / "out.jsonl", concurrency=1,
                                                  sync="batch"), enricher=enricher))
        recs = [json.loads(x) for x in (Path(tmp) / "out.jsonl").read_text().splitlines()]
    prov = [r["enrichment"]["provenance"] for r in recs if r["status"] == "ok"]
    n = max(1, s.processed)
    return {"items": s.processed, "ok": s.ok, "routed": sum(r["enrichment"]["review"]["routed"] for r in recs
                                                          if r["status"] == "ok"),
            "elapsed_s": round(s.elapsed_s, 2), "items_per_s": round(s.items_per_s, 3),
            "llm_calls_per_item": round(s.llm_calls / n, 3), "tokens_out_per_item": round(s.tokens_out / n, 1),
            "tokens_in_per_item": round(s.tokens_in / n, 1),
            # llama.cpp reuses a cached prompt prefix (the stable instructions come first)
            "prompt_tokens_cached_per_item": round(sum(p.get("tokens_cached", 0) for p in prov) / n, 1),
            "prompt_tokens_evaluated_per_item": round(sum(p["tokens_in"] - p.get("tokens_cached", 0)
                                                          for p in prov) / n, 1)}


def _eval(spec: str, mode: str, limit: int | None, folder: Path) -> tuple[Path, float]:
    from linernotes.evals.run import EvalOptions, evaluate

    out = folder / f"{spec}-{mode}.json"
    t = time.perf_counter()
    rec = asyncio.run(evaluate(EvalOptions(spec=spec, output=out, limit=limit, concurrency=1, resamples=200),
                               _config(mode)))
    wall = time.perf_counter() - t
    rec.save(out)
    return out, wall


def _compare(spec: str, limit: int | None) -> dict[str, Any]:
    from linernotes.evals.gate import Rule, Rules, run_gate

    figures: dict[str, Any] = {}
    with tempfile.TemporaryDirectory() as tmp:
        paths, walls = {}, {}
        for mode in ("always", "auto"):
            paths[mode], walls[mode] = _eval(spec, mode, limit, Path(tmp))
            calls = [json.loads(x) for x in
                     paths[mode].with_name(paths[mode].name + ".d").joinpath("predictions.jsonl").read_text()
                     .splitlines()]
            n = max(1, len(calls))
            figures[f"{mode}_wall_s"] = round(walls[mode], 1)
            figures[f"{mode}_llm_calls_per_item"] = round(sum(
                ((c.get("enrichment") or {}).get("provenance") or {}).get("llm_calls", 0) for c in calls) / n, 3)
        figures["items"] = n
        figures["speedup_wall"] = round(walls["always"] / max(walls["auto"], 1e-9), 2)
        rules = Rules(rules=[Rule(metric=m, max_drop=0.01, direction="lower" if m.endswith("mae") else "higher")
                             for m in HEADLINE[spec]])
        result = run_gate(paths["always"], paths["auto"], rules, resamples=1000)
        for o in result.outcomes:
            m = o.rule.metric
            figures[f"{m}_always"] = o.baseline
            figures[f"{m}_auto"] = o.candidate
            figures[f"{m}_auto_minus_always"] = o.delta
            figures[f"{m}_diff_ci95"] = [o.ci_low, o.ci_high]
    return figures


def _preload() -> None:
    """Import what the runs use up front: figures from one consistent tree."""
    import linernotes.evals.gate  # noqa: F401
    import linernotes.evals.run  # noqa: F401
    import linernotes.run.runner  # noqa: F401


def calls_per_item(spec: str, limit: int | None) -> float:
    """LLM calls per item under ``--llm auto`` on a spec's sample. Which fields get asked does not
    depend on the model's answers, so the model is the OpenAI STUB (a test double answering any
    schema) and only the requests are counted."""
    from linernotes.config import TagConfig
    from linernotes.evals.run import EvalOptions, evaluate
    from linernotes.llm.config import LLMConfig
    from linernotes.testing.openai_stub import StubServer

    os.environ.setdefault("OPENAI_API_KEY", "sk-stub-not-a-key")  # LiteLLM's openai/ route wants one
    with StubServer() as stub, tempfile.TemporaryDirectory() as tmp:
        cfg = TagConfig(llm=LLMConfig(model="openai/stub", api_base=stub.base_url, use_cache=False, max_retries=0))
        rec = asyncio.run(evaluate(EvalOptions(spec=spec, output=Path(tmp) / "r.json", limit=limit, concurrency=4,
                                               resamples=0), cfg))
        return round(stub.count / max(1, len(rec.items)), 3)


def run(quick: bool, limit: int | None = None) -> dict[str, Any]:
    _preload()
    figures: dict[str, Any] = {"catalog": str(EXAMPLE.relative_to(REPO)), "model": "embedded SmolLM2-135M, 1 thread"}
    before = _example("always", rationale=True)
    after = _example("auto", rationale=False)
    for k, v in before.items():
        figures[f"example_always_rationale_{k}"] = v
    for k, v in after.items():
        figures[f"example_auto_{k}"] = v
    figures["example_speedup_items_per_s"] = round(after["items_per_s"] / max(before["items_per_s"], 1e-9), 2)
    for spec, n in (("ci-slice", None), ("bandcamp-genres", limit or (30 if quick else 300))):
        for k, v in _compare(spec, n).items():
            figures[f"{spec}_{k}"] = v
    for spec in ("bandcamp-genres", "vader-valence", "policy-prompts"):
        figures[f"{spec}_auto_llm_calls_per_item"] = calls_per_item(spec, 30 if quick else 300)
    figures["load_avg_1m"] = round(os.getloadavg()[0], 2)
    figures["command"] = COMMAND + (" --quick" if quick else "")
    return figures


if __name__ == "__main__":  # python -m benchmarks.bench_cascade [--quick] [--limit N]
    n = int(sys.argv[sys.argv.index("--limit") + 1]) if "--limit" in sys.argv else None
    print(json.dumps({**run("--quick" in sys.argv, n), "command": " ".join(["python -m benchmarks.bench_cascade",
                                                                          *sys.argv[1:]])}, indent=2))
