"""Valence: Pearson r and MAE against the rater mean, and the human ceiling.

The ceiling asks how well ONE person agrees with the others: for each item and each rater j,
compare rating_j with the mean of the other raters (leave-one-out), every rater of an item
weighted 1/m so each item counts once. It is computed from the data, never assumed.
``raters_alpha`` is Krippendorff's interval alpha among the raters (how much people agree at all).
All figures come from per-item moments (sums of x, y, x², y², xy, |x-y|), so the bootstrap is a
matrix product.
"""

from __future__ import annotations

import numpy as np

from linernotes.evals.bootstrap import SumStat
from linernotes.evals.metrics.core import Scored, safe_div

MOMENTS = ("x", "y", "xx", "yy", "xy", "n", "abs", "ok")


def pearson_from(t: np.ndarray) -> np.ndarray:
    sx, sy, sxx, syy, sxy, n = (t[:, i] for i in range(6))
    cov = n * sxy - sx * sy
    var = (n * sxx - sx**2) * (n * syy - sy**2)
    return safe_div(cov, np.sqrt(np.clip(var, 0, None)))


def _stats(prefix: str, x: np.ndarray, out: Scored, n: int, with_accuracy: bool) -> None:
    stats = {f"{prefix}pearson": SumStat(x, pearson_from),
             f"{prefix}mae": SumStat(x, lambda t: safe_div(t[:, 6], t[:, 5]))}
    if with_accuracy:
        stats[f"{prefix}within_tol"] = SumStat(x, lambda t: safe_div(t[:, 7], t[:, 5]))
    out.stats.update(stats)
    out.n.update({k: n for k in stats})


def loo_moments(ratings: list[float]) -> list[float] | None:
    """Average moments of (rating_j, mean of the others) over raters j; None with < 2 raters."""
    r = np.asarray(ratings, dtype=np.float64)
    m = len(r)
    if m < 2:
        return None
    others = (r.sum() - r) / (m - 1)
    return [r.mean(), others.mean(), (r * r).mean(), (others * others).mean(), (r * others).mean(), 1.0,
            np.abs(r - others).mean(), 0.0]


def alpha_columns(ratings: list[float]) -> list[float]:
    """Per-item sums for Krippendorff's interval alpha: within-item disagreement (pairs weighted
    1/(m-1)), number of values, sum, sum of squares. Items with < 2 ratings are not pairable."""
    r = np.asarray(ratings, dtype=np.float64)
    m = len(r)
    if m < 2:
        return [0.0, 0.0, 0.0, 0.0]
    s1, s2 = r.sum(), (r * r).sum()
    return [(2 * m * s2 - 2 * s1 * s1) / (m - 1), float(m), s1, s2]


def alpha_from(t: np.ndarray) -> np.ndarray:
    """alpha = 1 - D_o / D_e with D_o = A/n and D_e = (2 n S2 - 2 S1²) / (n (n-1))."""
    a, n, s1, s2 = (t[:, i] for i in range(4))
    d_o = safe_div(a, n)
    d_e = safe_div(2 * n * s2 - 2 * s1 * s1, n * (n - 1))
    return 1 - safe_div(d_o, d_e)


def rater_columns(ratings: list[list[float] | None]) -> tuple[np.ndarray, np.ndarray]:
    """``loo_moments`` and ``alpha_columns`` for every item at once (zeros where < 2 raters).

    Per-item numpy calls on a handful of ratings cost ~50 µs each, most of the scoring time at
    100k items; here each column is one ``reduceat`` over the flattened ratings."""
    n_items = len(ratings)
    human, alpha = np.zeros((n_items, len(MOMENTS))), np.zeros((n_items, 4))
    counts = np.array([len(r) if r else 0 for r in ratings], dtype=np.int64)
    rows = np.flatnonzero(counts >= 2)
    if not len(rows):
        return human, alpha
    m = counts[rows].astype(np.float64)
    r = np.fromiter((v for i in rows for v in ratings[i]), dtype=np.float64, count=int(counts[rows].sum()))
    starts = np.concatenate(([0], np.cumsum(counts[rows])[:-1]))
    m_flat = np.repeat(m, counts[rows])
    s1 = np.add.reduceat(r, starts)
    s2 = np.add.reduceat(r * r, starts)
    others = (np.repeat(s1, counts[rows]) - r) / (m_flat - 1)

    def mean(v: np.ndarray) -> np.ndarray:
        return np.add.reduceat(v, starts) / m

    human[rows] = np.column_stack([s1 / m, mean(others), s2 / m, mean(others * others), mean(r * others),
                                   np.ones(len(rows)), mean(np.abs(r - others)), np.zeros(len(rows))])
    alpha[rows] = np.column_stack([(2 * m * s2 - 2 * s1 * s1) / (m - 1), m, s1, s2])
    return human, alpha


def score_valence(task: str, golds: list[float | None], preds: list[float], ratings: list[list[float] | None],
                  tolerance: float) -> Scored:
    out = Scored()
    n_items = len(golds)
    has_gold = np.array([g is not None for g in golds], dtype=bool)
    g = np.array([0.0 if v is None else v for v in golds], dtype=np.float64)
    p = np.asarray(preds, dtype=np.float64)
    err = np.abs(p - g)
    ok = (err <= tolerance).astype(np.float64)
    x = np.column_stack([p, g, p * p, g * g, p * g, np.ones(n_items), err, ok]) * has_gold[:, None]
    human, alpha = rater_columns([r if has_gold[i] else None for i, r in enumerate(ratings)])
    n = int(has_gold.sum())
    _stats(f"{task}.", x, out, n, with_accuracy=True)
    n_h = int((human[:, 5] > 0).sum())
    if n_h:
        _stats(f"{task}.human_", human, out, n_h, with_accuracy=False)
        out.stats[f"{task}.raters_alpha"] = SumStat(alpha, alpha_from)
        out.n[f"{task}.raters_alpha"] = n_h
    out.item_scores[f"{task}.abs_err"] = [float(e) if h else None for e, h in zip(err, has_gold, strict=True)]
    out.item_scores[f"{task}.within_tol"] = [float(o) if h else None for o, h in zip(ok, has_gold, strict=True)]
    return out
