"""``liner review build``: a run and/or gold set -> queue entries in the review store."""

from __future__ import annotations

from pathlib import Path

from pydantic import BaseModel

from linernotes.review.queue import QueueOptions, build_queue
from linernotes.review.sources import load_source
from linernotes.review.store import ReviewStore


class BuildResult(BaseModel):
    store: str
    queued: int
    new: int
    refreshed: int
    scope: int
    gold_rows: int
    by_reason: dict[str, int]


def build_store(store_path: str | Path, run: str | Path | None = None, gold: str | Path | None = None,
                options: QueueOptions | None = None, audio_root: str | Path | None = None) -> BuildResult:
    """Queue what needs a person; rebuilding into an existing store keeps every decision made so far."""
    source = load_source(run=run, gold=gold)
    entries = build_queue(source, options)
    meta = dict(source.meta)
    if audio_root:
        meta["audio_root"] = str(Path(audio_root).resolve())
    store = ReviewStore(store_path, create=True)
    new, refreshed = store.load(entries, [i.gold_row for i in source.items], source.fields, meta)
    by_reason: dict[str, int] = {}
    for e in entries:
        for kind in {r.kind for r in e.reasons}:
            by_reason[kind] = by_reason.get(kind, 0) + 1
    scope = sum(1 for i in source.items if i.in_run) or len(source.items)
    return BuildResult(store=str(store_path), queued=len(entries), new=new, refreshed=refreshed, scope=scope,
                       gold_rows=len(source.items), by_reason=by_reason)
