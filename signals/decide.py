"""Verify and decide one declared signal per item, by kind.

Verify: a vocabulary id the spec does not have is dropped (and named in ``problems``), a scalar is
clipped into ``range``, a text is trimmed to 200 characters. Decide: the LLM's verified answer (a
multilabel ``[]``: none of the labels applies), or without one (``--llm never``, the call failed,
or every label it gave was dropped) what the evidence alone supports (the best shortlist entry for
a vocabulary signal; nothing for the other kinds).

Confidence is never the model's say-so. Without a fitted model (``signals.fit``) it is a hand-set
score marked uncalibrated: for vocabulary signals retrieval support of the chosen labels; for the
other kinds a fixed prior (0.5 scalar/text, 0.6 boolean: the answer has no second opinion). A fitted
model replaces value and confidence with its calibrated ones (``provenance.calibrated: true``).
"""

from __future__ import annotations

import math
from typing import Any

from pydantic import BaseModel, Field

from linernotes.signals.answer import MAX_LABELS, TEXT_LIMIT
from linernotes.signals.spec import SignalSpec

PRIOR = {"scalar": 0.5, "boolean": 0.6, "text": 0.5}


class SignalDecision(BaseModel):
    value: Any = None
    confidence: float = Field(0.0, ge=0, le=1)
    source: str = "none"
    problems: list[str] = Field(default_factory=list)


def _clip(x: float) -> float:
    return round(max(0.0, min(1.0, float(x))), 4)


def _support(labels: list[str], evidence: dict[str, Any]) -> float | None:
    sl = evidence.get("shortlist")
    if sl is None:
        return None
    scores = {c["id"]: float(c["score"]) for c in sl}
    return max((scores.get(x, 0.0) for x in labels), default=0.0)


def verify(spec: SignalSpec, raw: Any) -> tuple[Any, list[str]]:
    """The answer made valid for the spec, and what had to be dropped or changed."""
    problems: list[str] = []
    if spec.kind in ("multilabel", "single_label"):
        allowed = set(spec.ids)
        labels = raw if isinstance(raw, list) else [raw]
        kept = [str(x) for x in dict.fromkeys(labels) if x is not None and str(x) in allowed]
        problems += [f"{spec.name}: {x!r} is not one of its labels" for x in labels if x is not None
                     and str(x) not in allowed]
        if spec.kind == "single_label":
            return (kept[0] if kept else None), problems
        return kept[:MAX_LABELS], problems
    if spec.kind == "scalar":
        lo, hi = spec.range or (0.0, 1.0)
        try:
            v = float(raw) if not isinstance(raw, bool) else math.nan  # true is no level of anything
        except (TypeError, ValueError, OverflowError):
            return None, [f"{spec.name}: {raw!r:.60} is not a number"]
        if not math.isfinite(v):  # NaN and inf were 'clipped' into the range: an answer 'NaN' became hi
            return None, [f"{spec.name}: {raw!r:.60} is not a finite number"]
        if not lo <= v <= hi:
            problems.append(f"{spec.name}: {v} outside [{lo}, {hi}], clipped")
        return round(max(lo, min(hi, v)), 6), problems
    if spec.kind == "boolean":
        if isinstance(raw, bool):
            return raw, problems
        return None, [f"{spec.name}: {raw!r} is not true/false"]
    if isinstance(raw, dict | list | bool):  # its Python repr ("{'a': 1}", 'True') was kept as the text
        return None, [f"{spec.name}: a {type(raw).__name__} is not text"]
    text = " ".join(str(raw or "").split())[:TEXT_LIMIT]
    return (text or None), problems


def from_evidence(spec: SignalSpec, evidence: dict[str, Any]) -> SignalDecision:
    """No LLM answer: the shortlist's best entry (single_label) or entries scoring >= 0.5
    (multilabel, else the best one); other kinds stay undecided."""
    sl = [c for c in evidence.get("shortlist") or [] if c["score"] > 0]
    if spec.kind == "single_label" and sl:
        return SignalDecision(value=sl[0]["id"], confidence=_clip(0.8 * sl[0]["score"]), source="evidence")
    if spec.kind == "multilabel" and sl:
        chosen = [c["id"] for c in sl if c["score"] >= 0.5][:MAX_LABELS] or [sl[0]["id"]]
        return SignalDecision(value=chosen, confidence=_clip(0.8 * sl[0]["score"]), source="evidence")
    return SignalDecision(value=[] if spec.kind == "multilabel" else None, confidence=0.0, source="none")


def decide(spec: SignalSpec, raw: Any, answered: bool, evidence: dict[str, Any]) -> SignalDecision:
    """``raw``: the model's answer for this signal (``answered`` False: no answer at all)."""
    if not answered:
        return from_evidence(spec, evidence)
    value, problems = verify(spec, raw)
    if spec.kind == "multilabel" and raw == []:
        # the model's "none of these labels applies" is an answer (eval scores gold [] so), not a
        # missing one: the shortlist's best label put in its place was wrong on every such item
        best = _support([c["id"] for c in evidence.get("shortlist") or []], evidence)
        conf = 0.55 if best is None else 0.35 + 0.55 * (1.0 - best)
        return SignalDecision(value=[], confidence=_clip(conf), source="llm", problems=problems)
    if value is None or value == []:
        fallback = from_evidence(spec, evidence)
        fallback.problems = problems
        return fallback
    if spec.kind in ("multilabel", "single_label"):
        labels = value if isinstance(value, list) else [value]
        support = _support(labels, evidence)
        conf = 0.55 if support is None else 0.35 + 0.55 * support
        if problems:
            conf -= 0.15
        return SignalDecision(value=value, confidence=_clip(conf), source="llm", problems=problems)
    return SignalDecision(value=value, confidence=_clip(PRIOR[spec.kind] - (0.15 if problems else 0.0)),
                          source="llm", problems=problems)
