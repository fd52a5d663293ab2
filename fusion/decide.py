"""Apply a fitted artifact to one item: per field, the fused value and its calibrated confidence."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field

from linernotes.fusion.artifact import FieldFusion, FusionArtifact
from linernotes.fusion.observation import Observation


class Decision(BaseModel):
    """One field's value as decided (by a fitted combiner, or by the heuristics when none fits).

    ``confidence`` is a calibrated probability of being right when ``calibrated``; ``threshold``
    is the confidence the field needs to be auto-accepted; ``scores`` are the candidates' or
    classes' probabilities; ``label`` is the single-label class (e.g. a policy category)."""

    value: Any
    confidence: float = Field(ge=0, le=1)
    calibrated: bool = False
    threshold: float | None = None
    label: str | None = None
    scores: dict[str, float] = Field(default_factory=dict)


def fused(art: FusionArtifact | None, field: str, obs: Observation, vocabulary: str = "") -> Decision | None:
    """The fitted combiner's decision for ``field``, or None when the artifact has none for it."""
    entry = art.get(field, vocabulary) if art is not None else None
    if entry is None:
        return None
    model = entry.model
    if not model.applies(obs):
        # outside the fitted domain (multilabel: no labeled neighbours; single label: too few
        # words to classify; scalar: no text): the hand-set rules decide, and say they are
        # uncalibrated
        return None
    if model.kind == "multilabel":
        labels, conf, probs = model.decide(obs)
        return Decision(value=labels, confidence=round(conf, 4), calibrated=True, threshold=entry.threshold,
                        scores=probs)
    if model.kind == "scalar":
        value, conf = model.decide(obs)
        return Decision(value=round(value, 4), confidence=round(conf, 4), calibrated=True, threshold=entry.threshold)
    label, clause, conf, probs = model.decide(obs)
    return Decision(value=clause, label=label, confidence=round(conf, 4), calibrated=True,
                    threshold=answer_threshold(entry, label), scores=probs)


def answer_threshold(entry: FieldFusion, label: str | None) -> float | None:
    """The review threshold for a single-label answer: the flag threshold for a class other than
    the model's none class when the artifact has one, else the field's threshold."""
    none = getattr(entry.model, "none_label", None)
    if entry.flag_threshold is not None and label is not None and label != none:
        return entry.flag_threshold
    return entry.threshold


def reads_draft(art: FusionArtifact | None, field: str, vocabulary: str = "") -> bool:
    """Whether ``field``'s fitted combiner reads the LLM's draft (False for a combiner fitted
    without drafts, whose decision no LLM answer can change; True when no combiner applies, since
    the hand-set rules then take the draft's answer)."""
    entry = art.get(field, vocabulary) if art is not None else None
    return True if entry is None else bool(entry.model.uses_draft)
