"""Scoring speed of the evaluation harness (``python -m benchmarks eval``).

Scores a synthetic run record (genres, valence, policy, calibration, usage: ~60 metrics) with
1,000 clustered bootstrap resamples. Wall and CPU seconds are both given: on a shared machine
the CPU figure is the reproducible one. Reported apart: the bootstrap alone, and ragas' per-item
non-LLM context precision/recall, which is per-item Python and dominates at 100k items.
"""

from __future__ import annotations

import time

import numpy as np

COMMAND = "python -m benchmarks eval"


def run(quick: bool = False) -> dict:
    from linernotes.evals.bootstrap import bootstrap, group_codes
    from linernotes.evals.scoring import build_scored, score_record
    from linernotes.evals.synthetic import synthetic_record

    n = 10_000 if quick else 100_000
    resamples = 1000
    t = time.perf_counter()
    rec = synthetic_record(n, seed=0, retrieval=False)
    build_s = time.perf_counter() - t

    t = time.perf_counter()
    scored = build_scored(rec)
    stats_s = time.perf_counter() - t
    codes = group_codes([it.group for it in rec.items], [it.id for it in rec.items])
    t, c = time.perf_counter(), time.process_time()
    est = bootstrap(scored.stats, codes, resamples, seed=0)
    boot_s, boot_cpu_s = time.perf_counter() - t, time.process_time() - c

    t, c = time.perf_counter(), time.process_time()
    scored_rec = score_record(rec, resamples=resamples)
    total_s, total_cpu_s = time.perf_counter() - t, time.process_time() - c

    small = synthetic_record(2_000, seed=1, retrieval=True)
    t = time.perf_counter()
    from linernotes.evals.metrics.retrieval import score_retrieval

    score_retrieval("genres", [it.gold.get("genres") for it in small.items],
                    [[c["id"] for c in ((it.prediction or {}).get("evidence") or {}).get("genres", [])]
                     for it in small.items])
    ragas_per_item_ms = (time.perf_counter() - t) / len(small.items) * 1000
    widths = [e.ci_high - e.ci_low for e in est.values() if e.ci_low is not None]
    return {
        "items": n, "resamples": resamples, "metrics": len(est), "clusters": int(codes.max()) + 1,
        "per_item_stats_s": round(stats_s, 2), "bootstrap_s": round(boot_s, 2), "bootstrap_cpu_s": round(boot_cpu_s, 2),
        "score_record_total_s": round(total_s, 2), "score_record_cpu_s": round(total_cpu_s, 2), "synthetic_build_s": round(build_s, 2),
        "ragas_context_pr_ms_per_item": round(ragas_per_item_ms, 3),
        "median_ci_width": round(float(np.median(widths)), 4),
        "genres_micro_f1": scored_rec.metrics["genres.micro_f1"].value,
        "command": COMMAND + (" --quick" if quick else ""),
    }
