"""Build the review queue: which items need a person, why, and in what order.

An item is queued when the model disagrees with gold, when its raters disagree among themselves,
when the graph routed it to review, or when the model failed on it. The model is recorded as one
more annotator next to the gold consensus and every rater, as Prodigy does, so the item page and
the agreement metrics treat it like anyone else.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, Field

from linernotes.numbers import TextNumbers
from linernotes.review.fields import FieldSpec
from linernotes.review.priority import ROUTED_FLOOR, confirming, priority, severity, uncertainty
from linernotes.review.sources import Source, SourceItem
from linernotes.schema import Review

ReasonKind = Literal["model_disagrees", "annotators_disagree", "routed", "model_error", "to_label"]


class Reason(BaseModel):
    kind: ReasonKind
    field: str | None = None
    size: float = Field(ge=0, le=1, description="disagreement on [0, 1]")
    detail: str = ""


class Annotation(BaseModel):
    """One annotator's value for one field: ``gold``, ``model:<name>``, ``rater:<n>`` or a reviewer id."""

    annotator: str
    field: str
    value: Any


class QueueEntry(BaseModel):
    id: str
    inputs: dict[str, Any] = Field(default_factory=dict)
    gold: dict[str, Any] = Field(default_factory=dict, description="gold per field, enrichment scale")
    consensus: dict[str, Any] = Field(default_factory=dict, description="annotators' consensus per field")
    prediction: dict[str, Any] | None = None
    status: str = "ok"
    error: dict[str, Any] | None = None
    annotations: list[Annotation] = Field(default_factory=list)
    reasons: list[Reason] = Field(default_factory=list)
    fields: list[str] = Field(default_factory=list, description="fields under review")
    labels: list[str] = Field(default_factory=list)
    disagreement: float = 0.0
    uncertainty: float = 0.0
    severity: float = 0.0
    priority: float = 0.0


class QueueOptions(TextNumbers):
    min_model_gap: float = Field(0.1, ge=0, le=1, description="queue when model-gold distance >= this")
    min_rater_spread: float = Field(0.3, ge=0, le=1, description="queue when raters' sd/max-sd >= this")
    include_routed: bool = True
    label_all: bool = Field(False, description="queue every item in scope for labelling (a new declared signal)")
    sample: int | None = Field(None, ge=1, description="label_all: a seeded random sample of this many items")
    seed: int = 0


def model_annotator(meta: dict[str, Any]) -> str:
    return f"model:{meta.get('model') or 'unknown'}"


def _annotations(item: SourceItem, fields: list[FieldSpec], model_name: str) -> list[Annotation]:
    out = []
    for f in fields:
        gold = f.from_gold(item.gold_row.get(f.gold_key))
        if gold is not None:
            out.append(Annotation(annotator="gold", field=f.name, value=gold))
        pred = f.from_prediction(item.prediction)
        if pred is not None:
            out.append(Annotation(annotator=model_name, field=f.name, value=pred))
        for who, value in f.annotator_values(item.gold_row).items():
            out.append(Annotation(annotator=who, field=f.name, value=value))
    return out


def _reasons(item: SourceItem, fields: list[FieldSpec], opts: QueueOptions) -> list[Reason]:
    reasons = []
    if opts.label_all:
        golds = {f.name: f.from_gold(item.gold_row.get(f.gold_key)) for f in fields}
        missing = [n for n, g in golds.items() if g is None]
        # gold labelled under an older spec (a dropped label, another kind) is no label: the
        # item was left out of the queue as done and its gold exported as it was
        refused = [why for f in fields if (why := f.refused(golds[f.name]))]
        parts = ([f"no label yet: {', '.join(missing)}"] if missing else []) + \
            [f"gold not allowed by the signal now ({why})" for why in refused]
        if parts:
            reasons.append(Reason(kind="to_label", size=1.0, detail="; ".join(parts)[:300]))
    if item.in_run and item.status == "error":
        err = item.error or {}
        reasons.append(Reason(kind="model_error", size=1.0, detail=f"{err.get('kind', 'error')}: "
                                                                   f"{err.get('message', '')}"[:300]))
    for f in fields:
        gold = f.from_gold(item.gold_row.get(f.gold_key))
        pred = f.from_prediction(item.prediction)
        gap = f.distance(pred, gold)
        if pred is not None and gold is not None and gap >= opts.min_model_gap:
            reasons.append(Reason(kind="model_disagrees", field=f.name, size=round(gap, 4),
                                  detail=f"model {_fmt(pred)} vs gold {_fmt(gold)}"))
        ratings = f.ratings(item.gold_row)
        spread = f.spread(ratings)
        if spread >= opts.min_rater_spread:
            shown = (f"range {_fmt(min(ratings))}..{_fmt(max(ratings))}" if f.kind == "interval"
                     else "; ".join(sorted({_fmt(r) for r in ratings}))[:200])
            reasons.append(Reason(kind="annotators_disagree", field=f.name, size=round(spread, 4),
                                  detail=f"{len(ratings)} annotators, {shown}"))
    review = (item.prediction or {}).get("review") or {}
    if opts.include_routed and review.get("routed"):
        for text in review.get("reasons") or ["routed"]:
            reasons.append(Reason(kind="routed", size=ROUTED_FLOOR, detail=str(text)[:300]))
    return reasons


def routed_fields(reasons: list[Reason]) -> list[str]:
    """The fields the routed reasons send to a person, sorted: a built-in field by name
    (``"policy"``), a declared signal as ``"signals.<name>"``; reasons that name none (an older or
    foreign record's, ``"audio: ..."``): []. Read by ``Review.fields_in``, the reader ``liner eval``
    uses too: route's and the signals node's reasons have one reader, so the queue cannot miss
    one that the eval reads (a passage or unread-text note, "policy severity N", a signal's)."""
    return sorted(Review.fields_in({"reasons": [r.detail for r in reasons if r.kind == "routed"]}))


def _fmt(v: Any) -> str:
    if isinstance(v, float):
        return f"{v:+.2f}"
    if isinstance(v, list):
        return "[" + ", ".join(map(str, v)) + "]"
    return str(v)


def build_entry(item: SourceItem, fields: list[FieldSpec], opts: QueueOptions, model_name: str) -> QueueEntry | None:
    """The queue entry for one item, or None when nothing about it needs a person."""
    reasons = _reasons(item, fields, opts)
    if not reasons:
        return None
    involved = sorted({r.field for r in reasons if r.field}) or [f.name for f in fields]
    disagreement = max(r.size for r in reasons)
    # a routed item is uncertain about the field the graph routed it for, which the gold set may
    # not hold: routed at genres 0.39 with language (0.95) the only gold field read "uncertainty 0.10";
    # a declared signal's confidence is in the record's signals, read under "signals.<name>"
    keys = {f.name: f"signals.{f.signal}" if f.signal is not None else f.name for f in fields}
    routed = routed_fields(reasons)
    unc = confirming(item.prediction, routed, uncertainty(item.prediction, [keys.get(n, n) for n in involved] + routed))
    sev = severity(item.prediction)
    gold = {f.name: f.from_gold(item.gold_row.get(f.gold_key)) for f in fields}
    consensus = {f.name: f.consensus(r) for f in fields if (r := f.ratings(item.gold_row))}
    labels: set[str] = set()
    for f in fields:
        labels.update(f.labels(gold[f.name]))
        labels.update(f.labels(f.from_prediction(item.prediction)))
    return QueueEntry(id=item.id, inputs=item.inputs, gold=gold, consensus=consensus, prediction=item.prediction,
                      status=item.status, error=item.error, annotations=_annotations(item, fields, model_name),
                      reasons=reasons, fields=involved, labels=sorted(labels), disagreement=disagreement,
                      uncertainty=unc, severity=sev, priority=priority(disagreement, unc, sev))


def item_type(item: SourceItem, meta: dict[str, Any]) -> str:
    """The item's type as the tagger read it: the catalog row's ``type``, else the source's
    ``item_type`` (an eval spec's), else track (the catalog reader's own default)."""
    return str(item.gold_row.get("type") or item.inputs.get("type") or meta.get("item_type") or "track")


def fields_for(source: Source, item: SourceItem) -> list[FieldSpec]:
    """The source's fields labelled on ``item``: a declared signal only on the item types it
    applies to (an episode-only signal never asks about a track)."""
    kind = item_type(item, source.meta)
    return [f for f in source.fields if f.applies(kind)]


def build_queue(source: Source, opts: QueueOptions | None = None) -> list[QueueEntry]:
    """Entries sorted by priority (highest first). With a run, only the run's items are in scope."""
    opts = opts or QueueOptions()
    scoped = [i for i in source.items if i.in_run] or source.items
    if opts.label_all:  # sample among the items a field applies to: --sample 20 queues 20 when 20 qualify
        scoped = [i for i in scoped if fields_for(source, i)]
    if opts.label_all and opts.sample is not None and opts.sample < len(scoped):
        import random

        scoped = random.Random(opts.seed).sample(scoped, opts.sample)
    model_name = model_annotator(source.meta)
    entries = []
    for i in scoped:  # an item no field applies to is not queued at all
        fields = fields_for(source, i)
        if fields and (e := build_entry(i, fields, opts, model_name)):
            entries.append(e)
    if opts.label_all:  # labelling a sample: a seeded shuffle, so any prefix of the work is a random sample
        import hashlib

        for e in entries:
            digest = hashlib.sha256(f"{opts.seed}:{e.id}".encode()).digest()
            e.priority = round(int.from_bytes(digest[:6], "big") / 2 ** 48, 6)
    entries.sort(key=lambda e: (-e.priority, e.id))
    return entries
