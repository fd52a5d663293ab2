"""Apply a fitted artifact to one item: per field, the fused value and its calibrated confidence."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

from pydantic import BaseModel, Field

from linernotes.fusion.artifact import FieldFusion, FusionArtifact, FusionError
from linernotes.fusion.observation import Observation
from linernotes.fusion.singlelabel import SingleLabelModel
from linernotes.fusion.windows import MAX_WINDOWS
from linernotes.schema import EvidenceSpan


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
    passage: EvidenceSpan | None = Field(None, description="single label, a long text: the passage the flag was "
                                         "read in (``fused_passages``)")
    note: str | None = Field(None, description="why a person must confirm this answer whatever its confidence")


def fused(art: FusionArtifact | None, field: str, obs: Observation, vocabulary: str = "") -> Decision | None:
    """The fitted combiner's decision for ``field``, or None when the artifact has none for it."""
    return fused_many(art, field, [obs], vocabulary)[0]


def fused_many(art: FusionArtifact | None, field: str, observations: Sequence[Observation],
               vocabulary: str = "") -> list[Decision | None]:
    """``fused`` for each observation (one item each, the same ``vocabulary``): the scalar and
    single-label combiners decide the items inside their fitted domain in one product (the same
    bits as one at a time); None for an item outside it, or for all when the artifact has no
    combiner for ``field``."""
    entry = art.get(field, vocabulary) if art is not None else None
    out: list[Decision | None] = [None] * len(observations)
    if entry is None:
        return out
    model = entry.model
    # outside the fitted domain (multilabel: no labeled neighbours; single label: too few words
    # to classify; scalar: no text): the hand-set rules decide, and say they are uncalibrated
    inside = [i for i, obs in enumerate(observations) if model.applies(obs)]
    if not inside:
        return out
    if model.kind == "multilabel":
        for i in inside:
            labels, conf, probs = model.decide(observations[i])
            out[i] = _decision(art, field, value=labels, confidence=round(conf, 4), calibrated=True,
                               threshold=entry.threshold, scores=probs)
    elif model.kind == "scalar":
        for i, (value, conf) in zip(inside, model.decide_many([observations[i] for i in inside]), strict=True):
            out[i] = _decision(art, field, value=round(value, 4), confidence=round(conf, 4), calibrated=True,
                               threshold=entry.threshold)
    else:
        for i, (label, clause, conf, probs) in zip(inside, model.decide_many([observations[i] for i in inside]),
                                                   strict=True):
            out[i] = _decision(art, field, value=clause, label=label, confidence=round(conf, 4), calibrated=True,
                               threshold=answer_threshold(entry, label), scores=probs)
    return out


def _decision(art: FusionArtifact, field: str, **kw: Any) -> Decision:
    """A combiner's Decision, or FusionError naming the artifact when its numbers came out NaN or
    infinite: finite coefficients far beyond any a fit writes (a hand edit: 1e308) overflow to
    inf - inf = NaN on some items, which failed as 'internal.ValidationError: 1 validation error
    for Decision ...' without naming the artifact."""
    value = kw.get("value")
    numbers = {"confidence": kw["confidence"], **({"value": value} if isinstance(value, float) else {}),
               **{f"the score of {k!r}": v for k, v in kw.get("scores", {}).items()}}
    bad = next(((k, v) for k, v in numbers.items() if not math.isfinite(v)), None)
    if bad is not None:
        raise FusionError(f"fusion artifact {art.content_hash}: the {field} combiner gave {bad[1]} as {bad[0]} for "
                          "this item: its numbers are out of the range a fit writes (a hand edit?): restore its "
                          "fusion.json or refit (liner fit)")
    return Decision(**kw)


def passages_of(art: FusionArtifact | None, field: str, obs: Observation, vocabulary: str = "") -> list[tuple[str, int, int]]:
    """The passages a single-label combiner reads ``obs`` as (``SingleLabelModel.passages``): [] for
    a text within its fitted domain, too long, or no such combiner."""
    entry = art.get(field, vocabulary) if art is not None else None
    model = entry.model if entry is not None else None
    return model.passages(obs) if isinstance(model, SingleLabelModel) else []


def unread_passages(art: FusionArtifact | None, field: str, obs: Observation, vocabulary: str = "") -> int:
    """How many passages ``obs``'s text has when it has more than ``MAX_WINDOWS``, so that the
    single-label combiner reads none of them (``passages_of`` is []), and the hand-set rules decide
    from the lexicon alone; 0 for any other text, or no such combiner."""
    entry = art.get(field, vocabulary) if art is not None else None
    model = entry.model if entry is not None else None
    n = len(model.passages(obs, most=None)) if isinstance(model, SingleLabelModel) else 0
    return n if n > MAX_WINDOWS else 0


def unread_note(field: str, passages: int, llm: bool) -> str:
    """The review reason for a text ``unread_passages`` counted: the record's answer for ``field``
    is not the combiner's, and nothing says so otherwise (its hand-set confidence reads as any)."""
    return (f"to confirm: {field}: the text is longer than {MAX_WINDOWS} passages ({passages}), so the {field} "
            f"combiner did not read it; only the lexicon{' and the LLM' if llm else ''} read it")


def fused_passages(art: FusionArtifact, field: str, obs: Observation, passages: Sequence[Observation],
                   spans: Sequence[tuple[str, int, int]], vocabulary: str = "") -> Decision | None:
    """A long text's flag read passage by passage (``passages``: one observation per span of
    ``passages_of``, in order): the flagged passage's class and clause, uncalibrated (the
    calibrators saw short texts alone), with a note that sends it to a person; None when no
    passage is flagged."""
    entry = art.get(field, vocabulary)
    found = entry.model.decide_passages(passages) if entry is not None else None
    if found is None:
        return None
    name, start, end = spans[found.index]
    text = obs.item.text_fields()[name][start:end]
    quote = text if len(text) <= 120 else text[:117].rstrip() + "..."
    note = (f"to confirm: policy {found.label} in one passage of this long text ({name}: \"{quote}\"; P(none) "
            f"{found.p_none:.3f} < {found.threshold:.3f}, the threshold for {len(spans)} "
            f"passage{'s' if len(spans) != 1 else ''}; the combiner is fitted on texts of up to "
            f"{entry.model.max_words} tokens, so this flag is uncalibrated)")
    return Decision(value=found.clause, label=found.label, confidence=round(found.confidence, 4), calibrated=False,
                    passage=EvidenceSpan(field=name, start=start, end=end, text=text), note=note)


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
