"""Which items of an eval's run folder were tagged from other inputs than the gold set gives them now.

A rerun resumes by id: every item with a prediction is skipped. A gold row whose text was edited,
or a spec whose ``inputs`` now map other columns (or another spec sharing the ``-o``), kept the
prediction made from the old text, and the record showed it beside the new inputs, exit 0. So
the run folder keeps, per tagger id, a digest of the row the tagger was given
(``inputs.digests.json``); before a resume, an item whose row differs loses its prediction and is
tagged again. A folder from before the digests is compared with the ``inputs.jsonl`` it holds.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from linernotes.digest import short_digest

DIGESTS = "inputs.digests.json"


def row_digest(row: dict[str, Any]) -> str:
    """``short_digest`` of the tagger row as canonical JSON (key order does not count)."""
    return short_digest(json.dumps(row, sort_keys=True, ensure_ascii=False, default=str))


def _read_lines(path: Path) -> dict[str, str]:
    """``{id: digest}`` of a tagger input file's rows (unreadable lines skipped: they tell nothing)."""
    out: dict[str, str] = {}
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError):
        return out
    for line in lines:
        try:
            row = json.loads(line)
        except ValueError:
            continue
        if isinstance(row, dict) and "id" in row:
            out[str(row["id"])] = row_digest(row)
    return out


def previous_digests(folder: Path) -> dict[str, str]:
    """``{tagger id: digest}`` of the rows this folder's predictions were made from, as far as known."""
    try:
        data = json.loads((folder / DIGESTS).read_text(encoding="utf-8"))
        if isinstance(data, dict):
            return {str(k): str(v) for k, v in data.items()}
    except (OSError, ValueError):
        pass
    return _read_lines(folder / "inputs.jsonl")


def retag_changed(folder: Path, rows: list[dict[str, Any]], predictions: Path) -> list[str]:
    """Drop from ``predictions`` (an output JSONL, under its writer lock) every item whose row in
    ``rows`` (tagger rows with an ``id``) differs from the one it was tagged from, then record the
    rows' digests; returns the dropped tagger ids. Dropped before the digests are written, so a kill
    between the two drops them again on the next run instead of keeping a stale prediction.
    Raises OutputError when the predictions cannot be rewritten or are another process's."""
    from linernotes.store.records import OutputLock, compact, scan_output

    old = previous_digests(folder)
    now = {str(r["id"]): row_digest(r) for r in rows}
    changed = sorted(k for k, d in now.items() if k in old and old[k] != d)
    if changed and predictions.exists():
        with OutputLock(predictions):
            tagged = scan_output(predictions)  # also repairs a line a kill cut short
            stale = [k for k in changed if k in tagged]
            if stale:
                compact(predictions, drop_keys=frozenset(stale))
    else:
        stale = []
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / DIGESTS
    tmp = path.with_name(path.name + ".tmp")
    # kept for items not in this run (another --limit): their predictions stay, and so does what they came from
    tmp.write_text(json.dumps({**old, **now}, sort_keys=True), encoding="utf-8")
    tmp.replace(path)
    return stale
