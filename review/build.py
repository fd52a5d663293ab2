"""``liner review build``: a run and/or gold set -> queue entries in the review store."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pydantic import BaseModel, Field

from linernotes.files import refuse_shipped
from linernotes.review.allowed import (
    disallowed,
    gold_summary,
    older_spec_runs,
    refused_gold,
    removed_fields,
    summary,
)
from linernotes.review.export import unwritable_row
from linernotes.review.fields import FieldSpec, signal_field
from linernotes.review.queue import QueueOptions, build_queue, fields_for, item_type
from linernotes.review.sources import MAX_UNREAD_KEPT, Source, SourceError, load_source
from linernotes.review.store import ReviewStore
from linernotes.review.vocab import vocabulary
from linernotes.review.web.media import audio_root_problem


class BuildResult(BaseModel):
    store: str
    queued: int
    new: int
    refreshed: int
    scope: int
    gold_rows: int
    by_reason: dict[str, int]
    notes: list[str] = []
    skipped_lines: int = Field(0, description="gold and run lines (run record items) that are no row or record, "
                               "each named in notes; the build went on without them")


def build_store(store_path: str | Path, run: str | Path | None = None, gold: str | Path | None = None,
                options: QueueOptions | None = None, audio_root: str | Path | None = None,
                signals: list[Any] | None = None, overlap: int = 1, overwrite_shipped: bool = False) -> BuildResult:
    """Queue what needs a person; rebuilding into an existing store keeps every decision made so far.

    ``signals`` (declared ``SignalSpec``s): queue those signals for labelling, every item in scope
    (or ``options.sample`` of them), with the control and guideline of each signal's kind.
    ``overlap``: each item stays open until this many different annotators labelled it. A store
    inside data the package ships is a ``SourceError`` unless ``overwrite_shipped``. A gold or run
    line that is no row (not UTF-8, not JSON, not an object) is skipped, named in ``notes`` and
    counted in ``skipped_lines``; the gold lines are kept in the store's meta for export's
    provenance.json (``unread_gold_lines``). ``SourceError`` when no line of a file is usable."""
    refuse_shipped(store_path, SourceError, "-o", overwrite_shipped)
    if why := audio_root_problem(audio_root):
        raise SourceError(why)
    fields = [signal_field(s) for s in signals] if signals else None
    source = load_source(run=run, gold=gold, signal_fields=fields)
    if fields:
        options = (options or QueueOptions()).model_copy(update={"label_all": True})
    else:  # copies: the specs are the shared known_fields() templates
        source.fields = [spec.model_copy(update=dict(zip(("vocabulary", "vocabulary_source"),
                                                         vocabulary(spec.name, _labels(source, spec)), strict=True)))
                         for spec in source.fields]
    entries = build_queue(source, options)
    notes = list(source.notes)
    if fields:  # say which items no signal applies to (an eval record's type may be a guess: track)
        skipped: dict[str, int] = {}
        for i in [i for i in source.items if i.in_run] or source.items:
            if not fields_for(source, i):
                t = item_type(i, source.meta)
                skipped[t] = skipped.get(t, 0) + 1
        notes += [f"{n} item(s) of type {t} not queued: no declared signal applies to {t}"
                  for t, n in sorted(skipped.items())]
        if refused := refused_gold(source):
            notes.append(gold_summary(str(gold or run), refused))
        if run is not None:
            notes += older_spec_runs(source, signals or [], str(run))
    meta = dict(source.meta)
    meta["overlap"] = overlap
    if signals:
        meta["signals"] = {s.name: s.content_hash for s in signals}
    if audio_root:
        meta["audio_root"] = str(Path(audio_root).resolve())
    if gold is not None or source.unread_gold:  # the gold rows this build writes lack these lines
        meta["unread_gold_lines"] = source.unread_gold[:MAX_UNREAD_KEPT]
        meta["unread_gold_count"] = len(source.unread_gold)
    store = ReviewStore(store_path, create=True)
    new, refreshed = store.load(entries, source.gold_rows, source.fields, meta, replace_gold=gold is not None)
    if problems := disallowed(store):  # export refuses them: say so while it is cheap to fix
        notes.append(summary(problems, removed_fields(store)))
    if source.gold_rows and (where := unwritable_row(source.gold_rows, list(dict.fromkeys(
            k for r in source.gold_rows for k in r)))):  # export would refuse every decision made here
        notes.append(f"{gold}: {where}: liner review export cannot write this gold set until the row is fixed")
    by_reason: dict[str, int] = {}
    for e in entries:
        for kind in {r.kind for r in e.reasons}:
            by_reason[kind] = by_reason.get(kind, 0) + 1
    scope = sum(1 for i in source.items if i.in_run) or len(source.items)
    return BuildResult(store=str(store_path), queued=len(entries), new=new, refreshed=refreshed, scope=scope,
                       gold_rows=len(source.gold_rows), by_reason=by_reason, notes=notes,
                       skipped_lines=len(set(source.unread_gold) | set(source.unread_run)))


def _labels(source: Source, spec: FieldSpec) -> set[str]:
    """Labels this store's gold rows and model already use for a set field (kept enterable)."""
    if spec.kind != "set":
        return set()
    out: set[str] = set()
    for item in source.items:
        out.update(spec.from_gold(item.gold_row.get(spec.gold_key)) or [])
        out.update(spec.from_prediction(item.prediction) or [])
    return out
