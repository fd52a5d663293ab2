"""Free-text answers (a declared ``kind: text`` signal) against a gold text: exact match after
normalisation, and token F1, the two answer metrics of SQuAD (Rajpurkar et al. 2016, the official
evaluation script's ``normalize_answer`` / ``f1_score``), with Unicode NFKC and case folding in
place of ASCII lower-casing. English articles are not dropped: a catalog's text is not all English.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter

import numpy as np

from linernotes.evals.metrics.core import Scored, ratio_stat

_PUNCT = re.compile(r"[^\w\s]", re.UNICODE)


def normalize_text(text: str) -> str:
    """NFKC, case-folded, punctuation dropped, whitespace collapsed: ``'  The  Jazz-Age! '`` ->
    ``'the jazzage'``."""
    folded = unicodedata.normalize("NFKC", text).casefold()
    return " ".join(_PUNCT.sub("", folded).split())


def token_f1(pred: str, gold: str) -> float:
    """Harmonic mean of token precision and recall over the normalised texts' token multisets
    (1.0 when both are empty, 0.0 when one is)."""
    p, g = normalize_text(pred).split(), normalize_text(gold).split()
    if not p or not g:
        return float(p == g)
    same = sum((Counter(p) & Counter(g)).values())
    if same == 0:
        return 0.0
    precision, recall = same / len(p), same / len(g)
    return 2 * precision * recall / (precision + recall)


def score_text(task: str, golds: list[str | None], preds: list[str | None]) -> Scored:
    """``<task>.exact_match`` and ``<task>.token_f1`` over the items with gold (``golds[i] is
    None``: not in this task); an item without a value (``preds[i] is None``) scores 0 on both."""
    out = Scored()
    member = np.array([g is not None for g in golds], dtype=float)
    exact = np.zeros(len(golds))
    f1 = np.zeros(len(golds))
    for i, (g, p) in enumerate(zip(golds, preds, strict=True)):
        if g is None or p is None:
            continue
        exact[i] = float(normalize_text(p) == normalize_text(g))
        f1[i] = token_f1(p, g)
    n = int(member.sum())
    for name, values in (("exact_match", exact), ("token_f1", f1)):
        out.stats[f"{task}.{name}"] = ratio_stat(values, member)
        out.n[f"{task}.{name}"] = n
        out.item_scores[f"{task}.{name}"] = [float(v) if m else None for v, m in zip(values, member, strict=True)]
    return out
