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

from linernotes.evals.bootstrap import SumStat
from linernotes.evals.metrics.core import Scored, ratio_stat, safe_div

N_BINS = 10


def bin_index(conf: np.ndarray, n_bins: int = N_BINS) -> np.ndarray:
    return np.clip((conf * n_bins).astype(int), 0, n_bins - 1)


def ece_stat(conf: np.ndarray, correct: np.ndarray, member: np.ndarray, n_bins: int = N_BINS) -> SumStat:
    """Columns per bin: count, sum of confidence, sum of correct."""
    n = len(conf)
    b = bin_index(conf, n_bins)
    m = member.astype(np.float64)
    cols = np.concatenate([b, b + n_bins, b + 2 * n_bins])
    vals = np.concatenate([m, m * conf, m * correct])
    x = sparse.csr_matrix((vals, (np.tile(np.arange(n), 3), cols)), shape=(n, 3 * n_bins))

    def f(t: np.ndarray) -> np.ndarray:
        cnt, cs, ok = t[:, :n_bins], t[:, n_bins:2 * n_bins], t[:, 2 * n_bins:]
        return safe_div(np.abs(cs - ok).sum(axis=1), cnt.sum(axis=1))
    return SumStat(x, f)


def plugin_ece(conf: np.ndarray, correct: np.ndarray, n_bins: int = N_BINS) -> float:
    """The plug-in ECE (Naeini et al. 2015; Guo et al. 2017): over ``n_bins`` equal-width bins,
    the item-weighted mean of |mean confidence - accuracy|. 0.0 for no items. Biased upward on
    few items: see ``ece_consistency`` for the reference a calibrated field would show."""
    conf, correct = np.asarray(conf, dtype=np.float64), np.asarray(correct, dtype=np.float64)
    bins = reliability_bins(conf, correct, n_bins)
    return sum(b["count"] * abs(b["confidence"] - b["accuracy"]) for b in bins) / max(1, len(conf))


def reliability_bins(conf: np.ndarray, correct: np.ndarray, n_bins: int = N_BINS) -> list[dict[str, float]]:
    b = bin_index(conf, n_bins)
    out = []
    for k in range(n_bins):
        sel = b == k
        if sel.any():
            out.append({"lo": k / n_bins, "hi": (k + 1) / n_bins, "count": int(sel.sum()),
                        "confidence": float(conf[sel].mean()), "accuracy": float(correct[sel].mean())})
    return out


# Consistency resampling draws (Bröcker & Smith 2007): enough that the reported mean and the
# p-value move by < 0.005 between seeds on a few hundred items.
CONSISTENCY_DRAWS = 1000


def ece_consistency(conf: np.ndarray, correct: np.ndarray, n_bins: int = N_BINS,
                    draws: int = CONSISTENCY_DRAWS, seed: int = 0) -> dict[str, float | int]:
    """How large the plug-in ECE of *these* confidences would be if they were perfectly
    calibrated: outcomes are drawn as Bernoulli(conf) ``draws`` times and each draw's ECE is
    computed with the same bins ("consistency resampling", Bröcker & Smith 2007, Weather and
    Forecasting 22(3)). The plug-in ECE is biased upward on few items (a perfectly calibrated
    field with confidences spread over 0.4-0.9 shows ~0.05 on 300 items), so a reader needs this
    reference to tell miscalibration from sampling noise.

    Returns ``{"ece", "if_calibrated" (mean over draws), "if_calibrated_p95", "p_value"
    (share of draws with an ECE >= the observed one: small = miscalibrated), "n"}``.
    ``conf``/``correct``: same length, conf in [0, 1], correct in {0, 1}."""
    conf = np.asarray(conf, dtype=np.float64)
    correct = np.asarray(correct, dtype=np.float64)
    n = len(conf)
    if n == 0:
        return {"ece": 0.0, "if_calibrated": 0.0, "if_calibrated_p95": 0.0, "p_value": 1.0, "n": 0}
    onehot = np.zeros((n, n_bins))
    onehot[np.arange(n), bin_index(conf, n_bins)] = 1.0
    conf_sum = conf @ onehot

    def ece(outcomes: np.ndarray) -> np.ndarray:  # outcomes: (k, n) -> (k,)
        return np.abs(conf_sum - outcomes @ onehot).sum(axis=1) / n

    observed = plugin_ece(conf, correct, n_bins)  # the eval's one ECE; the draws use its bins, vectorised
    rng = np.random.default_rng(seed)
    sims = ece((rng.random((draws, n)) < conf).astype(np.float64))
    return {"ece": round(observed, 4), "if_calibrated": round(float(sims.mean()), 4),
            "if_calibrated_p95": round(float(np.percentile(sims, 95)), 4),
            "p_value": round(float((sims >= observed - 1e-12).mean()), 4), "n": n}


def ece_by_answer(conf: list[float | None], correct: list[float | None], flagged: list[bool | None]
                  ) -> dict[str, dict[str, float | int]]:
    """A policy field's calibration per answer type: ``"flag"`` (the record flags the item) and
    ``"none"`` (it does not), each ``ece_consistency`` of the scored items giving that answer plus
    their ``"mean_confidence"`` and ``"accuracy"``; a type no scored item gave is left out.

    Why apart: the pooled ECE depends on the evaluated set's share of clean items. The policy
    combiner's confidence of a ``none`` answer is calibrated on its fit's clean and unsafe texts
    weighed equally, so on a gold set of unsafe prompts alone every ``none`` answer is wrong while
    its confidence says about 0.44 (the shipped fit, session 22): that part of the pooled ECE is
    the set's prior, not the flags' calibration, and this tells the two apart. ``conf``,
    ``correct``, ``flagged``: per item, None = not scored (error item or not in the task)."""
    out: dict[str, dict[str, float | int]] = {}
    for name, want in (("flag", True), ("none", False)):
        rows = [(c, k) for c, k, f in zip(conf, correct, flagged, strict=True)
                if c is not None and k is not None and f is not None and bool(f) == want]
        if rows:
            c = np.array([r[0] for r in rows], dtype=np.float64)
            k = np.array([r[1] for r in rows], dtype=np.float64)
            out[name] = {**ece_consistency(c, k), "mean_confidence": round(float(c.mean()), 4),
                         "accuracy": round(float(k.mean()), 4)}
    return out


def hand_set_share(conf: list[float | None], correct: list[float | None], calibrated: list[bool | None],
                   accepted: list[bool | None] | None = None) -> dict[str, float | int | None] | None:
    """Over the items scored for calibration (a confidence and a correctness): how many of their
    confidences are hand-set rather than calibrated probabilities (``calibrated`` False: no fitted
    combiner decided the field, e.g. a policy text outside the combiner's fitted length) and the
    plug-in ECE of the calibrated ones alone. The task's ECE, reliability and risk-coverage pool
    both kinds, as route does; a reader must know how many are not probabilities at all (QA
    qa-policy18: 20 of 40 long-text policy items at a hand-set 0.9 made the ECE 0.52, p < 0.001).

    With ``accepted`` (per item: route auto-accepted the field, ``scoring.task_scores``) also how many hand-set
    answers were auto-accepted and how many of those were right: the task's auto-accept figures
    pool them too, and a hand-set 0.9 above the run's 0.5 is never reviewed (newuser18: 12 unsafe
    prompts padded past the policy combiner's fitted length, all auto-accepted as clean, 0 right).

    Returns ``{"n", "hand_set", "ece_calibrated" (None when none is calibrated)}`` plus, with
    ``accepted``, ``"hand_set_accepted"`` and ``"hand_set_accepted_right"``; None when every
    scored confidence is calibrated."""
    took = accepted if accepted is not None else [None] * len(conf)
    rows = [(c, k, bool(h), bool(a)) for c, k, h, a in zip(conf, correct, calibrated, took, strict=True)
            if c is not None and k is not None]
    cal = [(c, k) for c, k, h, _ in rows if h]
    if len(cal) == len(rows):
        return None
    ece = round(plugin_ece(np.array([c for c, _ in cal]), np.array([k for _, k in cal])), 4) if cal else None
    out: dict[str, float | int | None] = {"n": len(rows), "hand_set": len(rows) - len(cal), "ece_calibrated": ece}
    if accepted is not None:
        hand_accepted = [k for _, k, h, a in rows if not h and a]
        out |= {"hand_set_accepted": len(hand_accepted), "hand_set_accepted_right": int(sum(k >= 0.5 for k in hand_accepted))}
    return out


def auroc_stat(conf: np.ndarray, correct: np.ndarray, member: np.ndarray, max_levels: int = 1001) -> SumStat:
    """Columns: positive and negative weight per distinct confidence level. Confidences are
    route's 4-decimal numbers; beyond ``max_levels`` distinct values they are rounded to a
    1/(max_levels-1) grid (ties within a grid step then count one half)."""
    values = conf if len(np.unique(conf)) <= max_levels else np.round(conf * (max_levels - 1)) / (max_levels - 1)
    levels, level = np.unique(values, return_inverse=True)
    n, k = len(conf), len(levels)
    pos = (member * correct).astype(np.float64)
    neg = (member * (1 - correct)).astype(np.float64)
    x = sparse.csr_matrix((np.concatenate([pos, neg]), (np.tile(np.arange(n), 2), np.concatenate([level, level + k]))),
                          shape=(n, 2 * k))

    def f(t: np.ndarray) -> np.ndarray:
        p, q = t[:, :k], t[:, k:]
        below = np.cumsum(q, axis=1) - q  # negative weight strictly below each level
        num = (p * (below + 0.5 * q)).sum(axis=1)
        return safe_div(num, p.sum(axis=1) * q.sum(axis=1))
    return SumStat(x, f)


def score_calibration(task: str, conf: list[float | None], correct: list[float | None],
                      accepted: list[bool | None]) -> Scored:
    """``conf``/``correct`` None = not scored for this task; ``accepted`` None = error item."""
    out = Scored()
    member = np.array([c is not None and k is not None for c, k in zip(conf, correct, strict=True)], dtype=float)
    c = np.array([x if x is not None else 0.0 for x in conf], dtype=np.float64)
    y = np.array([x if x is not None else 0.0 for x in correct], dtype=np.float64)
    m = int(member.sum())
    if m == 0:
        out.skipped[f"{task}.ece"] = "no scored item has a confidence (no values)"
        return out
    out.stats[f"{task}.ece"] = ece_stat(c, y, member)
    out.n[f"{task}.ece"] = m
    ys = y[member > 0]
    if 0 < ys.sum() < m:  # AUROC needs both right and wrong answers
        out.stats[f"{task}.auroc"] = auroc_stat(c, y, member)
        out.n[f"{task}.auroc"] = m
    else:
        out.skipped[f"{task}.auroc"] = "all answers right or all wrong: AUROC undefined"
    out.extras[f"{task}.reliability"] = reliability_bins(c[member > 0], ys)
    out.extras[f"{task}.ece_consistency"] = ece_consistency(c[member > 0], ys)
    # auto-accept: over every item scored for the task (error items count as not accepted)
    in_task = np.array([k is not None for k in correct], dtype=float)
    acc = np.array([1.0 if a else 0.0 for a in accepted]) * in_task
    out.stats[f"{task}.auto_accept_share"] = ratio_stat(acc, in_task)
    out.n[f"{task}.auto_accept_share"] = int(in_task.sum())
    if acc.sum() > 0:
        out.stats[f"{task}.auto_accept_accuracy"] = ratio_stat(acc * y, acc)
        out.n[f"{task}.auto_accept_accuracy"] = int(acc.sum())
    else:
        out.skipped[f"{task}.auto_accept_accuracy"] = "no item was auto-accepted"
    return out


RISK_THRESHOLDS = tuple(round(0.1 * k, 1) for k in range(10)) + (0.95,)


def risk_coverage(conf: list[float | None], correct: list[float | None],
                  thresholds: tuple[float, ...] = RISK_THRESHOLDS) -> list[dict[str, float | int | None]]:
    """Selective-prediction table (Geifman & El-Yaniv 2017, "risk-coverage"): for each threshold
    t, ``coverage`` = share of the task's items whose field confidence is >= t (auto-accepted;
    error items have no confidence and are never accepted), ``precision`` = share of those that
    are right (None when none is accepted), ``accepted`` = how many. ``correct`` None = the item
    is not in the task."""
    k = np.array([np.nan if x is None else x for x in correct], dtype=np.float64)
    c = np.array([np.nan if x is None else x for x in conf], dtype=np.float64)
    in_task = ~np.isnan(k)
    n = int(in_task.sum())
    c, k = c[in_task], k[in_task]
    rows = []
    for t in thresholds:
        acc = ~np.isnan(c) & (c >= t)  # NaN (error item) is never accepted
        m = int(acc.sum())
        rows.append({"threshold": t, "coverage": m / n if n else None,
                     "precision": float(k[acc].sum()) / m if m else None, "accepted": m})
    return rows
