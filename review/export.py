"""Write the adjudicated gold set as the next version of a ``datasets`` directory.

``GOLDDIR/vN`` is a ``save_to_disk`` folder holding every gold row (adjudicated values written
back into the gold set's own columns and scale) and ``provenance.json`` naming each changed item:
who decided, when, from what, to what, and why (a store built with overlap K: the value is the
annotators' consensus, each one's label is listed, and items where they disagree or that fewer
than K labelled are named; a one-label field whose labels tie has no consensus and keeps its old
gold, the item listed under ``tied``). Versions are never overwritten, so any earlier
gold set stays loadable and diffable.

Every gold row is accounted for: the rows written are exactly the store's gold rows, in order (a
row without an id or with a repeated id is written as it is and listed in ``provenance.json``);
a value a column cannot hold is an ``ExportError`` naming the row. Exports into one gold dir take
a lock (``.export.lock``, ``fcntl.flock``) and write into a private temp folder that is renamed
into place, so each publishes a complete ``vN`` or nothing, and no temp folder outlives them.
"""

from __future__ import annotations

import fcntl
import json
import os
import secrets
import shutil
import stat
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from pydantic import BaseModel, Field

from linernotes.files import refuse_shipped
from linernotes.labels import label_text
from linernotes.review.store import ReviewStore, latest_labels, unlabelled

PROVENANCE = "provenance.json"
LOCK = ".export.lock"
TMP_PREFIX = ".v"  # temp folders are .v<N>.tmp-<pid>-<random>: hidden, never a version
LOCK_WAIT_S = 120.0


class ExportError(Exception):
    """The gold set cannot be written as it is (exit code 2); names the row, or the lock holder."""


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
    decided_on_gold: Any = Field(None, description="the gold value the annotator saw when deciding")
    decided_on_older_gold: bool = Field(False, description="a rebuild changed this field's gold since")
    history: list[dict[str, Any]] = Field(default_factory=list, description="every decision on this item")
    labels: dict[str, Any] | None = Field(None, description="overlap stores: each annotator's latest value; "
                                          "``after`` is their consensus and ``annotator`` is 'consensus'")
    agreed: bool | None = Field(None, description="overlap stores: every annotator gave the same value")
    below_overlap: bool = Field(False, description="fewer annotators labelled it than the store's overlap")


class ExportResult(BaseModel):
    path: str
    version: int
    rows: int
    changed: int
    skipped: int
    decided_on_older_gold: int = 0
    unreviewed_rows: int = 0
    undecided: int = Field(0, description="queued items nobody has decided yet: their gold rows are unchanged")
    partly_decided: int = Field(0, description="queued items labelled in some of their signals only: those values "
                                "are written, the signals still to label keep their gold")
    tied: int = Field(0, description="overlap stores: items whose annotators' labels tie on a one-label field; "
                      "that field's gold is unchanged until another annotator breaks the tie")
    left_out_removed: dict[str, int] = Field(default_factory=dict, description="--leave-out-removed: field the "
                                             "store no longer has -> decided values not written")
    unread_gold_lines: int = Field(0, description="lines of the gold file review build could not read (not UTF-8, "
                                   "not JSON, not an object): not in this version; provenance.json names them")


def next_version(gold_dir: Path) -> int:
    """One past the highest ``vN`` name in ``gold_dir``; a file of that name takes its number too
    (publishing renames the new folder onto the name, which a file there refused with a traceback)."""
    taken = [int(d.name[1:]) for d in gold_dir.glob("v*") if d.name[1:].isdigit()]
    return max(taken, default=0) + 1


def _changes(store: ReviewStore) -> tuple[dict[str, dict[str, Any]], list[Change], int, list[str]]:
    """Final values per item and field, one ``Change`` per value that differs from the old gold,
    the number of skipped items, and the items of an overlap store with a tied field (left out)."""
    specs = {f.name: f for f in store.fields()}
    history = store.history()
    by_item: dict[str, list[dict[str, Any]]] = {}
    for h in history:
        by_item.setdefault(h.item_id, []).append(h.model_dump())
    final: dict[str, dict[str, Any]] = {}
    changes: list[Change] = []
    tied: set[str] = set()
    skipped = 0
    overlap = int(store.meta().get("overlap") or 1)
    for summary in store.list_items():
        state = store.get(summary.id)
        if state.status == "skipped":
            skipped += 1
        latest = latest_labels(state.history) if overlap > 1 else {}  # field -> annotator -> label
        for name, value in state.decision.items():
            if name not in specs:  # a field the store no longer has: export_gold refused it unless left out
                continue
            spec = specs[name]
            before = state.entry.gold.get(name)
            if spec.distance(before, value) == 0 and before is not None:
                continue
            if overlap > 1 and spec.tied(list(latest.get(name, {}).values())):
                tied.add(summary.id)  # no majority yet: not gold until another annotator breaks the tie
                continue
            last = next(h for h in reversed(state.history) if name in h.new)
            stale = state.decided_on_older_gold.get(name)
            seen = stale["decided_on"] if stale else before
            final.setdefault(summary.id, {})[spec.gold_key] = spec.to_gold(value)
            extra: dict[str, Any] = {}
            if overlap > 1:  # the value is the annotators' consensus, not the last one's label
                labels = {who: spec.to_gold(v) for who, v in latest.get(name, {}).items()}
                extra = {"labels": labels, "below_overlap": len(labels) < overlap,
                         "agreed": len({json.dumps(v, sort_keys=True, default=str) for v in labels.values()}) <= 1}
                if len(labels) > 1:
                    extra |= {"annotator": "consensus", "action": "consensus"}
            changes.append(Change(**{"id": summary.id, "field": name, "gold_key": spec.gold_key,
                                     "before": spec.to_gold(before), "after": spec.to_gold(value),
                                     "annotator": last.annotator, "at": last.at, "action": last.action,
                                     "comment": last.comment, "decided_on_gold": spec.to_gold(seen),
                                     "decided_on_older_gold": stale is not None,
                                     "history": by_item.get(summary.id, []), **extra}))
    return final, changes, skipped, sorted(tied)


@contextmanager
def export_lock(root: Path, wait_s: float = LOCK_WAIT_S) -> Iterator[None]:
    """Hold the gold dir's export lock (waits up to ``wait_s`` seconds, then ``ExportError``).

    ``flock`` is released by the kernel when its holder dies, so a killed export never wedges the dir.
    """
    try:  # O_NOFOLLOW: a symlink planted under the lock's name (a gold dir from someone else) had its
        # target truncated and overwritten with our pid; O_NONBLOCK: a FIFO there must not block the open
        fd = os.open(root / LOCK, os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW | os.O_NONBLOCK, 0o644)
    except OSError as e:  # a symlink (ELOOP), a folder or an unreadable file under the lock's name
        why = "a symlink; remove it" if (root / LOCK).is_symlink() else (e.strerror or str(e))
        raise ExportError(f"{root / LOCK}: cannot open the export lock ({why})") from None
    if not stat.S_ISREG(os.fstat(fd).st_mode):
        os.close(fd)
        raise ExportError(f"{root / LOCK}: the export lock is not a regular file; remove it")
    try:
        deadline = time.monotonic() + wait_s
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() > deadline:
                    holder = os.pread(fd, 64, 0).decode(errors="replace").strip() or "?"
                    raise ExportError(f"{root}: another export (pid {holder}) has held the lock for over "
                                      f"{wait_s:g} s") from None
                time.sleep(0.05)
        os.ftruncate(fd, 0)
        os.pwrite(fd, str(os.getpid()).encode(), 0)
        yield
    finally:
        os.close(fd)  # closing the descriptor releases the flock


def _clean_stale_tmp(root: Path) -> None:
    """Temp folders of exports that died (we hold the lock, so none is being written)."""
    for d in root.glob(f"{TMP_PREFIX}*.tmp*"):
        shutil.rmtree(d, ignore_errors=True)


def _fsync_tree(path: Path) -> None:
    for p in [*path.rglob("*"), path]:
        fd = os.open(p, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def _as_column(store: ReviewStore, final: dict[str, dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """Decided values written in the type their gold column already holds, so a gold set labelled
    in part and finished in review can be exported: a yes/no field's 'true'/'false' (a declared
    boolean signal, or explicit) as JSON booleans or 0/1 when the column holds those, a set field's labels as one text cell
    ('calm, happy', read back by ``linernotes.labels.label_list``) when the column holds text (a
    CSV/TSV gold set), a number as its text in a text column (a CSV column holding one unreadable
    'high' is read as text), and a label that is a number's text ('2') as that number in a numeric
    column, when it reads back exactly. A column with no value yet takes the decisions as they are.
    Without this export refused the whole set: "column 'rude' holds string 'true' but gold row 1
    (id 't1') holds boolean False"; what still cannot be written so is refused by ``_dataset``."""
    fields = store.fields()
    toggles = {f.gold_key for f in fields if f.boolean}
    held: dict[str, set[type]] = {f.gold_key: set() for f in fields}
    for row in store.gold_rows():
        for k in held:
            if row.get(k) is not None:
                held[k].add(type(row[k]))

    def cast(key: str, value: Any) -> Any:
        types = held.get(key) or set()
        if not types or type(value) in types:
            return value
        if key in toggles and isinstance(value, str) and types & {bool, int, float}:
            return (bool if bool in types else int)(value == "true")
        if types == {str} and isinstance(value, list):  # none applies: '[]' (label_list reads a JSON array), as '' is no value
            return ", ".join(str(v) for v in value) if value else "[]"
        if types == {str} and isinstance(value, int | float) and not isinstance(value, bool):
            return str(value)
        if types <= {int, float} and isinstance(value, str):
            return _number(value, float if float in types else int)
        return value

    return {rid: {k: cast(k, v) for k, v in values.items()} for rid, values in final.items()}


def _number(text: str, kind: type) -> Any:
    """``text`` as a ``kind`` number when review reads it back as the same label
    (``linernotes.labels.label_text``: '2' -> 2 or 2.0, '2.5' -> 2.5), else ``text`` unchanged ('01' or '1e3'
    would come back as another label)."""
    try:
        number = kind(text)
    except ValueError:
        return text
    return number if label_text(number) == text else text


def _gold_rows(store: ReviewStore, final: dict[str, dict[str, Any]]) -> tuple[list[dict[str, Any]], list[str]]:
    """Every stored gold row with its decisions written back (first row of an id only), and a note
    per row that was written as it is because it is not a reviewable item."""
    rows, notes, done = [], [], set()
    for n, row in enumerate(store.gold_rows(), 1):
        rid = row.get("id")
        if rid is None:
            notes.append(f"gold row {n}: no id, written as it is")
            rows.append(row)
            continue
        if str(rid) in done:
            notes.append(f"gold row {n}: repeats id {str(rid)!r:.80}, written as it is")
            rows.append(row)
            continue
        done.add(str(rid))
        rows.append({**row, **final[str(rid)]} if str(rid) in final else row)
    return rows, notes


def _dataset(rows: list[dict[str, Any]]):
    """``datasets.Dataset`` of the rows; a column Arrow cannot type is an ``ExportError`` naming the row.
    ``datasets``' progress bars are turned off (as ``store.tables`` does): ``save_to_disk`` otherwise
    prints a shard bar on stderr before export's own summary line."""
    import datasets
    from datasets import Dataset

    datasets.disable_progress_bars()

    from linernotes.review.sources import SourceError, check_columns

    try:
        check_columns([(f"gold row {n} (id {r.get('id')!r:.80})", r) for n, r in enumerate(rows, 1)])
    except SourceError as e:
        raise ExportError(str(e)) from None
    # Dataset.from_list takes its columns from the first row only: a column that first appears in a
    # later row (an episode's transcript after a track, a text signal decided only on episodes)
    # would be dropped silently, gold labels with it. Every row gets every column (None if absent).
    columns = list(dict.fromkeys(k for r in rows for k in r))
    rows = [{k: r.get(k) for k in columns} for r in rows]
    try:
        return Dataset.from_list(rows)
    except Exception as e:  # noqa: BLE001 - pyarrow raises several unrelated types; all mean "cannot write"
        where = unwritable_row(rows, columns)
        raise ExportError(f"the gold rows cannot be written as a dataset: {where or str(e).splitlines()[0][:300]}"
                          + ("; fix that row in the gold file and rebuild" if where else "")) from None


def unwritable_row(rows: list[dict[str, Any]], columns: list[str]) -> str | None:
    """'gold row N (id ...): column C holds V, which no Arrow column typed by the rows before it
    holds', for the first column and row Arrow cannot store (it said only "Could not convert 'bad'
    with type str: tried to convert to int64", naming neither); None when none is found. The row
    is found by bisection: a prefix of rows that cannot be stored stays so when it grows."""
    import pyarrow as pa

    def fits(values: list[Any]) -> bool:
        try:
            pa.array(values)
        except Exception:  # noqa: BLE001 - ArrowInvalid, ArrowTypeError, OverflowError ...: all "cannot"
            return False
        return True

    for col in columns:
        values = [r.get(col) for r in rows]
        if fits(values):
            continue
        lo, hi = 1, len(values)  # the shortest failing prefix has hi rows
        while lo < hi:
            mid = (lo + hi) // 2
            lo, hi = (lo, mid) if not fits(values[:mid]) else (mid + 1, hi)
        row = rows[hi - 1]
        return (f"gold row {hi} (id {row.get('id')!r:.80}): column {col!r} holds {values[hi - 1]!r:.120}, which does "
                "not fit the type the rows before it give that column")
    return None


def export_gold(store: ReviewStore, gold_dir: str | Path, lock_wait_s: float = LOCK_WAIT_S,
                overwrite_shipped: bool = False, leave_out_removed: bool = False) -> ExportResult:
    """Write ``gold_dir/v<N+1>`` and return what was written.

    Under the gold dir's lock: the rows go to a private temp folder, then one ``rename`` publishes
    it, so a failed or killed export leaves no version and concurrent exports get v1, v2, ... in
    turn. Raises ``ExportError`` (a row a column cannot hold, the lock held too long, a decided
    value the store's signal definitions no longer allow: ``review.allowed``; a gold dir inside data
    the package ships, unless ``overwrite_shipped``: ``files.refuse_shipped``). A decided value of a
    field the store no longer has (a signal removed from the spec) is refused too unless
    ``leave_out_removed``: then it is not written (the store keeps it) and provenance.json lists it
    under ``left_out_removed`` ({field: [ids]}).
    """
    from linernotes.review.allowed import disallowed, removed_fields, summary

    root = Path(gold_dir)
    refuse_shipped(root, ExportError, "-o", overwrite_shipped)
    with store.snapshot():  # one moment of the store: annotators may be saving while it is read
        if not store.gold_rows() and not store.list_items():  # a build stopped between creating and filling it
            raise ExportError(f"{store.path}: the store holds no gold rows and no items (a `liner review build` "
                              "that did not finish?); build it again before exporting")
        removed = removed_fields(store)
        if problems := disallowed(store, leave_out_removed):
            raise ExportError(f"{store.path}: {summary(problems, {} if leave_out_removed else removed)}")
        try:
            root.mkdir(parents=True, exist_ok=True)
        except OSError as e:  # -o naming an existing file (or a path through one) was a FileExistsError traceback
            raise ExportError(f"{root}: cannot be the gold directory ({e.strerror or e}"
                              f"{'; it is a file' if root.is_file() else ''}); give a folder to write vN into") \
                from None
        final, changes, skipped, tied = _changes(store)
        final = _as_column(store, final)
        # an open item is undecided only when none of its values is written: one labelled in some of its
        # signals (the rest still to label) was listed as undecided, 'gold unchanged', and as changed
        opened = [s.id for s in store.list_items() if s.status == "open"]
        undecided = sorted(i for i in opened if i not in final)
        fields = store.fields()
        partly = {i: missing for i in sorted(opened) if i in final and (missing := unlabelled(store.get(i), fields))}
        rows, notes = _gold_rows(store, final)
        dataset = _dataset(rows)
        meta = store.meta()
    with export_lock(root, lock_wait_s):
        _clean_stale_tmp(root)
        version = next_version(root)
        target = root / f"v{version}"
        tmp = root / f"{TMP_PREFIX}{version}.tmp-{os.getpid()}-{secrets.token_hex(4)}"
        try:
            dataset.save_to_disk(str(tmp))
            provenance = {
                "version": version,
                "created": datetime.now(UTC).isoformat(timespec="seconds"),
                "store": str(store.path),
                "based_on": {k: meta.get(k) for k in ("gold", "gold_rows_fingerprint", "run", "model",
                                                      "prompt_hash")},
                "previous_version": f"v{version - 1}" if version > 1 else None,
                "rows": len(rows),
                "changed_items": sorted({c.id for c in changes}),
                "changes": [c.model_dump() for c in changes],
                "decided_on_older_gold": sorted({c.id for c in changes if c.decided_on_older_gold}),
                "overlap": int(meta.get("overlap") or 1),
                "annotators_disagree": sorted({c.id for c in changes if c.agreed is False}),
                "below_overlap": sorted({c.id for c in changes if c.below_overlap}),
                "tied": tied,
                "unreviewed_rows": notes,
                "skipped": skipped,
                "undecided": undecided,
                "partly_decided": partly,
                "left_out_removed": removed if leave_out_removed else {},
                # lines build skipped: the source file still holds them, this version does not
                "unread_gold_lines": meta.get("unread_gold_lines") or [],
                "unread_gold_count": int(meta.get("unread_gold_count") or 0),
            }
            (tmp / PROVENANCE).write_text(json.dumps(provenance, indent=1, ensure_ascii=False, default=str) + "\n",
                                          encoding="utf-8")
            _fsync_tree(tmp)
            tmp.rename(target)
        except OSError as e:  # a full disk, a name taken meanwhile: nothing is published, and no traceback
            raise ExportError(f"{target}: cannot publish this version ({e.strerror or e}); nothing was "
                              "written") from None
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
    return ExportResult(path=str(target), version=version, rows=len(rows), changed=len({c.id for c in changes}),
                        skipped=skipped, decided_on_older_gold=len({c.id for c in changes if c.decided_on_older_gold}),
                        unreviewed_rows=len(notes), undecided=len(undecided), partly_decided=len(partly),
                        tied=len(tied), unread_gold_lines=int(meta.get("unread_gold_count") or 0),
                        left_out_removed={k: len(v) for k, v in removed.items()} if leave_out_removed else {})
