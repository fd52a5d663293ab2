"""Shared building blocks: ratios of weighted sums, and a typed bundle of a family's output."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from linernotes.evals.bootstrap import SumStat


@dataclass
class Scored:
    """What a metric family returns: statistics for the bootstrap, how many items each covers,
    per-item scores (aligned with the items; None = not scored), and plot/report data."""

    stats: dict[str, SumStat] = field(default_factory=dict)
    n: dict[str, int] = field(default_factory=dict)
    item_scores: dict[str, list[float | None]] = field(default_factory=dict)
    extras: dict[str, Any] = field(default_factory=dict)
    skipped: dict[str, str] = field(default_factory=dict)  # metric -> why it has no value

    def merge(self, other: Scored) -> Scored:
        self.stats.update(other.stats)
        self.n.update(other.n)
        self.item_scores.update(other.item_scores)
        self.extras.update(other.extras)
        self.skipped.update(other.skipped)
        return self


def safe_div(num: np.ndarray, den: np.ndarray) -> np.ndarray:
    """num/den with NaN where den == 0 (an empty resample has no value; it is not zero)."""
    num = np.asarray(num, dtype=np.float64)
    den = np.asarray(den, dtype=np.float64)
    out = np.full(np.broadcast(num, den).shape, np.nan)
    np.divide(num, den, out=out, where=den != 0)
    return out


def ratio_stat(num: np.ndarray, den: np.ndarray) -> SumStat:
    """sum(w*num) / sum(w*den): accuracies, means, shares."""
    return SumStat(np.column_stack([num, den]).astype(np.float64), lambda t: safe_div(t[:, 0], t[:, 1]))
