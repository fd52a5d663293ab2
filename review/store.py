"""The review store: one SQLite file (WAL) holding the queue, the gold set it came from, and every decision.

Why this shape:
- every adjudication is one transaction that appends a history row *and* bumps the item's
  version, so a crash leaves either both or neither;
- saves carry the version the annotator saw (optimistic concurrency): a stale save raises
  ``VersionConflict`` with the current state instead of silently overwriting a colleague (with
  ``--overlap K`` only the annotator's own newer save conflicts: others' labels are not overwritten,
  the consensus is recomputed over everyone's);
- the whole gold set is kept (not just queued items), row by row in its own order and keyed by
  position, not id: a row without an id or with a repeated id is still a row export must write;
- a rebuild with another gold set replaces the gold rows (export writes what the UI shows), and
  every decision records the gold values it was made on, so one made on older gold is kept and
  shown as such (``ItemState.decided_on_older_gold``).
"""

from __future__ import annotations

import json
import sqlite3
import threading
import unicodedata
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from linernotes.files import require_regular
from linernotes.numbers import TextNumbers
from linernotes.review.fields import FieldSpec
from linernotes.review.queue import QueueEntry

Action = Literal["accept_model", "accept_gold", "accept_consensus", "edit", "skip"]
Status = Literal["open", "adjudicated", "skipped"]
SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS gold (pos INTEGER PRIMARY KEY, id TEXT, row TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS items (
  id TEXT PRIMARY KEY, priority REAL NOT NULL, entry TEXT NOT NULL,
  status TEXT NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'adjudicated', 'skipped')),
  decision TEXT NOT NULL DEFAULT '{}', version INTEGER NOT NULL DEFAULT 0,
  updated_at TEXT, updated_by TEXT);
CREATE TABLE IF NOT EXISTS adjudications (
  seq INTEGER PRIMARY KEY AUTOINCREMENT, item_id TEXT NOT NULL REFERENCES items(id),
  annotator TEXT NOT NULL, at TEXT NOT NULL, action TEXT NOT NULL,
  previous TEXT NOT NULL, new TEXT NOT NULL, comment TEXT NOT NULL DEFAULT '', version INTEGER NOT NULL,
  gold TEXT);
CREATE INDEX IF NOT EXISTS adjudications_item ON adjudications(item_id);
CREATE INDEX IF NOT EXISTS items_priority ON items(priority DESC);
"""
# Names the queue and agreement stats already give to non-people (see review.queue.Annotation).
RESERVED_ANNOTATORS = frozenset({"gold", "model", "consensus", "raters", "rater", "raters' mean", "system",
                                 "annotator", "unknown"})
RESERVED_PREFIXES = ("model:", "rater:", "annotator:", "gold:")
SQLITE_MAGIC = b"SQLite format 3\x00"
REVIEW_TABLES = {"meta", "gold", "items", "adjudications"}
SERVER_BUSY_TIMEOUT_S = 2.0  # a web request waits at most this long for another writer, then 503


class StoreError(Exception):
    """The store is missing or unusable (exit code 2); the message is one line naming the file."""

    def __init__(self, message: str):
        super().__init__(" ".join(str(message).split()))


class StoreBusy(StoreError):
    """Another connection held the write lock for longer than the busy timeout (HTTP 503)."""


def _is_busy(e: sqlite3.OperationalError) -> bool:
    msg = str(e).lower()
    return "locked" in msg or "busy" in msg


class Adjudication(TextNumbers):
    """What an annotator submits: an action, the version they saw, and for ``edit`` the new values.
    A key it does not have is refused (422 naming it): ``"coment": "..."`` or ``"value": {...}`` from a
    script was dropped without a word and the decision saved without them."""

    model_config = ConfigDict(extra="forbid")

    annotator: str = Field(min_length=1, max_length=100)
    action: Action
    version: int = Field(ge=0, strict=True)
    values: dict[str, Any] = Field(default_factory=dict)
    comment: str = Field("", max_length=5000)

    @field_validator("annotator")
    @classmethod
    def _person(cls, v: str) -> str:
        """A person's name: not one the queue already uses for a non-person (gold, the model, raters)."""
        name = unicodedata.normalize("NFKC", v).strip()
        if not name or any(unicodedata.category(c) in ("Cc", "Cf") for c in name):
            raise ValueError("annotator must be a name without control or formatting characters")
        for folded in {name.casefold(), _skeleton(name)}:
            if folded in RESERVED_ANNOTATORS or folded.startswith(RESERVED_PREFIXES):
                raise ValueError(f"annotator name {name!r} is reserved (it names gold, the model or the raters)")
        return name


def _skeleton(name: str) -> str:
    """``name`` with look-alike letters of other scripts read as the Latin letter they imitate
    (UTS #39 confusables via ``linernotes.tools.policy.skeleton``), so ``gоld`` with a Cyrillic o
    is the reserved ``gold``."""
    from linernotes.tools.policy.skeleton import fold

    return fold(name)[0].replace("|", "l").casefold()  # fold's '|' stands for l/I look-alikes


class HistoryRow(BaseModel):
    seq: int
    item_id: str
    annotator: str
    at: str
    action: str
    previous: dict[str, Any]
    new: dict[str, Any]
    comment: str
    version: int
    gold: dict[str, Any] | None = Field(None, description="the item's gold values when this was decided")


class ItemState(BaseModel):
    entry: QueueEntry
    status: Status
    decision: dict[str, Any]
    version: int
    updated_at: str | None = None
    updated_by: str | None = None
    history: list[HistoryRow] = Field(default_factory=list)
    decided_on_older_gold: dict[str, dict[str, Any]] = Field(
        default_factory=dict, description="field -> {'decided_on': gold then, 'now': gold now} for decisions "
                                          "made before a rebuild changed that field's gold")


class ItemSummary(BaseModel):
    id: str
    priority: float
    status: Status
    version: int
    fields: list[str]
    reasons: list[str]
    labels: list[str]
    preview: str
    updated_by: str | None = None


class QueueFilter(BaseModel):
    reason: str | None = None
    field: str | None = None
    label: str | None = None
    annotator: str | None = None
    status: Status | None = None
    sort: Literal["priority", "id"] = "priority"


class VersionConflict(Exception):
    """A save based on an old version; carries what the item looks like now."""

    def __init__(self, current: ItemState):
        super().__init__(f"item {current.entry.id!r} changed: now at version {current.version}")
        self.current = current


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds")


def _dump(v: Any) -> str:
    return json.dumps(v, ensure_ascii=False, sort_keys=True)


class ReviewStore:
    # Test seam: called inside the adjudication transaction between its two writes, so fault
    # injection (an exception, a SIGKILL) can prove no half-written decision survives.
    fault_hook: Callable[[], None] | None = None

    def __init__(self, path: str | Path, *, create: bool = False, busy_timeout: float = 30.0):
        """Open (or with ``create`` make) a store; ``busy_timeout`` is how many seconds a call waits
        for another writer before raising ``StoreBusy``.

        Raises ``StoreError`` (one line, naming the file) when the file is missing, empty, not a
        SQLite database, corrupt (``PRAGMA quick_check``) or a database of something else.
        """
        self.path = Path(path)
        self.busy_timeout = busy_timeout
        self._pin = threading.local()  # snapshot(): this thread's read connection, inside its block
        exists = self.path.exists()
        if not create and not exists:
            raise StoreError(f"review store not found: {self.path} (build one with `liner review build`)")
        if exists:
            self._check_file(create)
        try:
            with self._connect() as con:
                con.execute("PRAGMA journal_mode=WAL")
                con.executescript(SCHEMA)
                self._migrate(con)
        except StoreBusy:
            raise
        except sqlite3.DatabaseError as e:
            raise StoreError(f"{self.path}: not a usable review store ({e})") from None

    def _check_file(self, create: bool = False) -> None:
        """Refuse what is not a review store before SQLite touches it (it would happily turn a
        0-byte file into an empty database, and a damaged one fails only on the page it reads).
        A SQLite database without any table becomes a store only for ``build`` (``create``):
        opened to serve or export, it was given the schema and exported a ``v1`` of 0 rows. A folder,
        FIFO or device is named as what it is (it was "not a file, so not a review store")."""
        require_regular(self.path, StoreError, ": a review store is a SQLite file", folder_ok=False)
        if not self.path.is_file():
            raise StoreError(f"{self.path}: not a file, so not a review store")
        try:
            with self.path.open("rb") as f:
                head = f.read(len(SQLITE_MAGIC))
        except OSError as e:
            raise StoreError(f"{self.path}: cannot read the review store ({e.strerror or e})") from None
        if not head:
            raise StoreError(f"{self.path}: empty file (0 bytes), not a review store; remove it or build "
                             "into another path")
        if head != SQLITE_MAGIC:
            raise StoreError(f"{self.path}: not a SQLite database, so not a review store")
        try:
            with self._connect() as con:
                check = con.execute("PRAGMA quick_check").fetchone()[0]
                tables = {r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        except StoreBusy:
            raise
        except sqlite3.DatabaseError as e:
            raise StoreError(f"{self.path}: corrupt review store ({e})") from None
        if check != "ok":
            raise StoreError(f"{self.path}: corrupt review store (integrity check: {check})")
        if not tables and not create:
            raise StoreError(f"{self.path}: an empty SQLite database (no tables), not a review store; build one "
                             "with `liner review build`")
        if tables and not tables >= REVIEW_TABLES:
            raise StoreError(f"{self.path}: a SQLite database of something else (no "
                             f"{', '.join(sorted(REVIEW_TABLES - tables))} table), not a review store")

    @staticmethod
    def _migrate(con: sqlite3.Connection) -> None:
        """Stores written before gold rows were keyed by position, or before decisions kept their gold."""
        pk = [r["name"] for r in con.execute("PRAGMA table_info(gold)") if r["pk"]]
        if pk == ["id"]:
            con.executescript("""
                BEGIN IMMEDIATE;
                ALTER TABLE gold RENAME TO gold_by_id;
                CREATE TABLE gold (pos INTEGER PRIMARY KEY, id TEXT, row TEXT NOT NULL);
                INSERT INTO gold(pos, id, row) SELECT pos, id, row FROM gold_by_id ORDER BY pos;
                DROP TABLE gold_by_id;
                COMMIT;""")
        if "gold" not in {r["name"] for r in con.execute("PRAGMA table_info(adjudications)")}:
            con.execute("ALTER TABLE adjudications ADD COLUMN gold TEXT")

    @contextmanager
    def _connect(self, *, fresh: bool = False) -> Iterator[sqlite3.Connection]:
        """A connection: inside ``snapshot`` (this thread) its read transaction's, unless ``fresh``."""
        pinned = None if fresh else getattr(self._pin, "con", None)
        con = pinned or sqlite3.connect(self.path, timeout=self.busy_timeout, isolation_level=None,
                                        check_same_thread=False)
        try:
            if pinned is None:
                con.row_factory = sqlite3.Row
                con.execute("PRAGMA foreign_keys=ON")
                con.execute("PRAGMA synchronous=FULL")
            yield con
        except sqlite3.OperationalError as e:
            if _is_busy(e):
                raise StoreBusy(f"{self.path}: the review store is busy (another writer held its lock for "
                                f"over {self.busy_timeout:g} s)") from None
            raise
        finally:
            if pinned is None:
                con.close()

    @contextmanager
    def snapshot(self) -> Iterator[ReviewStore]:
        """Inside the block, this thread's reads see the store as it was when the block began: one
        SQLite read transaction (WAL: annotators' saves go on meanwhile, unseen until it ends).
        Export reads through it: in separate reads, an item decided between export's read of it
        and its 'undecided' list was in neither, and a change was listed without its history."""
        if getattr(self._pin, "con", None) is not None:  # already in one: the same moment
            yield self
            return
        with self._connect() as con:
            con.execute("BEGIN")
            con.execute("SELECT COUNT(*) FROM items").fetchone()  # a deferred transaction's snapshot starts here
            self._pin.con = con
            try:
                yield self
            finally:
                self._pin.con = None
                con.execute("ROLLBACK")

    @contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        """One IMMEDIATE transaction: takes the write lock up front so the version check can't race."""
        with self._connect(fresh=True) as con:
            con.execute("BEGIN IMMEDIATE")
            try:
                yield con
            except BaseException:
                con.execute("ROLLBACK")
                raise
            con.execute("COMMIT")

    # -- building -------------------------------------------------------------------------------
    def load(self, entries: list[QueueEntry], gold_rows: list[dict[str, Any]], fields: list[FieldSpec],
             meta: dict[str, Any], *, replace_gold: bool = True) -> tuple[int, int]:
        """Add a queue; items already in the store keep their decisions and versions (nothing lost).

        ``gold_rows`` are kept verbatim and in order (rows without an id or with a repeated id too).
        ``replace_gold``: the rows are the whole gold set (``--gold``) and replace the stored ones;
        otherwise (a run record's items) a row replaces the stored row with its id, or is appended.
        Returns (new items, refreshed items).
        """
        with self._write() as con:
            known = {r[0] for r in con.execute("SELECT id FROM items")}
            for key, value in {**meta, "fields": [f.model_dump() for f in fields]}.items():
                con.execute("INSERT INTO meta(key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET "
                            "value = excluded.value", (key, _dump(value)))
            if replace_gold:
                con.execute("DELETE FROM gold")
            for row in gold_rows:
                rid = None if row.get("id") is None else str(row.get("id"))
                hit = con.execute("SELECT MIN(pos) FROM gold WHERE id = ?", (rid,)).fetchone()[0] \
                    if rid is not None and not replace_gold else None
                if hit is not None:
                    con.execute("UPDATE gold SET row = ? WHERE pos = ?", (_dump(row), hit))
                else:
                    con.execute("INSERT INTO gold(pos, id, row) VALUES ((SELECT COALESCE(MAX(pos), -1) + 1 "
                                "FROM gold), ?, ?)", (rid, _dump(row)))
            con.executemany(
                "INSERT INTO items(id, priority, entry) VALUES (?, ?, ?) ON CONFLICT(id) DO UPDATE SET "
                "priority = excluded.priority, entry = excluded.entry",
                ((e.id, e.priority, e.model_dump_json()) for e in entries))
        new = sum(1 for e in entries if e.id not in known)
        return new, len(entries) - new

    # -- reading --------------------------------------------------------------------------------
    def meta(self) -> dict[str, Any]:
        with self._connect() as con:
            return {r["key"]: json.loads(r["value"]) for r in con.execute("SELECT key, value FROM meta")}

    def fields(self) -> list[FieldSpec]:
        return [FieldSpec.model_validate(f) for f in self.meta().get("fields", [])]

    def field(self, name: str) -> FieldSpec:
        for f in self.fields():
            if f.name == name:
                return f
        raise ValueError(f"unknown field {name!r}")

    def _history(self, con: sqlite3.Connection, item_id: str | None = None) -> list[HistoryRow]:
        sql = "SELECT * FROM adjudications" + (" WHERE item_id = ?" if item_id else "") + " ORDER BY seq"
        rows = con.execute(sql, (item_id,) if item_id else ())
        return [HistoryRow(**{**dict(r), "previous": json.loads(r["previous"]), "new": json.loads(r["new"]),
                              "gold": json.loads(r["gold"]) if r["gold"] else None}) for r in rows]

    def _state(self, con: sqlite3.Connection, item_id: str) -> ItemState:
        r = con.execute("SELECT * FROM items WHERE id = ?", (item_id,)).fetchone()
        if r is None:
            raise KeyError(item_id)
        entry = QueueEntry.model_validate_json(r["entry"])
        history = self._history(con, item_id)
        decision = json.loads(r["decision"])
        return ItemState(entry=entry, status=r["status"], decision=decision, version=r["version"],
                         updated_at=r["updated_at"], updated_by=r["updated_by"], history=history,
                         decided_on_older_gold=_older_gold(entry, decision, history))

    def get(self, item_id: str) -> ItemState:
        """The item with its decision and history; KeyError when it is not in the queue."""
        with self._connect() as con:
            return self._state(con, item_id)

    def history(self) -> list[HistoryRow]:
        with self._connect() as con:
            return self._history(con)

    def list_items(self, flt: QueueFilter | None = None) -> list[ItemSummary]:
        flt = flt or QueueFilter()
        where, args = [], []
        if flt.status:
            where.append("status = ?")
            args.append(flt.status)
        if flt.reason:
            where.append("EXISTS (SELECT 1 FROM json_each(entry, '$.reasons') WHERE json_extract(value, '$.kind') = ?)")
            args.append(flt.reason)
        if flt.field:
            where.append("EXISTS (SELECT 1 FROM json_each(entry, '$.fields') WHERE value = ?)")
            args.append(flt.field)
        if flt.label:
            where.append("EXISTS (SELECT 1 FROM json_each(entry, '$.labels') WHERE value = ?)")
            args.append(flt.label)
        if flt.annotator:
            where.append("(EXISTS (SELECT 1 FROM adjudications a WHERE a.item_id = items.id AND a.annotator = ?) "
                         "OR EXISTS (SELECT 1 FROM json_each(entry, '$.annotations') "
                         "WHERE json_extract(value, '$.annotator') = ?))")
            args += [flt.annotator, flt.annotator]
        order = "priority DESC, id" if flt.sort == "priority" else "id"
        # Only the summary's parts of the entry JSON are read: the queue page lists thousands of rows.
        sql = ("SELECT id, priority, status, version, updated_by, json_extract(entry, '$.inputs') AS inputs, "
               "json_extract(entry, '$.fields') AS fields, json_extract(entry, '$.labels') AS labels, "
               "(SELECT json_group_array(DISTINCT json_extract(value, '$.kind')) FROM json_each(entry, '$.reasons')) "
               "AS reasons FROM items" + (" WHERE " + " AND ".join(where) if where else "") + f" ORDER BY {order}")
        out = []
        with self._connect() as con:
            for r in con.execute(sql, args):
                texts = [v for v in json.loads(r["inputs"] or "{}").values() if isinstance(v, str)]
                out.append(ItemSummary(id=r["id"], priority=r["priority"], status=r["status"], version=r["version"],
                                       fields=json.loads(r["fields"] or "[]"), labels=json.loads(r["labels"] or "[]"),
                                       reasons=sorted(json.loads(r["reasons"] or "[]")),
                                       preview=max(texts, key=len, default="")[:160], updated_by=r["updated_by"]))
        return out

    def counts(self) -> dict[str, int]:
        """Items per status."""
        with self._connect() as con:
            found = dict(con.execute("SELECT status, COUNT(*) FROM items GROUP BY status").fetchall())
        return {s: found.get(s, 0) for s in ("open", "adjudicated", "skipped")}

    def neighbours(self, item_id: str) -> tuple[str | None, str | None]:
        """The items before and after this one in priority order (for previous/next links)."""
        with self._connect() as con:
            r = con.execute("SELECT priority FROM items WHERE id = ?", (item_id,)).fetchone()
            if r is None:
                return None, None
            p = r[0]
            prev = con.execute("SELECT id FROM items WHERE priority > ? OR (priority = ? AND id < ?) "
                               "ORDER BY priority ASC, id DESC LIMIT 1", (p, p, item_id)).fetchone()
            nxt = con.execute("SELECT id FROM items WHERE priority < ? OR (priority = ? AND id > ?) "
                              "ORDER BY priority DESC, id ASC LIMIT 1", (p, p, item_id)).fetchone()
        return (prev[0] if prev else None), (nxt[0] if nxt else None)

    def facets(self) -> dict[str, list[str]]:
        """Values the queue filters can take (reasons, fields, labels, annotators)."""
        with self._connect() as con:
            def col(sql: str) -> list[str]:
                return sorted({str(r[0]) for r in con.execute(sql) if r[0] is not None})
            return {
                "reason": col("SELECT DISTINCT json_extract(value, '$.kind') FROM items, json_each(items.entry, '$.reasons')"),
                "field": col("SELECT DISTINCT value FROM items, json_each(items.entry, '$.fields')"),
                "label": col("SELECT DISTINCT value FROM items, json_each(items.entry, '$.labels')"),
                "annotator": col("SELECT DISTINCT annotator FROM adjudications")
                + col("SELECT DISTINCT json_extract(value, '$.annotator') FROM items, json_each(items.entry, "
                      "'$.annotations') WHERE json_extract(value, '$.annotator') NOT LIKE 'rater:%'"),
            }

    def next_open(self, after: str | None = None, annotator: str | None = None) -> str | None:
        """The highest-priority open item other than ``after`` (the one just decided); with
        ``annotator``, one that annotator has not labelled yet (overlap: others may have)."""
        with self._connect() as con:
            if annotator:
                annotator = _spelling_on_file(con, annotator)
                r = con.execute("SELECT id FROM items WHERE status = 'open' AND id != ? AND id NOT IN (SELECT "
                                "item_id FROM adjudications WHERE annotator = ? AND action != 'skip') ORDER BY "
                                "priority DESC, id LIMIT 1", (after or "", annotator)).fetchone()
            else:
                r = con.execute("SELECT id FROM items WHERE status = 'open' AND id != ? ORDER BY priority DESC, id "
                                "LIMIT 1", (after or "",)).fetchone()
            return r[0] if r else None

    def progress(self, annotator: str | None = None) -> dict[str, int]:
        """``total`` items, ``complete`` (labelled by ``overlap`` annotators, or adjudicated),
        ``mine`` (items this annotator labelled), ``overlap`` k, ``target`` (items this annotator
        is needed for when the work is shared evenly: all of them at k >= annotators)."""
        k = int(self.meta().get("overlap") or 1)
        with self._connect() as con:
            total = con.execute("SELECT COUNT(*) FROM items").fetchone()[0]
            complete = con.execute("SELECT COUNT(*) FROM items WHERE status = 'adjudicated'").fetchone()[0]
            mine = con.execute("SELECT COUNT(DISTINCT item_id) FROM adjudications WHERE annotator = ? AND "
                               "action != 'skip'", (_spelling_on_file(con, annotator),)).fetchone()[0] \
                if annotator else 0
        return {"total": total, "complete": complete, "mine": mine, "overlap": k}

    def gold_rows(self) -> list[dict[str, Any]]:
        """Every gold row in the gold set's order, verbatim."""
        with self._connect() as con:
            return [json.loads(r[0]) for r in con.execute("SELECT row FROM gold ORDER BY pos")]

    def integrity(self) -> str:
        with self._connect() as con:
            return con.execute("PRAGMA integrity_check").fetchone()[0]

    # -- deciding -------------------------------------------------------------------------------
    def _resolve(self, state: ItemState, adj: Adjudication) -> dict[str, Any]:
        """The values an action stands for, on the enrichment scale; ValueError if it has none."""
        e = state.entry
        specs = {f.name: f for f in self.fields()}
        if adj.action == "skip":
            return {}
        if adj.action == "edit":
            if not adj.values:
                raise ValueError("edit needs at least one value")
            unknown = set(adj.values) - set(specs)
            if unknown:
                raise ValueError(f"unknown field(s): {', '.join(sorted(unknown))}")
            # a declared signal is labelled only on the item types it applies to (the item's gold
            # holds exactly those): else a script could put a track-only decade on an episode's gold
            off = sorted(k for k in adj.values if specs[k].signal is not None and k not in e.gold)
            if off:
                raise ValueError(f"{', '.join(off)}: does not apply to this item (its type is not in the "
                                 f"signal's applies_to: {', '.join(specs[off[0]].applies_to or [])})")
            return {k: specs[k].parse(v) for k, v in adj.values.items()}
        if adj.action == "accept_model":
            if not e.prediction:
                raise ValueError("this item has no model prediction to accept")
            values = {f: specs[f].from_prediction(e.prediction) for f in e.fields if f in specs}
            # the model's value is checked as a typed one, built-in fields too: a declared signal's
            # from a run tagged with an older spec (a dropped label), and any field of a hand-edited
            # or foreign run ('valence': 9.0 exported as gold 36.0 on a -4..4 scale; a genre outside
            # the taxonomy) would otherwise be saved as gold on one key press
            out = {}
            for f, v in values.items():
                if v is None:  # no value from the model: nothing to accept (it was saved as a None decision)
                    continue
                if v == [] and specs[f].signal is None:  # a built-in's empty set: the model's answer
                    out[f] = v
                    continue
                try:
                    out[f] = specs[f].parse(v)
                except ValueError as why:
                    raise ValueError(f"the model's value cannot be accepted ({why}): edit it") from None
            if not out:
                raise ValueError(f"the model gave no value for {', '.join(values) or 'this item'}: edit it or "
                                 "keep gold")
            return out
        if adj.action == "accept_consensus":
            values = {f: e.consensus[f] for f in e.fields if f in e.consensus}
            if not values:
                raise ValueError("this item has no rater consensus for its fields")
            return values
        kept = {f: e.gold.get(f) for f in e.fields if f in specs}
        if all(v is None for v in kept.values()):
            # a declared signal's labelling queue has no gold by construction: "keep gold" (one
            # key, g) would mark the item decided, count it done and drop it from the open queue
            # with no label at all
            raise ValueError(f"this item has no gold value to keep for {', '.join(kept) or 'its fields'}: "
                             "label it (edit) or skip it")
        refused = [f"{f} {v!r:.80} ({why})" for f, v in kept.items() if (why := specs[f].refused(v))]
        if refused:  # gold labelled under an older spec is no label now: keeping it would export it
            raise ValueError(f"the gold value of {'; '.join(refused)} is not allowed by the signal now: "
                             "label it (edit)")
        return kept

    def _consensus(self, state: ItemState, who: str, new_values: dict[str, Any]) -> tuple[dict[str, Any], list[str]]:
        """Overlap: each field's consensus (``FieldSpec.consensus``: mean, majority, labels half
        the annotators gave) over every annotator's latest value, this decision included; and the
        fields whose labels are tied (``FieldSpec.tied``), any field of the item, not only this save's."""
        specs = {f.name: f for f in self.fields()}
        latest = latest_labels(state.history)
        for name, value in new_values.items():
            latest.setdefault(name, {})[who] = value
        tied = sorted(n for n, by in latest.items() if n in specs and specs[n].tied(list(by.values())))
        return ({name: specs[name].consensus(list(latest[name].values())) for name in new_values if name in specs},
                tied)

    def adjudicate(self, item_id: str, adj: Adjudication) -> ItemState:
        """Apply one decision atomically; ``VersionConflict`` if someone saved since ``adj.version``."""
        with self._write() as con:
            state = self._state(con, item_id)
            adj = adj.model_copy(update={"annotator": _spelling_on_file(con, adj.annotator)})
            overlap = con.execute("SELECT value FROM meta WHERE key = 'overlap'").fetchone()
            k = int(json.loads(overlap[0]) or 1) if overlap else 1
            if state.version != adj.version and not _independent(state, adj, k):
                raise VersionConflict(state)
            new_values = self._resolve(state, adj)
            previous = {k: state.decision.get(k, state.entry.gold.get(k)) for k in new_values}
            decision = {**state.decision, **new_values}
            status = "skipped" if adj.action == "skip" and not state.decision else (
                state.status if adj.action == "skip" else "adjudicated")
            if k > 1 and adj.action != "skip":  # open until k different people labelled it
                people = {h.annotator for h in state.history if h.action != "skip"} | {adj.annotator}
                consensus, tied = self._consensus(state, adj.annotator, new_values)
                # a tie has no decision yet: the item stays open for another annotator (or a
                # changed label) instead of taking whichever label was saved first
                status = "adjudicated" if len(people) >= k and not tied else "open"
                decision = {**state.decision, **consensus}
            if status == "adjudicated" and _unlabelled(state.entry, decision, self.fields()):
                status = "open"  # a declared signal still without a value: not done (the slider left unmoved)
            at = _now()
            con.execute("INSERT INTO adjudications(item_id, annotator, at, action, previous, new, comment, version, "
                        "gold) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                        (item_id, adj.annotator, at, adj.action, _dump(previous), _dump(new_values), adj.comment,
                         state.version + 1, _dump(state.entry.gold)))
            if ReviewStore.fault_hook is not None:
                ReviewStore.fault_hook()
            con.execute("UPDATE items SET status = ?, decision = ?, version = version + 1, updated_at = ?, "
                        "updated_by = ? WHERE id = ? AND version = ?",
                        (status, _dump(decision), at, adj.annotator, item_id, state.version))
            return self._state(con, item_id)


def _spelling_on_file(con: sqlite3.Connection, name: str) -> str:
    """``name`` as the store already spells that annotator (the first spelling saved), else as
    given. Names differing only in case ('alice', 'Alice') are one person: with --overlap 2 one
    annotator saving under both completed an item alone, and the agreement counted them twice."""
    folded = name.casefold()
    for (known,) in con.execute("SELECT annotator FROM adjudications GROUP BY annotator ORDER BY MIN(seq)"):
        if known.casefold() == folded:
            return known
    return name


def latest_labels(history: list[Any]) -> dict[str, dict[str, Any]]:
    """field -> annotator -> that annotator's latest value, from an item's history (skips ignored)."""
    latest: dict[str, dict[str, Any]] = {}
    for h in history:
        if h.action != "skip":
            for name, value in h.new.items():
                latest.setdefault(name, {})[h.annotator] = value
    return latest


def unlabelled(state: ItemState, fields: list[FieldSpec]) -> list[str]:
    """The declared signals that hold ``state``'s item open (``_unlabelled``): what a partly labelled
    item still needs (export names them)."""
    return _unlabelled(state.entry, state.decision, fields)


def _unlabelled(entry: QueueEntry, decision: dict[str, Any], fields: list[FieldSpec]) -> list[str]:
    """The item's declared signals that always have an answer (a slider, yes/no, one label) with
    neither gold nor a decided value: an edit that sets only some fields leaves the item open (it
    was counted done and left the queue, and e.g. an unmoved slider's signal was never labelled).
    A multi-select or a text may rightly stay empty; built-in fields are adjudicated against gold,
    so an unedited one keeps its gold. A gold value the signal refuses now holds the item open too."""
    signals = {f.name: f for f in fields if f.signal is not None}
    always = {n for n, f in signals.items() if f.control in ("slider", "toggle", "radio")}
    # a gold value the signal refuses now (labelled under an older spec) is no answer, whatever the control
    return [n for n in entry.fields if n in signals and decision.get(n) is None and
            ((n in always and entry.gold.get(n) is None) or signals[n].refused(entry.gold.get(n)))]


def _independent(state: ItemState, adj: Adjudication, overlap: int) -> bool:
    """With ``--overlap K`` (> 1) each annotator's label is their own and the decision is the
    consensus of everyone's latest label, recomputed at each save: saves by *other* annotators
    since the version this one saw overwrite nothing of theirs, so two people labelling one item
    at once both keep their labels. A save by the same annotator since then (another tab) still
    conflicts, as every save does without overlap."""
    if overlap <= 1 or adj.action == "skip" or not 0 <= adj.version < state.version:
        return False
    return all(h.annotator != adj.annotator for h in state.history if h.version > adj.version)


def _older_gold(entry: QueueEntry, decision: dict[str, Any], history: list[HistoryRow]) -> dict[str, dict[str, Any]]:
    """Decided fields whose gold changed (a rebuild) since the decision that set them."""
    out: dict[str, dict[str, Any]] = {}
    for name in decision:
        last = next((h for h in reversed(history) if name in h.new), None)
        if last is None or last.gold is None:
            continue
        then, now = last.gold.get(name), entry.gold.get(name)
        if _dump(then) != _dump(now):
            out[name] = {"decided_on": then, "now": now}
    return out
