"""A similarity-weighted label vote of the nearest labeled training texts, as features.

The single-label combiner is linear in the WordLlama embedding; the labels of a text's nearest
training texts are not a linear function of it (a Do-Not-Answer prompt's risk area is the one its
near paraphrases carry). ``LabeledIndex`` holds the training texts' embeddings and labels inside
the artifact (no file is read at tag time) and gives, for each text, every class's share of the
similarity mass of its ``k`` nearest rows and the best similarity.

Fit-time rows must see what tag time sees: the index of a fitted model holds its training items,
and an item being tagged is never in it. So a training item's own row is left out of its vote
(``exclude``), and an out-of-fold item is voted by the index of the model that scores it.
"""

from __future__ import annotations

import base64
from collections.abc import Sequence

import numpy as np
from pydantic import Field, PrivateAttr

from linernotes.fusion.estimators import Fitted


def vote(sims: np.ndarray, codes: np.ndarray, n_classes: int, k: int) -> np.ndarray:
    """Per row of ``sims`` (shape (m, p): cosine similarities to the p index rows, ``-inf`` for a
    row left out), the share of each class (``codes``: shape (p,), class index per index row) in
    the similarity mass of the ``k`` most similar rows (negative similarities weigh 0), then the
    best similarity (0 when no row is left). Returns shape (m, n_classes + 1)."""
    m, p = sims.shape
    out = np.zeros((m, n_classes + 1))
    if p == 0 or m == 0:
        return out
    k = min(k, p)
    top = np.argpartition(-sims, k - 1, axis=1)[:, :k] if k < p else np.tile(np.arange(p), (m, 1))
    s = np.take_along_axis(sims, top, 1)
    w = np.where(np.isfinite(s), np.clip(s, 0.0, None), 0.0)
    total = w.sum(axis=1)
    lab = codes[top]
    for c in range(n_classes):
        out[:, c] = np.divide((w * (lab == c)).sum(axis=1), total, out=np.zeros(m), where=total > 0)
    best = np.where(np.isfinite(s), s, -np.inf).max(axis=1)
    out[:, -1] = np.where(np.isfinite(best), best, 0.0)
    return out


class LabeledIndex(Fitted):
    """Labeled embeddings (rows unit length, float32, base64 little-endian, row-major) and the
    vote's settings. ``classes``: the voted classes in feature order; every row's label is one."""

    k: int = Field(ge=1)
    classes: list[str]
    labels: list[str]
    dim: int = Field(ge=1)
    vectors: str = Field(description="base64 of the float32 rows, shape (len(labels), dim)")
    _matrix: np.ndarray | None = PrivateAttr(None)
    _codes: np.ndarray | None = PrivateAttr(None)

    @classmethod
    def build(cls, emb: np.ndarray, labels: Sequence[str], classes: Sequence[str], k: int) -> LabeledIndex:
        rows = np.ascontiguousarray(emb, dtype="<f4")
        return cls(k=k, classes=list(classes), labels=list(labels), dim=int(rows.shape[1]),
                   vectors=base64.b64encode(rows.tobytes()).decode("ascii"))

    def matrix(self) -> np.ndarray:
        """The rows, shape (len(labels), dim), float32 (read-only)."""
        if self._matrix is None:
            m = np.frombuffer(base64.b64decode(self.vectors), dtype="<f4").reshape(len(self.labels), self.dim)
            self._matrix = m
            code = {c: j for j, c in enumerate(self.classes)}
            self._codes = np.array([code[lab] for lab in self.labels], dtype=np.int64)
        return self._matrix

    def names(self) -> list[str]:
        return [*(f"neighbours:{c}" for c in self.classes), "neighbours_best_similarity"]

    def vote(self, emb: np.ndarray, exclude: Sequence[int] | None = None) -> np.ndarray:
        """Features of texts with embeddings ``emb`` (shape (m, dim)), shape (m, len(classes) + 1);
        ``exclude[r]``: an index row text r must not count (its own, during the fit), or -1."""
        matrix = self.matrix()
        sims = np.asarray(emb, dtype=np.float64) @ matrix.T.astype(np.float64)
        if exclude is not None:
            ex = np.asarray(exclude)
            rows = np.flatnonzero(ex >= 0)
            sims[rows, ex[rows]] = -np.inf
        assert self._codes is not None
        return vote(sims, self._codes, len(self.classes), self.k)
