"""The genres confidence calibrated by exemplar-index size.

How often a chosen genre set is right at a given combiner score depends on how many labeled items
the exemplar index holds (a sparse catalog's neighbours are farther and fewer share the item's
artist or label): out of fold on the dev fits, one isotonic map over every size was
underconfident at 1/9 of the pool's index (-0.045 / -0.040, album held out, seeds 0 / 1) and
overconfident at all of it (+0.029 / +0.025). So each side (same-album neighbour / new release)
gets one isotonic map per index-size class. The classes' edges are learned from the sizes the fit
was calibrated on (up to ``SIZE_CLASSES`` classes of at least ``MIN_CLASS_ROWS`` chosen sets,
cut between two different sizes at the sizes' quantiles) and stored in the artifact, so an index
of any size falls into one: below the first edge the smallest class, above the last the largest.
An item whose evidence carries no size keeps the size-free map.
"""

from __future__ import annotations

import bisect
import math
from collections.abc import Sequence

import numpy as np
from pydantic import ConfigDict, Field, model_validator

from linernotes.fusion.estimators import Isotonic
from linernotes.numbers import TextNumbers

# Three classes: the exemplar pool tags each item at three index sizes (1/9, 1/3, all of its
# round's index, ``evals.fit.POOL_SIZES``), so a fit has about three sizes per regime to learn
# from; more classes would cut within one of them. Not tuned on the dev samples.
SIZE_CLASSES = 3
# The fewest chosen sets one class's isotonic map is fitted on (a side's map needs 50, the
# size-free rule ``fitting.MIN_CALIBRATION``; a class is a finer cut, so it asks more).
MIN_CLASS_ROWS = 200
# Two classes whose mean sizes are closer than this ratio are one catalog size (the pool's rounds
# vary by a few percent around each fraction).
MIN_RATIO = 1.5


class SizeClasses(TextNumbers):
    """Isotonic maps of one side by index size: ``maps[j]`` for an index of more than
    ``edges[j-1]`` and at most ``edges[j]`` items (the first map from 0, the last without end)."""

    model_config = ConfigDict(extra="forbid")  # a misspelt key in a hand-edited file is named, not dropped

    edges: list[float] = Field(description="ascending upper bounds in index items, one fewer than maps")
    maps: list[Isotonic] = Field(min_length=2)

    @model_validator(mode="after")
    def _classes(self) -> SizeClasses:
        if len(self.edges) != len(self.maps) - 1:
            raise ValueError(f"size classes: {len(self.maps)} maps need {len(self.maps) - 1} edges, got {len(self.edges)}")
        if any(not math.isfinite(e) or e <= 0 for e in self.edges) or any(
                b <= a for a, b in zip(self.edges, self.edges[1:], strict=False)):
            raise ValueError(f"size classes: edges must be positive, finite and increasing, got {self.edges}")
        return self

    def class_of(self, size: float) -> int:
        return bisect.bisect_left(self.edges, size)

    def __call__(self, score: float, size: float) -> float:
        return float(self.maps[self.class_of(size)](np.array([score]))[0])


class SizeCalibration(TextNumbers):
    """Per side (same-album neighbour or not), the maps by index size; None: that side keeps its
    size-free map."""

    model_config = ConfigDict(extra="forbid")  # a misspelt key in a hand-edited file is named, not dropped

    same_album: SizeClasses | None = None
    new_release: SizeClasses | None = None

    def side(self, same_album: bool) -> SizeClasses | None:
        return self.same_album if same_album else self.new_release


def size_edges(sizes: Sequence[float], classes: int = SIZE_CLASSES, min_rows: int = MIN_CLASS_ROWS) -> list[float]:
    """Upper edges of up to ``classes`` index-size classes over these chosen sets' sizes (shape
    (n,), positive): the partition of the sorted log sizes with the least within-class sum of
    squares (1-D k-means, solved exactly by dynamic programming over the distinct sizes), each
    class holding at least ``min_rows`` sets and its mean size at least ``MIN_RATIO`` times the
    previous class's; fewer classes when no partition into more qualifies. Quantile cuts were
    not used: the regimes' clusters (the pool's 1/9, 1/3, all of an index of 1,200 or 3,000
    items) interleave, and a quantile falls inside one. The edge between two classes is the
    geometric mean of the sizes it separates. [] when the sizes do not make two classes."""
    v, w = np.unique(np.log(np.asarray(sizes, dtype=np.float64)), return_counts=True)
    m = len(v)
    W = np.concatenate([[0.0], np.cumsum(w)])
    S = np.concatenate([[0.0], np.cumsum(w * v)])
    Q = np.concatenate([[0.0], np.cumsum(w * v * v)])

    def cost(a: np.ndarray, b: int) -> np.ndarray:
        """Within-class sum of squares of classes v[a:b] (``a`` an array of starts), inf when a
        class holds fewer than ``min_rows`` sets."""
        n = W[b] - W[a]
        with np.errstate(divide="ignore", invalid="ignore"):
            c = (Q[b] - Q[a]) - (S[b] - S[a]) ** 2 / n
        return np.where(n >= min_rows, c, np.inf)

    for k in range(min(classes, m), 1, -1):
        D = np.full((k + 1, m + 1), np.inf)
        arg = np.zeros((k + 1, m + 1), dtype=np.int64)
        D[0, 0] = 0.0
        for j in range(1, k + 1):
            for b in range(j, m + 1):
                a = np.arange(j - 1, b)
                total = D[j - 1, a] + cost(a, b)
                i = int(np.argmin(total))
                D[j, b], arg[j, b] = total[i], a[i]
        if not np.isfinite(D[k, m]):
            continue
        cuts, b = [], m
        for j in range(k, 0, -1):
            cuts.append(b)
            b = int(arg[j, b])
        bounds = [0, *sorted(cuts)]
        means = [(S[hi] - S[lo]) / (W[hi] - W[lo]) for lo, hi in zip(bounds, bounds[1:], strict=False)]
        if all(y - x >= np.log(MIN_RATIO) for x, y in zip(means, means[1:], strict=False)):
            return [float(np.exp((v[c - 1] + v[c]) / 2)) for c in bounds[1:-1]]
    return []


def fit_size_classes(scores: np.ndarray, hits: np.ndarray, sizes: np.ndarray,
                     classes: int = SIZE_CLASSES, min_rows: int = MIN_CLASS_ROWS) -> SizeClasses | None:
    """One side's maps: ``scores`` the chosen sets' probability products, ``hits`` 1.0 when precise,
    ``sizes`` their index sizes (all known). None when the sizes make fewer than two classes."""
    edges = size_edges(sizes, classes, min_rows)
    if not edges:
        return None
    cls = np.searchsorted(np.asarray(edges), sizes, side="left")
    return SizeClasses(edges=edges, maps=[Isotonic.fit(scores[cls == j], hits[cls == j]) for j in range(len(edges) + 1)])


def fit_size_calibration(scores: np.ndarray, hits: np.ndarray, same: np.ndarray, sizes: np.ndarray,
                         by_release: bool, classes: int = SIZE_CLASSES, min_rows: int = MIN_CLASS_ROWS
                         ) -> SizeCalibration | None:
    """The maps by index size from chosen sets (``sizes``: shape (n,), NaN where the evidence
    carried none, or 0: an empty index, whose log size is no class's; those sets are left out).
    ``by_release``: one set of classes per side, else one over both sides (stored for both). None
    when no side has two classes."""
    known = np.isfinite(sizes) & (sizes > 0)
    if by_release:
        sides = {f: fit_size_classes(scores[known & (same == f)], hits[known & (same == f)],
                                     sizes[known & (same == f)], classes, min_rows) for f in (True, False)}
    else:
        both = fit_size_classes(scores[known], hits[known], sizes[known], classes, min_rows)
        sides = {True: both, False: both}
    if sides[True] is None and sides[False] is None:
        return None
    return SizeCalibration(same_album=sides[True], new_release=sides[False])
