"""Clustered bootstrap, vectorised: every metric is a function of item weights.

A metric is ``stat(w) -> values`` with ``w`` of shape (resamples, items): row ``b`` says how often
each item appears in resample ``b``. Resampling whole groups (album, label, source) gives every
item of a drawn group the group's count, which is the cluster bootstrap. The point estimate is the
same function at ``w = 1``. Paired comparisons apply the *same* weights to two runs' statistics.
Sums like ``w @ X`` over per-item sufficient statistics (tp/fp/fn, moments) make 1,000 resamples
of 100k items a few matrix products.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass

import numpy as np

Stat = Callable[[np.ndarray], np.ndarray]


@dataclass(frozen=True)
class Estimate:
    value: float
    ci_low: float | None
    ci_high: float | None
    samples: np.ndarray | None = None


def group_codes(groups: list[str | None], ids: list[str]) -> np.ndarray:
    """Integer cluster codes; an item without a group is its own cluster."""
    keys = [g if g is not None else f"\x00item:{i}" for g, i in zip(groups, ids, strict=True)]
    _, codes = np.unique(np.array(keys, dtype=object).astype(str), return_inverse=True)
    return codes.astype(np.int64)


def resample_weights(codes: np.ndarray, resamples: int, seed: int, chunk: int = 0) -> Iterator[np.ndarray]:
    """Yield (b, n) float32 item weights, ``chunk`` resamples at a time (bounded memory)."""
    n_groups = int(codes.max()) + 1 if len(codes) else 0
    if n_groups == 0 or resamples <= 0:
        return
    rng = np.random.default_rng(seed)
    chunk = chunk or max(1, min(resamples, 2_000_000 // max(n_groups, len(codes))))
    done = 0
    while done < resamples:
        b = min(chunk, resamples - done)
        draws = rng.integers(0, n_groups, size=(b, n_groups))
        flat = (draws + (np.arange(b)[:, None] * n_groups)).ravel()
        counts = np.bincount(flat, minlength=b * n_groups).reshape(b, n_groups).astype(np.float32)
        yield counts[:, codes]
        done += b


def _interval(samples: np.ndarray, confidence: float) -> tuple[float | None, float | None]:
    finite = samples[np.isfinite(samples)]
    if finite.size == 0:
        return None, None
    tail = (1 - confidence) / 2 * 100
    lo, hi = np.percentile(finite, [tail, 100 - tail])
    return float(lo), float(hi)


def point(stat: Stat, n: int) -> float:
    return float(stat(np.ones((1, n), dtype=np.float32))[0])


def bootstrap(stats: dict[str, Stat], codes: np.ndarray, resamples: int = 1000, seed: int = 0,
              confidence: float = 0.95, keep_samples: bool = False) -> dict[str, Estimate]:
    """Point estimates and percentile intervals for many metrics from one set of resamples."""
    n = len(codes)
    chunks: dict[str, list[np.ndarray]] = {k: [] for k in stats}
    for w in resample_weights(codes, resamples, seed):
        for k, f in stats.items():
            chunks[k].append(np.asarray(f(w), dtype=np.float64))
    out = {}
    for k, f in stats.items():
        samples = np.concatenate(chunks[k]) if chunks[k] else np.array([])
        lo, hi = _interval(samples, confidence) if samples.size else (None, None)
        out[k] = Estimate(point(f, n), lo, hi, samples if keep_samples else None)
    return out


def paired_bootstrap(base: dict[str, Stat], cand: dict[str, Stat], codes: np.ndarray, resamples: int = 1000,
                     seed: int = 0) -> dict[str, Estimate]:
    """Distribution of ``cand - base`` per metric under shared resamples (items aligned)."""
    names = [k for k in base if k in cand]
    diff = {k: (lambda w, k=k: cand[k](w) - base[k](w)) for k in names}
    return bootstrap(diff, codes, resamples, seed, keep_samples=True)
