"""Single-label scores (policy category): accuracy, macro precision/recall/F1, confusion matrix.

Macro averages run over the labels that occur in gold or predictions, like sklearn with
``labels=None`` and ``zero_division=0``.
"""

from __future__ import annotations

import numpy as np
from scipy import sparse

from linernotes.evals.metrics.core import Scored, ratio_stat
from linernotes.evals.metrics.multilabel import macro_stats


def score_singlelabel(task: str, golds: list[str | None], preds: list[str | None]) -> Scored:
    """``golds[i] is None``: item not in this task. ``preds[i] is None``: no value (a declared
    signal left undecided): wrong for accuracy and a miss of its gold class, but not a predicted
    class of its own, so it neither adds a zero-F1 column to the macro average nor a confusion
    column."""
    out = Scored()
    n_items = len(golds)
    scored = [i for i, g in enumerate(golds) if g is not None]
    labels = sorted({golds[i] for i in scored} | {preds[i] for i in scored if preds[i] is not None})  # type: ignore[misc]
    col = {c: j for j, c in enumerate(labels)}
    k = max(1, len(labels))
    correct = np.zeros(n_items)
    member = np.zeros(n_items)
    r_tp, c_tp, r_fp, c_fp, r_fn, c_fn = [], [], [], [], [], []
    item_correct: list[float | None] = [None] * n_items
    for i in scored:
        g, p = golds[i], preds[i]
        member[i] = 1
        if g == p:
            correct[i] = 1
            r_tp.append(i)
            c_tp.append(col[g])
        else:
            if p is not None:
                r_fp.append(i)
                c_fp.append(col[p])
            r_fn.append(i)
            c_fn.append(col[g])
        item_correct[i] = float(g == p)
    n = len(scored)
    out.stats[f"{task}.accuracy"] = ratio_stat(correct, member)
    out.n[f"{task}.accuracy"] = n

    def m(r: list[int], c: list[int]) -> sparse.csr_matrix:
        return sparse.csr_matrix((np.ones(len(r)), (r, c)), shape=(n_items, k))

    if labels:
        macro_stats(task, m(r_tp, c_tp), m(r_fp, c_fp), m(r_fn, c_fn), out, n)
        cm = np.zeros((k, k), dtype=np.int64)  # rows gold, columns predicted (sklearn's layout)
        shown = [i for i in scored if preds[i] is not None]
        np.add.at(cm, ([col[golds[i]] for i in shown], [col[preds[i]] for i in shown]), 1)
        out.extras[f"{task}.confusion"] = {"labels": labels, "matrix": cm.tolist()}
        tp_c, fp_c, fn_c = (np.asarray(x.sum(axis=0)).ravel() for x in (m(r_tp, c_tp), m(r_fp, c_fp), m(r_fn, c_fn)))
        out.extras[f"{task}.per_class"] = [
            {"label": c, "f1": float(2 * tp_c[j] / (2 * tp_c[j] + fp_c[j] + fn_c[j])) if tp_c[j] + fp_c[j] + fn_c[j]
             else 0.0, "support": int(tp_c[j] + fn_c[j]), "predicted": int(tp_c[j] + fp_c[j])}
            for j, c in enumerate(labels)]
    out.item_scores[f"{task}.correct"] = item_correct
    return out


def score_flag_recall(task: str, golds: list[str | None], flagged: list[bool], none_label: str) -> Scored:
    """Share of gold-unsafe items that got any policy flag (items whose gold is ``none`` excluded)."""
    out = Scored()
    member = np.array([1.0 if g is not None and g != none_label else 0.0 for g in golds])
    hit = np.array([1.0 if f else 0.0 for f in flagged]) * member
    out.stats[f"{task}.flag_recall"] = ratio_stat(hit, member)
    out.n[f"{task}.flag_recall"] = int(member.sum())
    out.item_scores[f"{task}.flagged"] = [float(h) if m else None for h, m in zip(hit, member, strict=True)]
    return out
