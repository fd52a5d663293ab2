"""Clustered bootstrap, vectorised over per-item sufficient statistics.

Every metric is a ``SumStat``: a per-item matrix ``x`` (n items × k columns: tp/fp/fn, moments,
histogram counts ...) and a function ``f`` of column totals. Resampling then only needs
weighted column sums: items are first summed per cluster (album, label, source), a resample
draws clusters with replacement (``counts``: b × G), and ``counts @ S`` gives every metric's
totals for b resamples in one sparse/dense product. Paired comparisons stack two runs'
statistics side by side so both see the SAME resamples.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass

import numpy as np
from scipy import sparse

Totals = Callable[[np.ndarray], np.ndarray]


@dataclass(frozen=True)
class SumStat:
    """A metric = ``f(column totals of x)``; ``exact`` overrides the point value when the
    bootstrap works on a binned approximation (latency quantiles)."""

    x: np.ndarray | sparse.spmatrix
    f: Totals
    exact: float | None = None

    def at(self, weights: np.ndarray) -> np.ndarray:
        """The metric for item weights of shape (b, n) (or (n,)); used by tests and diagnostics."""
        w = np.atleast_2d(np.asarray(weights, dtype=np.float64))
        t = np.asarray((self.x.T @ w.T).T) if sparse.issparse(self.x) else w @ self.x
        return self.f(t)

    def point(self) -> float:
        if self.exact is not None:
            return float(self.exact)
        return float(self.at(np.ones(self.x.shape[0]))[0])


@dataclass(frozen=True)
class Estimate:
    value: float
    ci_low: float | None
    ci_high: float | None
    samples: np.ndarray | None = None


def group_codes(groups: list[str | None], ids: list[str]) -> np.ndarray:
    """Integer cluster codes; an item without a group is its own cluster."""
    keys = [g if g is not None else f"\x00item:{i}" for g, i in zip(groups, ids, strict=True)]
    _, codes = np.unique(np.array(keys, dtype=str), return_inverse=True)
    return codes.astype(np.int64)


def cluster_counts(n_groups: int, resamples: int, seed: int, chunk: int = 0) -> Iterator[np.ndarray]:
    """Yield (b, G) draw counts: how often each cluster appears in each resample."""
    rng = np.random.default_rng(seed)
    chunk = chunk or max(1, min(resamples, 4_000_000 // max(1, n_groups)))
    done = 0
    while done < resamples:
        b = min(chunk, resamples - done)
        draws = rng.integers(0, n_groups, size=(b, n_groups))
        flat = (draws + np.arange(b)[:, None] * n_groups).ravel()
        yield np.bincount(flat, minlength=b * n_groups).reshape(b, n_groups).astype(np.float64)
        done += b


def _interval(samples: np.ndarray, confidence: float) -> tuple[float | None, float | None]:
    finite = samples[np.isfinite(samples)]
    if finite.size == 0:
        return None, None
    tail = (1 - confidence) / 2 * 100
    lo, hi = np.percentile(finite, [tail, 100 - tail])
    return float(lo), float(hi)


def resample_totals(stats: dict[str, SumStat], codes: np.ndarray, resamples: int, seed: int
                    ) -> Iterator[dict[str, np.ndarray]]:
    """Per chunk of resamples, each metric's values (b,) computed from shared cluster draws."""
    n = len(codes)
    if n == 0 or resamples <= 0 or not stats:
        return
    names = list(stats)
    blocks = [sparse.csr_matrix(stats[k].x, dtype=np.float64) for k in names]
    offsets = np.cumsum([0, *(b.shape[1] for b in blocks)])
    x = sparse.hstack(blocks, format="csr")
    n_groups = int(codes.max()) + 1
    member = sparse.csr_matrix((np.ones(n), (codes, np.arange(n))), shape=(n_groups, n))
    s = (member @ x).tocsr()
    dense = n_groups * s.shape[1] <= 20_000_000
    s_dense = s.toarray() if dense else None
    s_t = s.T.tocsr()
    for counts in cluster_counts(n_groups, resamples, seed):
        t = counts @ s_dense if dense else np.asarray((s_t @ counts.T).T)
        yield {k: np.asarray(stats[k].f(t[:, offsets[j]:offsets[j + 1]]), dtype=np.float64)
               for j, k in enumerate(names)}


def bootstrap(stats: dict[str, SumStat], codes: np.ndarray, resamples: int = 1000, seed: int = 0,
              confidence: float = 0.95, keep_samples: bool = False) -> dict[str, Estimate]:
    """Point estimates and percentile intervals for many metrics from one set of resamples."""
    chunks: dict[str, list[np.ndarray]] = {k: [] for k in stats}
    for values in resample_totals(stats, codes, resamples, seed):
        for k, v in values.items():
            chunks[k].append(v)
    out = {}
    for k, st in stats.items():
        samples = np.concatenate(chunks[k]) if chunks[k] else np.array([])
        lo, hi = _interval(samples, confidence) if samples.size else (None, None)
        out[k] = Estimate(st.point(), lo, hi, samples if keep_samples else None)
    return out


def paired_bootstrap(base: dict[str, SumStat], cand: dict[str, SumStat], codes: np.ndarray,
                     resamples: int = 1000, seed: int = 0) -> dict[str, Estimate]:
    """Distribution of ``cand - base`` per metric under shared resamples (items aligned)."""
    names = [k for k in base if k in cand]
    both = {**{f"b\x00{k}": base[k] for k in names}, **{f"c\x00{k}": cand[k] for k in names}}
    chunks: dict[str, list[np.ndarray]] = {k: [] for k in names}
    for values in resample_totals(both, codes, resamples, seed):
        for k in names:
            chunks[k].append(values[f"c\x00{k}"] - values[f"b\x00{k}"])
    out = {}
    for k in names:
        samples = np.concatenate(chunks[k]) if chunks[k] else np.array([])
        lo, hi = _interval(samples, 0.95) if samples.size else (None, None)
        out[k] = Estimate(cand[k].point() - base[k].point(), lo, hi, samples)
    return out
