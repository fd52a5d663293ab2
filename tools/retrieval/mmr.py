"""Maximal marginal relevance: pick few-shot examples that are relevant but not near-copies.

Ten tracks from one album teach the model one thing; MMR trades a little similarity for
examples that cover more of the neighbourhood.
"""

from __future__ import annotations

import numpy as np


def mmr(query: np.ndarray, candidates: np.ndarray, k: int, relevance_weight: float = 0.7) -> list[int]:
    """Indices into ``candidates`` (unit rows), in pick order. ``relevance_weight`` 1.0 is plain
    similarity ranking; lower values penalise similarity to examples already picked."""
    n = len(candidates)
    if n == 0 or k <= 0:
        return []
    relevance = np.einsum("ij,j->i", candidates, query)  # no BLAS threads for tiny products
    pairwise = np.einsum("ik,jk->ij", candidates, candidates)
    picked: list[int] = []
    redundancy = np.full(n, -np.inf)
    available = np.ones(n, dtype=bool)
    for _ in range(min(k, n)):
        penalty = np.where(np.isfinite(redundancy), redundancy, 0.0)
        gain = relevance_weight * relevance - (1 - relevance_weight) * penalty
        gain[~available] = -np.inf
        best = int(np.argmax(gain))
        picked.append(best)
        available[best] = False
        redundancy = np.maximum(redundancy, pairwise[best])
    return picked
