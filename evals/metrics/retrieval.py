"""Was the right genre even on the shortlist? ragas' non-LLM context precision and recall of the
shortlist (``evidence.genres`` ids, in rank order) against the gold ids.

Ids are compared with ragas' ``ExactMatch`` (string equality) rather than its default fuzzy
Levenshtein similarity: ``techno`` and ``tech-house`` are different genres. An item with no
shortlist (an error item) scores 0 for both, it is not dropped.
"""

from __future__ import annotations

import asyncio
import os

import numpy as np

from linernotes.evals.metrics.core import Scored, ratio_stat


def _metrics():
    os.environ.setdefault("RAGAS_DO_NOT_TRACK", "true")  # read at ragas' first event, not at import
    from ragas.metrics import NonLLMContextPrecisionWithReference, NonLLMContextRecall
    from ragas.metrics._string import ExactMatch

    precision = NonLLMContextPrecisionWithReference(distance_measure=ExactMatch(), threshold=0.5)
    # its public setter wraps a rapidfuzz distance; equality is what ids need
    recall = NonLLMContextRecall(threshold=0.5, _distance_measure=ExactMatch())
    return precision, recall


async def _score_all(pairs: list[tuple[list[str], list[str]]]) -> list[tuple[float, float]]:
    from ragas.dataset_schema import SingleTurnSample

    precision, recall = _metrics()
    out = []
    for retrieved, reference in pairs:
        if not retrieved:
            out.append((0.0, 0.0))
            continue
        sample = SingleTurnSample(retrieved_contexts=retrieved, reference_contexts=reference)
        p = await precision.single_turn_ascore(sample)
        r = await recall.single_turn_ascore(sample)
        out.append((round(float(np.nan_to_num(p)), 6), round(float(np.nan_to_num(r)), 6)))  # ragas adds 1e-10
    return out


def context_scores(pairs: list[tuple[list[str], list[str]]]) -> list[tuple[float, float]]:
    """(precision, recall) per (retrieved ids, gold ids) pair."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(_score_all(pairs))
    import concurrent.futures

    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, _score_all(pairs)).result()


def score_retrieval(task: str, golds: list[list[str] | None], shortlists: list[list[str]]) -> Scored:
    out = Scored()
    idx = [i for i, g in enumerate(golds) if g]
    pairs = [(shortlists[i], list(golds[i] or [])) for i in idx]
    scores = context_scores(pairs) if any(r for r, _ in pairs) else [(0.0, 0.0)] * len(pairs)
    n = len(golds)
    p, r, member = np.zeros(n), np.zeros(n), np.zeros(n)
    item_p: list[float | None] = [None] * n
    item_r: list[float | None] = [None] * n
    for i, (sp, sr) in zip(idx, scores, strict=True):
        p[i], r[i], member[i] = sp, sr, 1
        item_p[i], item_r[i] = sp, sr
    if idx:
        out.stats[f"{task}.context_precision"] = ratio_stat(p, member)
        out.stats[f"{task}.context_recall"] = ratio_stat(r, member)
        out.n[f"{task}.context_precision"] = out.n[f"{task}.context_recall"] = len(idx)
    out.item_scores[f"{task}.context_precision"] = item_p
    out.item_scores[f"{task}.context_recall"] = item_r
    return out
