"""Queue priority = disagreement × uncertainty × severity, each on [0, 1].

- disagreement: the largest reason size on the item — ``FieldSpec.distance`` between model and
  gold (|Δvalence|/2, 1 − Jaccard for label sets, 0/1 for nominal) or the raters' spread
  (sd / largest possible sd). An item queued only because the graph routed it gets ``ROUTED_FLOOR``.
- uncertainty: 1 − the model's own confidence for the fields in question and the fields its
  record was routed for (``queue.routed_fields``; lowest one wins; a declared signal's from its
  value in the record's ``signals``); no prediction (error item, gold-only review) counts as fully
  uncertain. A record routed to confirm a policy flag ('policy severity 4', 'to confirm: policy
  0.97 ...') with a flag in it counts at least as its policy confidence (``confirming``): the
  surer the model is that a severe flag applies, the sooner a person should confirm it. Read as
  uncertainty alone, a threat flagged at 0.97 and routed for confirmation had 0.03 (floored 0.1)
  and ranked below every routine low-confidence genre item (0.010 vs 0.015-0.024).
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


def confirming(prediction: dict[str, Any] | None, routed: list[str], uncertainty_: float) -> float:
    """``uncertainty_``, raised to the record's policy confidence when the record holds a policy
    flag and was routed for the policy field (``routed``: ``queue.routed_fields``): a flag sent to a
    person for confirmation is urgent for being likely, not for being unsure."""
    if "policy" not in routed or not any(isinstance(f, dict) for f in (prediction or {}).get("policy_flags") or []):
        return uncertainty_
    conf = confidence_of(prediction or {}, "policy")
    return uncertainty_ if conf is None else max(uncertainty_, min(1.0, conf))


def severity(prediction: dict[str, Any] | None) -> float:
    flags = (prediction or {}).get("policy_flags") or []
    worst = max((int(f.get("severity", 0)) for f in flags), default=0)
    return max(SEVERITY_FLOOR, worst / 4)


def priority(disagreement: float, uncertainty_: float, severity_: float) -> float:
    return round(max(disagreement, 0.0) * uncertainty_ * severity_, 6)
