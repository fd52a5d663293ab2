"""The HTML report's plots draw labels as written. matplotlib reads text between two '$' as math:
a declared signal labelled '$$' (a price tier) stopped ``liner gate --html`` / ``liner eval --html``
with a mathtext ValueError, and '$10-$20' became the formula '10-' (the monitor's plots had the
same fault, fixed in b9b1a50; both now use ``evals.plots.plain``)."""

from __future__ import annotations

import pytest

from linernotes.evals import plots

LABELS = ["$$", "$10-$20", r"$\undefined$", "plain"]


def _drawn(svg_text: str, label: str) -> bool:
    # the SVG keeps each text as a comment of what was drawn ('<!-- $10-$20 -->'), math or not
    return f"<!-- {label} -->" in svg_text


@pytest.mark.parametrize("draw", ["per_class_f1", "confusion", "calibration"])
def test_labels_with_dollar_signs_are_drawn_as_text(draw: str) -> None:
    if draw == "per_class_f1":
        rows = [{"label": k, "support": 3, "f1": 0.5} for k in LABELS]
        out = plots.per_class_f1("$tier$: per-class F1", rows, rows)
        shown = [f"{k} (n=3)" for k in LABELS]
    elif draw == "confusion":
        out = plots.confusion("$tier$: confusion", LABELS, [[1, 0, 0, 0], [0, 2, 0, 0], [0, 0, 3, 0], [0, 0, 0, 4]])
        shown = LABELS
    else:
        out = plots.calibration("$tier$: calibration", {k: [{"confidence": 0.5, "accuracy": 0.4}] for k in LABELS})
        shown = LABELS
    assert out.startswith("<svg")
    for label in [*shown, f"$tier$: {'per-class F1' if draw == 'per_class_f1' else draw}"]:
        assert _drawn(out, label), label
