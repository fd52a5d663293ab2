"""Run cost and speed: latency percentiles, tokens, cost, cache hits, failure rate.

Figures come from each item's provenance. A cache hit reports the latency of the original call
path (near zero) and no new tokens; the cache-hit rate is reported next to them so a fast, free
rerun is never mistaken for a fast model.
"""

from __future__ import annotations

import numpy as np
from scipy import sparse

from linernotes.evals.bootstrap import SumStat
from linernotes.evals.metrics.core import Scored, ratio_stat


def quantile_stat(values: np.ndarray, member: np.ndarray, q: float, bins: int = 2000) -> SumStat:
    """Quantile of ``values`` over member items. The point value is exact (inverted CDF); the
    bootstrap reads it off a fine histogram (``bins`` log-spaced edges), within one bin width."""
    sel = member > 0
    exact = float(np.quantile(values[sel], q, method="inverted_cdf")) if sel.any() else float("nan")
    lo = max(float(values[sel].min()) if sel.any() else 1e-6, 1e-6)
    hi = max(float(values[sel].max()) if sel.any() else 1.0, lo * 1.0001)
    edges = np.geomspace(lo, hi, bins)
    idx = np.clip(np.searchsorted(edges, values, side="left"), 0, bins - 1)
    x = sparse.csr_matrix((member.astype(np.float64), (np.arange(len(values)), idx)), shape=(len(values), bins))

    def f(t: np.ndarray) -> np.ndarray:
        cum = np.cumsum(t, axis=1)
        total = cum[:, -1:]
        pos = np.argmax(cum >= q * total - 1e-9, axis=1)
        out = edges[pos].astype(np.float64)
        out[total[:, 0] <= 0] = np.nan
        return out
    return SumStat(x, f, exact=exact)


def score_usage(failed: list[bool], latency: list[float | None], tokens_in: list[int | None],
                tokens_out: list[int | None], cost: list[float | None], cache_hit: list[bool | None]) -> Scored:
    out = Scored()
    n = len(failed)
    ones = np.ones(n)
    out.stats["run.failure_rate"] = ratio_stat(np.array(failed, dtype=float), ones)
    out.n["run.failure_rate"] = n
    ok = np.array([x is not None for x in latency], dtype=float)
    if ok.sum() == 0:
        return out
    lat = np.array([x or 0.0 for x in latency], dtype=np.float64)
    for q, name in ((0.5, "p50"), (0.9, "p90"), (0.99, "p99")):
        out.stats[f"run.latency_{name}_s"] = quantile_stat(lat, ok, q)
        out.n[f"run.latency_{name}_s"] = int(ok.sum())
    for key, vals in (("tokens_in_mean", tokens_in), ("tokens_out_mean", tokens_out), ("cost_usd_mean", cost)):
        out.stats[f"run.{key}"] = ratio_stat(np.array([v or 0 for v in vals], dtype=float), ok)
        out.n[f"run.{key}"] = int(ok.sum())
    out.stats["run.cache_hit_rate"] = ratio_stat(np.array([1.0 if c else 0.0 for c in cache_hit]), ok)
    out.n["run.cache_hit_rate"] = int(ok.sum())
    out.extras["run.totals"] = {"items": n, "failed": int(sum(failed)), "tokens_in": int(sum(v or 0 for v in tokens_in)),
                                "tokens_out": int(sum(v or 0 for v in tokens_out)),
                                "cost_usd": float(sum(v or 0.0 for v in cost))}
    return out
