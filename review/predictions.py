"""Can review read this prediction? The parts of a run's prediction the queue and the item page use.

``liner tag`` and ``liner eval`` write ``linernotes.schema.Enrichment`` dumps; a hand-edited or
foreign run may hold anything there, and ``liner review build`` then stopped with a traceback
(``'str' object has no attribute 'get'`` from ``policy_flags: "x"``, ``float() argument must be
... not 'list'`` from ``valence: [1]``), losing the whole build to one line. Only what review
reads is checked, as the type it needs (containers by shape, then each reviewed field through
``FieldSpec.from_prediction``, the very call the queue makes); a field left out passes.

``problem(prediction, fields)`` returns ``"prediction.policy_flags: Input should be a valid list"``
or None; ``review.sources`` queues an item whose prediction has a problem as a model error.
"""

from __future__ import annotations

from typing import Any

from pydantic import ConfigDict, ValidationError

from linernotes.numbers import TextNumbers
from linernotes.review.fields import FieldSpec


class _Open(TextNumbers):  # a quoted "1_0" severity or span end is refused, not read as 10
    model_config = ConfigDict(extra="allow")


class _Span(_Open):  # the item page marks text by these four (review.web.views.evidence_spans)
    field: str
    start: int
    end: int
    text: str


class _Flag(_Open):
    severity: int = 0  # the queue's priority takes the worst
    spans: list[_Span] | None = None


class _Explicit(_Open):
    evidence: list[_Span] | None = None


class _Review(_Open):
    reasons: list[Any] | None = None


class ReviewedPrediction(_Open):
    """A prediction as far as review reads it (containers only; values go through the fields)."""

    confidence: dict[str, Any] | None = None
    policy_flags: list[_Flag] | None = None
    explicit: _Explicit | bool | str | None = None
    review: _Review | None = None
    evidence: dict[str, Any] | None = None
    signals: dict[str, dict[str, Any] | None] | None = None
    provenance: dict[str, Any] | None = None


def problem(prediction: Any, fields: list[FieldSpec]) -> str | None:
    """Why review cannot read ``prediction`` for ``fields`` (the first reason, with its key path), or None."""
    if prediction is None:
        return None
    if not isinstance(prediction, dict):
        return f"prediction: an object is needed, not {type(prediction).__name__}"
    try:
        ReviewedPrediction.model_validate(prediction)
    except ValidationError as e:
        err = e.errors()[0]
        loc = [str(k) for k in err["loc"] if not str(k).startswith("_")]  # not a union member's class name
        return ".".join(("prediction", *loc)) + ": " + err["msg"].split(" or instance of ")[0]
    for f in fields:
        try:
            f.from_prediction(prediction)
        except (TypeError, ValueError, AttributeError, OverflowError) as e:
            key = f"signals.{f.signal}.value" if f.signal is not None else f.name
            return f"prediction.{key}: not a {f.name} value review can read ({str(e)[:120]})"
    return None
