"""Multi-label scores (genres): micro/macro precision, recall, F1, and a hierarchy-aware variant.

Hierarchical P/R/F (Kiritchenko et al. 2005): both sets are extended with their ancestors before
counting, so predicting ``techno`` for gold ``detroit-techno`` earns the shared ``techno`` but not
full credit. Macro averages run over the classes that occur in gold or predictions (sklearn's
convention for an indicator matrix of exactly those classes, zero_division=0).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from scipy import sparse

from linernotes.evals.bootstrap import SumStat
from linernotes.evals.metrics.core import Scored, safe_div


def set_counts(gold: set[str], pred: set[str]) -> tuple[int, int, int]:
    tp = len(gold & pred)
    return tp, len(pred - gold), len(gold - pred)


def f1_of(tp: float, fp: float, fn: float) -> float:
    den = 2 * tp + fp + fn
    return 2 * tp / den if den else 0.0


def with_ancestors(ids: set[str], ancestors: Callable[[str], list[str]]) -> set[str]:
    out = set(ids)
    for i in ids:
        out.update(ancestors(i))
    return out


def _micro(prefix: str, x: np.ndarray, out: Scored, n: int) -> None:
    """x columns: tp, fp, fn."""
    out.stats[f"{prefix}precision"] = SumStat(x, lambda t: safe_div(t[:, 0], t[:, 0] + t[:, 1]))
    out.stats[f"{prefix}recall"] = SumStat(x, lambda t: safe_div(t[:, 0], t[:, 0] + t[:, 2]))
    out.stats[f"{prefix}f1"] = SumStat(x, lambda t: safe_div(2 * t[:, 0], 2 * t[:, 0] + t[:, 1] + t[:, 2]))
    for k in ("precision", "recall", "f1"):
        out.n[f"{prefix}{k}"] = n


def macro_stats(task: str, tp: sparse.csr_matrix, fp: sparse.csr_matrix, fn: sparse.csr_matrix, out: Scored,
                n: int) -> None:
    """Macro P/R/F1 over the classes present (tp+fp+fn > 0) in each resample, zero_division=0."""
    k = tp.shape[1]
    stacked = sparse.hstack([tp, fp, fn]).tocsr()

    def macro(kind: str):
        def f(t: np.ndarray) -> np.ndarray:
            a, b, c = t[:, :k], t[:, k:2 * k], t[:, 2 * k:]
            present = (a + b + c) > 0
            v = {"precision": safe_div(a, a + b), "recall": safe_div(a, a + c),
                 "f1": safe_div(2 * a, 2 * a + b + c)}[kind]
            v = np.where(present, np.nan_to_num(v, nan=0.0), 0.0)
            return safe_div(v.sum(axis=1), present.sum(axis=1))
        return f

    for kind in ("precision", "recall", "f1"):
        out.stats[f"{task}.macro_{kind}"] = SumStat(stacked, macro(kind))
        out.n[f"{task}.macro_{kind}"] = n


def score_multilabel(task: str, golds: list[list[str] | None], preds: list[list[str]],
                     ancestors: Callable[[str], list[str]] | None = None) -> Scored:
    """``golds[i] is None`` = item not in this task. An empty prediction is scored, never skipped."""
    out = Scored()
    scored = [i for i, g in enumerate(golds) if g is not None]
    n_items = len(golds)
    classes = sorted({c for i in scored for c in (*golds[i], *preds[i])})
    col = {c: j for j, c in enumerate(classes)}
    flat = np.zeros((n_items, 3), dtype=np.float64)
    hier = np.zeros((n_items, 3), dtype=np.float64)
    rows: dict[str, tuple[list[int], list[int]]] = {"tp": ([], []), "fp": ([], []), "fn": ([], [])}
    item: dict[str, list[float | None]] = {f"{task}.{k}": [None] * n_items
                                           for k in ("precision", "recall", "f1", "hit", "precise", "hier_f1")}
    for i in scored:
        g, p = set(golds[i] or []), set(preds[i])
        tp, fp, fn = set_counts(g, p)
        flat[i] = (tp, fp, fn)
        for kind, members in (("tp", g & p), ("fp", p - g), ("fn", g - p)):
            for c in members:
                rows[kind][0].append(i)
                rows[kind][1].append(col[c])
        item[f"{task}.precision"][i] = tp / (tp + fp) if tp + fp else 0.0
        item[f"{task}.recall"][i] = tp / (tp + fn) if tp + fn else 0.0
        item[f"{task}.f1"][i] = f1_of(tp, fp, fn)
        item[f"{task}.hit"][i] = float(tp > 0)
        # the field is right as a reviewer would accept it: something predicted, nothing wrong
        # (a missing genre is a recall loss; a wrong one is a tag a listener sees)
        item[f"{task}.precise"][i] = float(tp > 0 and fp == 0)
        if ancestors is not None:
            htp, hfp, hfn = set_counts(with_ancestors(g, ancestors), with_ancestors(p, ancestors))
            hier[i] = (htp, hfp, hfn)
            item[f"{task}.hier_f1"][i] = f1_of(htp, hfp, hfn)
    n = len(scored)
    _micro(f"{task}.micro_", flat, out, n)
    if ancestors is not None:
        _micro(f"{task}.hier_", hier, out, n)
    else:
        del item[f"{task}.hier_f1"]

    def mat(kind: str) -> sparse.csr_matrix:
        r, c = rows[kind]
        return sparse.csr_matrix((np.ones(len(r)), (r, c)), shape=(n_items, max(1, len(classes))))

    if classes:
        macro_stats(task, mat("tp"), mat("fp"), mat("fn"), out, n)
    tp_c, fp_c, fn_c = (np.asarray(mat(k).sum(axis=0)).ravel() for k in ("tp", "fp", "fn"))
    out.extras[f"{task}.per_class"] = [
        {"label": c, "f1": f1_of(tp_c[j], fp_c[j], fn_c[j]), "support": int(tp_c[j] + fn_c[j]),
         "predicted": int(tp_c[j] + fp_c[j])} for j, c in enumerate(classes)]
    out.item_scores.update(item)
    return out
