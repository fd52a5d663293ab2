"""Is the computed confidence worth trusting? ECE and AUROC of confidence vs correctness, and what
auto-accepting at the routing threshold buys (share of items, and their accuracy).

ECE uses equal-width bins: sum over bins of |sum(conf) - sum(correct)| / N, i.e. the
count-weighted gap between mean confidence and accuracy. AUROC is the weighted Mann-Whitney
statistic over distinct confidence values (ties count one half), which equals sklearn's
``roc_auc_score`` with ``sample_weight``. Error items carry no confidence, so they are left out
of calibration (they are counted as failures and as wrong answers in the quality metrics).
"""

from __future__ import annotations

import numpy as np
from scipy import sparse

from linernotes.evals.metrics.core import Scored, ratio_stat, safe_div, totals

N_BINS = 10


def bin_index(conf: np.ndarray, n_bins: int = N_BINS) -> np.ndarray:
    return np.clip((conf * n_bins).astype(int), 0, n_bins - 1)


def ece_stat(conf: np.ndarray, correct: np.ndarray, member: np.ndarray, n_bins: int = N_BINS):
    n = len(conf)
    b = bin_index(conf, n_bins)
    rows = np.arange(n)
    m = member.astype(np.float64)
    cols = np.concatenate([b, b + n_bins, b + 2 * n_bins])
    vals = np.concatenate([m, m * conf, m * correct])
    x = sparse.csr_matrix((vals, (np.tile(rows, 3), cols)), shape=(n, 3 * n_bins))

    def f(w: np.ndarray) -> np.ndarray:
        t = totals(w, x)
        cnt, cs, ok = t[:, :n_bins], t[:, n_bins:2 * n_bins], t[:, 2 * n_bins:]
        return safe_div(np.abs(cs - ok).sum(axis=1), cnt.sum(axis=1))
    return f


def reliability_bins(conf: np.ndarray, correct: np.ndarray, n_bins: int = N_BINS) -> list[dict[str, float]]:
    b = bin_index(conf, n_bins)
    out = []
    for k in range(n_bins):
        sel = b == k
        if sel.any():
            out.append({"lo": k / n_bins, "hi": (k + 1) / n_bins, "count": int(sel.sum()),
                        "confidence": float(conf[sel].mean()), "accuracy": float(correct[sel].mean())})
    return out


def auroc_stat(conf: np.ndarray, correct: np.ndarray, member: np.ndarray):
    """AUROC as a function of item weights, via per-level positive/negative weight sums."""
    levels, level = np.unique(conf, return_inverse=True)
    n, k = len(conf), len(levels)
    pos = sparse.csr_matrix(((member * correct).astype(np.float64), (np.arange(n), level)), shape=(n, k))
    neg = sparse.csr_matrix(((member * (1 - correct)).astype(np.float64), (np.arange(n), level)), shape=(n, k))

    def f(w: np.ndarray) -> np.ndarray:
        p, q = totals(w, pos), totals(w, neg)
        below = np.cumsum(q, axis=1) - q  # negative weight strictly below each level
        num = (p * (below + 0.5 * q)).sum(axis=1)
        return safe_div(num, p.sum(axis=1) * q.sum(axis=1))
    return f


def score_calibration(task: str, conf: list[float | None], correct: list[float | None],
                      accepted: list[bool | None]) -> Scored:
    """``conf``/``correct`` None = not scored for this task; ``accepted`` None = error item."""
    out = Scored()
    n = len(conf)
    member = np.array([c is not None and k is not None for c, k in zip(conf, correct, strict=True)], dtype=float)
    c = np.array([x if x is not None else 0.0 for x in conf], dtype=np.float64)
    y = np.array([x if x is not None else 0.0 for x in correct], dtype=np.float64)
    m = int(member.sum())
    if m == 0:
        return out
    out.stats[f"{task}.ece"] = ece_stat(c, y, member)
    out.n[f"{task}.ece"] = m
    ys = y[member > 0]
    if 0 < ys.sum() < m:  # AUROC needs both right and wrong answers
        out.stats[f"{task}.auroc"] = auroc_stat(c, y, member)
        out.n[f"{task}.auroc"] = m
    else:
        out.extras[f"{task}.auroc_skipped"] = "all answers right or all wrong: AUROC undefined"
    out.extras[f"{task}.reliability"] = reliability_bins(c[member > 0], ys)
    # auto-accept: over every item scored for the task (error items count as not accepted)
    in_task = np.array([k is not None for k in correct], dtype=float)
    acc = np.array([1.0 if a else 0.0 for a in accepted]) * in_task
    out.stats[f"{task}.auto_accept_share"] = ratio_stat(acc, in_task)
    out.n[f"{task}.auto_accept_share"] = int(in_task.sum())
    if acc.sum() > 0:
        out.stats[f"{task}.auto_accept_accuracy"] = ratio_stat(acc * y, acc)
        out.n[f"{task}.auto_accept_accuracy"] = int(acc.sum())
    del n
    return out
