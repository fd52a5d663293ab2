"""Plots for the HTML report, rendered to inline SVG strings (no files, no CDN)."""

from __future__ import annotations

import io
from typing import Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402


def svg(fig: Any) -> str:
    """A matplotlib figure as inline SVG text (closes the figure)."""
    buf = io.StringIO()
    fig.savefig(buf, format="svg", bbox_inches="tight")
    plt.close(fig)
    text = buf.getvalue()
    return text[text.find("<svg"):]


def plain(s: str) -> str:
    """``s`` shown as written: matplotlib reads text between two ``$`` as math, so a label '$$'
    (a declared signal's price tier) stopped an HTML report with a mathtext ValueError and
    '$10-$20' was drawn as the formula '10-'. Every text a plot draws from data goes through it."""
    return str(s).replace("$", r"\$")


def per_class_f1(title: str, base: list[dict[str, Any]], cand: list[dict[str, Any]], top: int = 20) -> str:
    """Candidate vs baseline F1 of the most frequent gold classes."""
    support = {r["label"]: r["support"] for r in base}
    for r in cand:
        support[r["label"]] = max(support.get(r["label"], 0), r["support"])
    labels = [k for k, _ in sorted(support.items(), key=lambda kv: (-kv[1], kv[0]))[:top]]
    b = {r["label"]: r["f1"] for r in base}
    c = {r["label"]: r["f1"] for r in cand}
    fig, ax = plt.subplots(figsize=(7, 0.3 * len(labels) + 1.2))
    y = range(len(labels))
    ax.barh([i + 0.2 for i in y], [b.get(k, 0.0) for k in labels], height=0.4, label="baseline", color="#999")
    ax.barh([i - 0.2 for i in y], [c.get(k, 0.0) for k in labels], height=0.4, label="candidate", color="#1f77b4")
    ax.set_yticks(list(y), [plain(f"{k} (n={support[k]})") for k in labels], fontsize=8)
    ax.invert_yaxis()
    ax.set_xlim(0, 1)
    ax.set_xlabel("F1")
    ax.set_title(plain(title))
    ax.legend(fontsize=8, loc="lower right")
    return svg(fig)


def confusion(title: str, labels: list[str], matrix: list[list[int]]) -> str:
    n = len(labels)
    fig, ax = plt.subplots(figsize=(0.45 * n + 2.5, 0.45 * n + 2))
    ax.imshow(matrix, cmap="Blues")
    ax.set_xticks(range(n), [plain(k) for k in labels], rotation=60, ha="right", fontsize=7)
    ax.set_yticks(range(n), [plain(k) for k in labels], fontsize=7)
    for i in range(n):
        for j in range(n):
            if matrix[i][j]:
                ax.text(j, i, str(matrix[i][j]), ha="center", va="center", fontsize=7)
    ax.set_xlabel("predicted")
    ax.set_ylabel("gold")
    ax.set_title(plain(title))
    return svg(fig)


def calibration(title: str, curves: dict[str, list[dict[str, float]]]) -> str:
    """Reliability diagram: mean confidence vs accuracy per bin, one line per run."""
    fig, ax = plt.subplots(figsize=(4, 4))
    ax.plot([0, 1], [0, 1], ls="--", color="#bbb", label="perfect")
    for name, bins in curves.items():
        if bins:
            ax.plot([b["confidence"] for b in bins], [b["accuracy"] for b in bins], marker="o", label=plain(name))
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1)
    ax.set_xlabel("confidence")
    ax.set_ylabel("accuracy")
    ax.set_title(plain(title))
    ax.legend(fontsize=8)
    return svg(fig)
