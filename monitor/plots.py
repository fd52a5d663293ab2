"""The monitor's plots, as inline SVG strings (no files, no CDN; as ``evals/plots.py``)."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

from linernotes.evals.plots import plain, svg  # noqa: E402

BASE, CUR = "#999999", "#1f77b4"


def label_shares(field: str, base: dict[str, int], cur: dict[str, int], top: int = 15) -> str:
    """Baseline vs current share of the labels most frequent in either run."""
    tb, tc = sum(base.values()) or 1, sum(cur.values()) or 1
    labels = sorted(set(base) | set(cur), key=lambda k: (-max(base.get(k, 0) / tb, cur.get(k, 0) / tc), k))[:top]
    fig, ax = plt.subplots(figsize=(7, 0.3 * len(labels) + 1.2))
    y = range(len(labels))
    ax.barh([i + 0.2 for i in y], [base.get(k, 0) / tb for k in labels], height=0.4, color=BASE, label="baseline")
    ax.barh([i - 0.2 for i in y], [cur.get(k, 0) / tc for k in labels], height=0.4, color=CUR, label="current")
    ax.set_yticks(list(y), [plain(k) for k in labels], fontsize=8)
    ax.invert_yaxis()
    ax.set_xlabel("share of labels")
    ax.set_title(plain(f"{field}: label shares"))
    ax.legend(fontsize=8, loc="lower right")
    return svg(fig)


def distributions(title: str, base: list[float], cur: list[float], xlabel: str, bins: int = 20,
                  value_range: tuple[float, float] | None = (0.0, 1.0)) -> str:
    """Overlaid histograms (densities) of one figure in both runs."""
    fig, ax = plt.subplots(figsize=(6, 2.6))
    if base:
        ax.hist(base, bins=bins, range=value_range, density=True, alpha=0.5, color=BASE, label="baseline")
    if cur:
        ax.hist(cur, bins=bins, range=value_range, density=True, alpha=0.5, color=CUR, label="current")
    ax.set_xlabel(plain(xlabel))
    ax.set_title(plain(title))
    ax.legend(fontsize=8)
    return svg(fig)
