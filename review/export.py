"""Write the adjudicated gold set as the next version of a ``datasets`` directory.

``GOLDDIR/vN`` is a ``save_to_disk`` folder holding every gold row (adjudicated values written
back into the gold set's own columns and scale) and ``provenance.json`` naming each changed item:
who decided, when, from what, to what, and why. Versions are never overwritten, so any earlier
gold set stays loadable and diffable.
"""

from __future__ import annotations

import json
import shutil
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from pydantic import BaseModel, Field

from linernotes.review.store import ReviewStore

PROVENANCE = "provenance.json"


class Change(BaseModel):
    id: str
    field: str
    gold_key: str
    before: Any
    after: Any
    annotator: str
    at: str
    action: str
    comment: str = ""
    history: list[dict[str, Any]] = Field(default_factory=list, description="every decision on this item")


class ExportResult(BaseModel):
    path: str
    version: int
    rows: int
    changed: int
    skipped: int


def next_version(gold_dir: Path) -> int:
    taken = [int(d.name[1:]) for d in gold_dir.glob("v*") if d.is_dir() and d.name[1:].isdigit()]
    return max(taken, default=0) + 1


def _changes(store: ReviewStore) -> tuple[dict[str, dict[str, Any]], list[Change], int]:
    """Final values per item and field, and one ``Change`` per value that differs from the old gold."""
    specs = {f.name: f for f in store.fields()}
    history = store.history()
    by_item: dict[str, list[dict[str, Any]]] = {}
    for h in history:
        by_item.setdefault(h.item_id, []).append(h.model_dump())
    final: dict[str, dict[str, Any]] = {}
    changes: list[Change] = []
    skipped = 0
    for summary in store.list_items():
        state = store.get(summary.id)
        if state.status == "skipped":
            skipped += 1
        for name, value in state.decision.items():
            spec = specs[name]
            before = state.entry.gold.get(name)
            if spec.distance(before, value) == 0 and before is not None:
                continue
            last = next(h for h in reversed(state.history) if name in h.new)
            final.setdefault(summary.id, {})[spec.gold_key] = spec.to_gold(value)
            changes.append(Change(id=summary.id, field=name, gold_key=spec.gold_key, before=spec.to_gold(before),
                                  after=spec.to_gold(value), annotator=last.annotator, at=last.at,
                                  action=last.action, comment=last.comment, history=by_item.get(summary.id, [])))
    return final, changes, skipped


def export_gold(store: ReviewStore, gold_dir: str | Path) -> ExportResult:
    """Write ``gold_dir/v<N+1>``; written to a temp folder first so a failed export leaves no version."""
    from datasets import Dataset

    root = Path(gold_dir)
    root.mkdir(parents=True, exist_ok=True)
    version = next_version(root)
    final, changes, skipped = _changes(store)
    rows = []
    for row in store.gold_rows():
        rid = str(row.get("id"))
        rows.append({**row, **final.get(rid, {})} if rid in final else row)
    target = root / f"v{version}"
    tmp = root / f".v{version}.tmp"
    shutil.rmtree(tmp, ignore_errors=True)
    Dataset.from_list(rows).save_to_disk(str(tmp))
    meta = store.meta()
    provenance = {
        "version": version,
        "created": datetime.now(UTC).isoformat(timespec="seconds"),
        "store": str(store.path),
        "based_on": {k: meta.get(k) for k in ("gold", "gold_rows_fingerprint", "run", "model", "prompt_hash")},
        "previous_version": f"v{version - 1}" if version > 1 else None,
        "rows": len(rows),
        "changed_items": sorted({c.id for c in changes}),
        "changes": [c.model_dump() for c in changes],
        "skipped": skipped,
    }
    (tmp / PROVENANCE).write_text(json.dumps(provenance, indent=1, ensure_ascii=False, default=str) + "\n",
                                  encoding="utf-8")
    tmp.rename(target)
    return ExportResult(path=str(target), version=version, rows=len(rows), changed=len({c.id for c in changes}),
                        skipped=skipped)
