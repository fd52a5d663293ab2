"""Queue priority = disagreement × uncertainty × severity, each on [0, 1].

- disagreement: the largest reason size on the item — ``FieldSpec.distance`` between model and
  gold (|Δvalence|/2, 1 − Jaccard for label sets, 0/1 for nominal) or the raters' spread
  (sd / largest possible sd). An item queued only because the graph routed it gets ``ROUTED_FLOOR``.
- uncertainty: 1 − the model's own confidence for the fields in question and the fields its
  record was routed for (``queue.routed_fields``; lowest one wins; a declared signal's from its
  value in the record's ``signals``); no prediction (error item, gold-only review) counts as fully
  uncertain.
- severity: the worst policy flag's severity / 4, floored at ``SEVERITY_FLOOR`` so items without a
  policy flag still rank among themselves by the other two factors.
Floors keep a single zero factor from hiding an item that was queued for a real reason.
"""

from __future__ import annotations

from typing import Any

ROUTED_FLOOR = 0.1
UNCERTAINTY_FLOOR = 0.1
SEVERITY_FLOOR = 0.25


def confidence_of(prediction: dict[str, Any], field: str) -> float | None:
    """The record's confidence in ``field`` on [0, 1]: a built-in field's from ``confidence``, a
    declared signal's (``"signals.<name>"``, as ``Review.fields_in`` names it) from its value in
    ``signals``; None when the record holds none."""
    if field.startswith("signals."):
        value = (prediction.get("signals") or {}).get(field.removeprefix("signals."))
        conf = value.get("confidence") if isinstance(value, dict) else None
    else:
        conf = (prediction.get("confidence") or {}).get(field)
    return float(conf) if isinstance(conf, int | float) and not isinstance(conf, bool) else None


def uncertainty(prediction: dict[str, Any] | None, fields: list[str]) -> float:
    """1 - the lowest confidence of ``fields`` (``confidence_of``), floored at ``UNCERTAINTY_FLOOR``;
    1.0 with no prediction or none of the fields' confidences."""
    if not prediction:
        return 1.0
    values = [c for f in fields if (c := confidence_of(prediction, f)) is not None]
    if not values:
        return 1.0
    return max(UNCERTAINTY_FLOOR, 1.0 - min(values))


def severity(prediction: dict[str, Any] | None) -> float:
    flags = (prediction or {}).get("policy_flags") or []
    worst = max((int(f.get("severity", 0)) for f in flags), default=0)
    return max(SEVERITY_FLOOR, worst / 4)


def priority(disagreement: float, uncertainty_: float, severity_: float) -> float:
    return round(max(disagreement, 0.0) * uncertainty_ * severity_, 6)
