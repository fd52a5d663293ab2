"""Read what a review is built from: an eval run record, or a ``liner tag`` output plus a gold file.

Both become the same ``SourceItem`` list, so the queue never cares where a prediction came from.
The gold file's rows are kept verbatim (``gold_row``) because export writes the next version of
that same file.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

from pydantic import BaseModel, Field

from linernotes.files import read_regular_text, require_regular
from linernotes.json_lines import json_object_lines
from linernotes.review.fields import ANNOTATORS_KEY, FieldSpec, detect_fields, known_fields
from linernotes.store.catalog import id_problem

MAX_NOTES = 5  # per kind of note: the first few items named
MAX_UNREAD_NOTES = 20  # unreadable lines named one by one in the build's warnings; the rest counted
MAX_UNREAD_KEPT = 1000  # unreadable gold lines the store keeps for export's provenance.json


class SourceError(Exception):
    """A source file is missing or not in a shape review understands (exit code 2)."""


class SourceItem(BaseModel):
    id: str
    inputs: dict[str, Any] = Field(default_factory=dict)
    gold_row: dict[str, Any] = Field(default_factory=dict, description="the gold set's row, verbatim")
    prediction: dict[str, Any] | None = None
    status: str = "ok"
    error: dict[str, Any] | None = None
    in_run: bool = False


class Source(BaseModel):
    """Everything a queue is built from, plus where it came from (kept in the store's meta).

    ``gold_rows`` is the whole gold set, verbatim and in order: every row export must write back,
    including rows that are not reviewable items (no id, or an id already used by an earlier row);
    ``notes`` names each of those rows and why it is kept but not queued.
    """

    items: list[SourceItem]
    fields: list[FieldSpec]
    meta: dict[str, Any] = Field(default_factory=dict)
    gold_rows: list[dict[str, Any]] = Field(default_factory=list)
    notes: list[str] = Field(default_factory=list)
    unread_gold: list[str] = Field(default_factory=list, description="``file:line: reason`` per gold line "
                                   "(run record item) that is no row: skipped, and not in the gold export writes")
    unread_run: list[str] = Field(default_factory=list, description="``file:line: reason`` per run line (run record "
                                  "item) that is no record: skipped, its item has no prediction here")


def _read_jsonl(path: Path, unread: list[str] | None = None) -> list[dict[str, Any]]:
    return [row for _, row in _read_jsonl_lines(path, unread)]


def _read_jsonl_lines(path: Path, unread: list[str] | None = None) -> list[tuple[str, dict[str, Any]]]:
    """(``path:line``, row) per non-blank line. A line that is not a JSON object (not UTF-8, not
    JSON, a list, a lone surrogate) is ``path:line: reason`` appended to ``unread`` and the lines
    after it are read, as ``liner tag`` makes such a line one error record; without ``unread`` it is
    a ``SourceError``. A file that cannot be read at all (FIFO, damaged gzip) is a ``SourceError``."""
    from linernotes.store.catalog import CatalogError, line_limit

    try:
        limit = line_limit()  # liner tag's: a 2 GB line was read whole
    except CatalogError as e:
        raise SourceError(str(e)) from None
    rows = []
    for n, row, why in json_object_lines(path, error=SourceError, max_line_bytes=limit):
        if why is None:
            rows.append((f"{path}:{n}", row))
        elif unread is None:
            raise SourceError(f"{path}:{n}: {why}")
        else:
            unread.append(f"{path}:{n}: {why}")
    return rows


def _kind(value: Any) -> str | None:
    """The Arrow-level type family of a JSON value (ints and floats share one column type)."""
    if value is None:
        return None
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int | float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list | tuple):
        return "list"
    if isinstance(value, dict):
        return "object"
    return type(value).__name__


def check_columns(rows: list[tuple[str, dict[str, Any]]]) -> None:
    """A gold set is written back as one ``datasets`` table, so each column needs one type: the first
    row whose value differs in kind from an earlier row's is a ``SourceError`` naming both."""
    first: dict[str, tuple[str, str, Any]] = {}
    for where, row in rows:
        for key, value in row.items():
            kind = _kind(value)
            if kind is None:
                continue
            seen = first.setdefault(key, (kind, where, value))
            if seen[0] != kind:
                raise SourceError(f"{where}: column {key!r} holds {kind} {value!r:.60} but {seen[1]} holds "
                                  f"{seen[0]} {seen[2]!r:.60}; a gold column needs one type (ids: all strings "
                                  "or all numbers)")


def one_type_rows(rows: list[tuple[str, dict[str, Any]]]) -> tuple[list[tuple[str, dict[str, Any]]], list[str]]:
    """The rows whose every column holds its column's kind, and ``where: reason`` for each other
    row. A column's kind is the one most of its rows hold (the first seen on a tie): one row with
    a year "nope" among numbers refused the whole gold set (``check_columns``, which export still
    applies to what it writes); now that row is left out and named."""
    counts: dict[str, dict[str, int]] = {}
    first: dict[tuple[str, str], str] = {}
    for where, row in rows:
        for key, value in row.items():
            if (kind := _kind(value)) is not None:
                counts.setdefault(key, {})
                counts[key][kind] = counts[key].get(kind, 0) + 1
                first.setdefault((key, kind), where)
    kinds = {key: max(by_kind, key=lambda k: (by_kind[k], -list(by_kind).index(k))) for key, by_kind in counts.items()}
    kept, problems = [], []
    for where, row in rows:
        odd = next(((key, kind, value) for key, value in row.items()
                    if (kind := _kind(value)) is not None and kind != kinds[key]), None)
        if odd is None:
            kept.append((where, row))
            continue
        key, kind, value = odd
        others = counts[key][kinds[key]]
        problems.append(f"{where}: column {key!r} holds {kind} {value!r:.60} where {others} other row(s) hold "
                        f"{kinds[key]} (first {first[(key, kinds[key])]}); a gold column needs one type (ids: all "
                        "strings or all numbers)")
    return kept, problems


def gold_items(rows: list[tuple[str, dict[str, Any]]]) -> tuple[list[tuple[str, dict[str, Any]]], list[str]]:
    """The rows that are reviewable items (an id, first use of it) and a note for every other row.
    An id is what ``liner tag``'s catalog reader takes as one (``store.catalog.id_problem``): a float
    id 123.0 was the review item '123.0', which no tagged or evaluated item can be, ``true`` 'True',
    and 'NA', 'line:3', a NUL or a 600-character id were queued where tag refuses the row."""
    items, notes, seen = [], [], {}
    for where, row in rows:
        rid = row.get("id")
        if rid is None or (isinstance(rid, str) and not rid.strip()):
            notes.append(f"{where}: no id; the row is kept in the gold set as it is but cannot be reviewed")
            continue
        if (why := id_problem(rid)) is not None:
            notes.append(f"{where}: {why}; the row is kept in the gold set as it is but cannot be reviewed")
            continue
        if str(rid) in seen:
            notes.append(f"{where}: id {str(rid)!r:.80} repeats {seen[str(rid)]}; the row is kept in the gold "
                         "set as it is, only the first is reviewed")
            continue
        seen[str(rid)] = where
        items.append((where, row))
    return items, notes


def resolve_gold(gold: str | Path) -> Path:
    """A gold path as given, or the data file of an eval gold spec (name like ``vader-valence`` or YAML)."""
    p = Path(gold)
    if p.exists() and p.suffix not in (".yaml", ".yml"):
        return p
    from linernotes.evals.spec import SpecError, load_spec, resolve_data

    try:
        return resolve_data(load_spec(str(gold)))
    except SpecError as e:
        raise SourceError(f"gold not found: {gold} (neither a file nor a gold spec: {e})") from None


TABLE_SUFFIXES = (".csv", ".tsv", ".parquet")


def read_gold(path: str | Path, fields: list[FieldSpec] | None = None) -> list[dict[str, Any]]:
    """Gold rows from a JSONL, CSV/TSV or Parquet file, a ``datasets`` folder (a previous ``liner
    review export``) or a gold spec."""
    return [row for _, row in read_gold_lines(path, fields)]


def answer_columns(fields: list[FieldSpec]) -> set[str]:
    """The gold columns that hold answers (the fields' consensus and ratings columns, named
    annotators' labels, VADER's ``sd``, genre labels), not an item's content."""
    return ({ANNOTATORS_KEY, "sd", "gold_genres", "tags"} | {f.gold_key for f in fields}
            | {f.ratings_key for f in fields if f.ratings_key})


def read_gold_lines(path: str | Path, fields: list[FieldSpec] | None = None,
                    unread: list[str] | None = None) -> list[tuple[str, dict[str, Any]]]:
    """(where, row) pairs: ``file:line`` for JSONL, ``file row n`` / ``folder row n`` (1-based) for a
    CSV/TSV/Parquet file or a datasets folder. A CSV/TSV's columns are read as the text written
    but the answers' (``answer_columns`` of the built-in fields and ``fields``, the declared
    signals): pandas made a text '007' the integer 7 (the reviewer read 7, and export wrote 7 back
    into the gold set) and '1e5' 100000.0. Raises ``SourceError`` for a file review cannot read.
    ``unread``: a JSONL line that is no row is named there (``file:line: reason``) and skipped
    (``_read_jsonl_lines``) instead of refusing the file."""
    p = resolve_gold(path)
    if p.is_dir():
        from datasets import load_from_disk

        folder = latest_version(p)
        try:
            ds = load_from_disk(str(folder))
        except (FileNotFoundError, ValueError, OSError) as e:
            raise SourceError(f"{folder}: not a datasets folder ({str(e).splitlines()[0] if str(e) else e})") from None
        return [(f"{folder} row {n}", dict(r)) for n, r in enumerate(ds, 1)]
    require_regular(p, SourceError, ": give a gold file, folder or gold spec")  # it said 'not found'
    if not p.is_file():
        raise SourceError(f"gold file not found: {p}")
    if p.name.lower().endswith(TABLE_SUFFIXES):  # a catalog liner tag reads, or an eval's CSV/Parquet gold
        from linernotes.store.tables import csv_bad_rows, load_table, rows_can_be_skipped

        try:
            # a ragged, unclosed or non-UTF-8 CSV row is skipped and named, as a bad JSONL line is
            bad = (csv_bad_rows(p) if unread is not None and p.name.lower().endswith((".csv", ".tsv"))
                   and rows_can_be_skipped(p) else [])
            answers = answer_columns([*known_fields(), *(fields or [])])
            ds = load_table(p, text_columns=lambda column: column not in answers, skip_rows=bad)
        except ValueError as e:
            raise SourceError(str(e).splitlines()[0]) from None
        if unread is not None:
            unread.extend(b.message for b in bad)
        # each row keeps its number in the file (the skipped rows counted), as the notes name rows
        skipped = {b.row for b in bad}
        numbers = [n for n in range(1, len(ds) + len(bad) + 1) if n not in skipped]
        return [(f"{p} row {n}", dict(r)) for n, r in zip(numbers, ds, strict=True)]
    return _read_jsonl_lines(p, unread)


def latest_version(path: Path) -> Path:
    """A gold dir written by export holds v1, v2, ...; a plain datasets folder is its own version."""
    versions = sorted((d for d in path.glob("v*") if d.is_dir() and d.name[1:].isdigit()),
                      key=lambda d: int(d.name[1:]))
    return versions[-1] if versions else path


def fingerprint(rows: list[dict[str, Any]]) -> str:
    h = hashlib.sha256()
    for r in rows:
        h.update(json.dumps(r, sort_keys=True, ensure_ascii=False).encode())
    return h.hexdigest()[:16]


def _fields_of(rows: list[dict[str, Any]]) -> list[FieldSpec]:
    seen: dict[str, FieldSpec] = {}
    for r in rows[:200]:
        for spec in detect_fields(r):
            seen.setdefault(spec.name, spec)
    return list(seen.values())


def _skip(unread: list[str] | None, problem: str) -> None:
    """``problem`` (``file:place: reason``) kept in ``unread``, or a ``SourceError`` without it."""
    if unread is None:
        raise SourceError(problem)
    unread.append(problem)


def load_run_record(path: Path, unread: list[str] | None = None) -> tuple[list[SourceItem], dict[str, Any]]:
    """An eval run record (``linernotes.evals.record.RunRecord`` JSON); extra fields are ignored.
    Read through ``files.read_regular_text``: a folder named ``RUN.json`` said "cannot read the run
    record (Is a directory)"; it is named as a folder, as ``liner gate`` and ``liner fit`` name it.
    An item review cannot take (not an object, no id, an id an earlier item has, inputs or gold
    that are not objects) is ``path: items[n]: reason`` in ``unread`` and the other items are read
    (without ``unread``: a ``SourceError``); one such item refused the whole run."""
    try:
        data = json.loads(read_regular_text(path, SourceError, ": a run record is a JSON file"))
    except json.JSONDecodeError as e:
        raise SourceError(f"{path}: not a JSON run record ({e.msg})") from e
    except UnicodeDecodeError as e:  # was a traceback, exit 1
        raise SourceError(f"{path}: not a JSON run record (not UTF-8 text: byte {e.start})") from None
    except OSError as e:
        raise SourceError(f"{path}: cannot read the run record ({e.strerror or e})") from None
    if not isinstance(data, dict) or not isinstance(data.get("items"), list):
        raise SourceError(f"{path}: a run record needs an 'items' list")
    # a record's gold is keyed by task name; review reads a declared signal's gold under the
    # signal's name (a task 'feelings' scoring signal mood: every item was queued 'to label')
    by_signal = {t["name"]: t["signal"] for t in data.get("tasks") or []
                 if isinstance(t, dict) and isinstance(t.get("name"), str) and isinstance(t.get("signal"), str)}
    items, skipped = [], []
    seen: dict[str, int] = {}
    for n, it in enumerate(data["items"]):
        if not isinstance(it, dict) or it.get("id") is None:
            _skip(unread, f"{path}: items[{n}]: " + ("no id" if isinstance(it, dict) else
                                                      f"not a JSON object (a {type(it).__name__})"))
            continue
        if (why := id_problem(it["id"])) is not None:  # as its text it could name another item's good id
            skipped.append(f"{path}: items[{n}]: {why}; not reviewed")
            continue
        if str(it["id"]) in seen:
            _skip(unread, f"{path}: items[{n}]: id {str(it['id'])!r:.80} repeats items[{seen[str(it['id'])]}]")
            continue
        # dict() of a string or a list was a ValueError/TypeError traceback
        if bad := next((key for key in ("inputs", "gold") if not isinstance(it.get(key) or {}, dict)), None):
            _skip(unread, f"{path}: items[{n}] (id {str(it['id'])!r:.80}): {bad} must be an object, not "
                          f"{type(it[bad]).__name__}")
            continue
        seen[str(it["id"])] = n
        gold: dict[str, Any] = {}
        for key, value in dict(it.get("gold") or {}).items():
            gold.setdefault(by_signal.get(key, key), value)
        # unvalidated: a prediction or error of the wrong shape is named per item by
        # ``_unreadable_predictions`` (a ValidationError here ended the build with a traceback)
        items.append(SourceItem.model_construct(id=str(it["id"]), inputs=dict(it.get("inputs") or {}),
                                                gold_row={"id": str(it["id"]), **dict(it.get("inputs") or {}), **gold},
                                                prediction=it.get("prediction"), status=it.get("status", "ok"),
                                                error=it.get("error"), in_run=True))
    meta = {k: data.get(k) for k in ("model", "prompt_hash", "spec", "gold_fingerprint", "created")}
    meta["id_notes"] = skipped
    meta["run_signals"] = [t["signal"] for t in data.get("tasks") or [] if isinstance(t, dict) and t.get("signal")]
    meta["run_policy"] = any(isinstance(t, dict) and t.get("kind") == "policy" for t in data.get("tasks") or [])
    item_type = _spec_item_type(data.get("spec"))
    if item_type:
        meta["item_type"] = item_type
    return items, meta


def _gold_problem(row: dict[str, Any], fields: list[FieldSpec]) -> str | None:
    """The first reviewed field review cannot read in a gold row (a rating 'a', a mean of 400
    digits, labels as an object), or None; such a row stopped the build with a traceback."""
    return next((why for f in fields if (why := f.gold_problem(row))), None)


def _unreadable_predictions(items: list[SourceItem], fields: list[FieldSpec], run: str | Path | None) -> list[str]:
    """Queue an item whose prediction (or error record) review cannot read as a model error, with
    the reason, instead of stopping the build at it with a traceback; one note per item."""
    from linernotes.review.predictions import problem

    notes = []
    for item in items:
        why = problem(item.prediction, fields)
        if item.error is not None and not isinstance(item.error, dict):
            item.error = {"kind": "error", "message": str(item.error)[:300]}
        if item.status not in ("ok", "error"):  # a status 5 was a ValidationError traceback in the queue
            why = why or f"status: 'ok' or 'error', not {item.status!r:.40}"
        if why is None:
            continue
        item.prediction, item.status = None, "error"
        item.error = {"kind": "prediction.invalid", "message": why}
        notes.append(f"{run}: id {item.id!r:.80}: {why}; queued as a model error without its prediction")
    if len(notes) > MAX_NOTES:  # a run broken throughout: name a few, count the rest
        notes[MAX_NOTES:] = [f"{run}: {len(notes) - MAX_NOTES} more item(s) with a prediction review cannot "
                             "read, queued as model errors"]
    return notes


def _provenance_value(items: list[SourceItem], key: str) -> str:
    """What the records' ``provenance.<key>`` (model, prompt_hash) says: the first in sorted order
    when the run mixed several, "" when no record names one. A tag output's prompt hash was never
    read, so the export's provenance said ``prompt_hash: null`` for a run whose every record had one."""
    values = {((i.prediction or {}).get("provenance") or {}).get(key) for i in items if i.prediction}
    return next(iter(sorted(v for v in values if isinstance(v, str) and v)), "")


def _spec_item_type(name: Any) -> str | None:
    """The item type an eval run's items were tagged as (its gold spec's ``item_type``), when the
    spec is a shipped one; None otherwise (the rows' own ``type`` or track then)."""
    from linernotes.evals.spec import SpecError, load_spec

    if not isinstance(name, str) or not name:
        return None
    try:
        return load_spec(name).item_type
    except (SpecError, OSError):
        return None


def load_tag_output(path: Path, unread: list[str] | None = None) -> dict[str, dict[str, Any]]:
    """``liner tag`` output lines by id (the last line for an id wins, as resume appends). A
    Parquet output (``out.parquet`` or a part-file folder) is read from its JSONL journal, which
    holds the same records (``sinks/README.md``). ``unread``: a line that is no JSON object is
    named there and skipped (``_read_jsonl_lines``)."""
    path = _records_file(path)
    if not path.is_file():
        raise SourceError(f"run output not found: {path}")
    rows = _read_jsonl(path, unread)
    if rows and not any(TAG_RECORD_KEYS & set(r) for r in rows):
        # a catalog given as --run: every item was queued 'to label' with no prediction, unseen
        raise SourceError(f"{path}: not a liner tag output (no line has {' or '.join(sorted(TAG_RECORD_KEYS))}: a "
                          "catalog or gold set?); give the output of liner tag as --run and the catalog as --gold")
    # an error record's line:N key, or any id tag would refuse, names no item
    return {str(r["id"]): r for r in rows if id_problem(r.get("id")) is None}


TAG_RECORD_KEYS = {"status", "enrichment"}


def _tag_output_as_gold(gold: str | Path, rows: list[dict[str, Any]]) -> None:
    """A ``liner tag`` output given as --gold: its items were queued with no content to read
    (inputs: status, enrichment, error) and export would write the records back as the gold set."""
    if rows and all(set(r) >= TAG_RECORD_KEYS for r in rows):
        raise SourceError(f"{gold}: a liner tag output (every line has status and enrichment), not a gold set or "
                          "catalog; give it as --run and the catalog it was tagged from as --gold")


def _records_file(path: Path) -> Path:
    """The JSONL file holding a ``liner tag`` output's records: the file itself, or a Parquet
    output's journal (``out.parquet.journal.jsonl``, ``DIR/_journal.jsonl``)."""
    if path.is_dir():
        journal = path / "_journal.jsonl"
    elif path.suffix.lower() == ".parquet":
        journal = path.with_name(path.name + ".journal.jsonl")
    else:
        return path
    if not journal.is_file():
        what = (f"is a folder, and not a Parquet output folder of liner tag (no {journal.name} in it)"
                if path.is_dir() else f"a Parquet output without its journal {journal.name} (the records review reads)")
        raise SourceError(f"{path}: {what}; give the JSONL output of liner tag, or an eval run record (.json)")
    return journal


def _inputs_of(row: dict[str, Any], fields: list[FieldSpec]) -> dict[str, Any]:
    """What a reviewer reads: the gold row minus its answers."""
    hidden = {"id"} | answer_columns(fields)
    return {k: v for k, v in row.items() if k not in hidden}


def load_source(run: str | Path | None = None, gold: str | Path | None = None,
                signal_fields: list[FieldSpec] | None = None) -> Source:
    """Join a run (record JSON or tag JSONL) with a gold set; either may be given alone.

    ``signal_fields``: review these declared signals (and only them); ``gold`` may then be any
    catalog JSONL (rows with ids, no answers yet): its rows are the items and the gold set that
    export writes the labels into.

    One bad line never refuses the rest: a gold or run line that is no JSON object, a CSV row
    the catalog reader cannot read, a gold row holding another type than its column's
    (``one_type_rows``) or a run record's item review cannot take is skipped and named
    (``Source.unread_gold`` / ``unread_run``, and the notes); a ``SourceError`` only when no line
    of a file is usable."""
    if run is None and gold is None:
        raise SourceError("give --run, --gold, or both")
    run_items: list[SourceItem] = []
    meta: dict[str, Any] = {}
    tag_lines: dict[str, dict[str, Any]] = {}
    unread_run: list[str] = []
    unread_gold: list[str] = []
    if run is not None:
        rp = Path(run)
        # a FIFO named .json blocked the build for good; a device read without end
        require_regular(rp, SourceError, ": give a liner tag output or an eval run record")
        if not rp.exists():
            raise SourceError(f"run not found: {rp}")
        if rp.suffix == ".json":
            run_items, meta = load_run_record(rp, unread_run)
        else:
            tag_lines = load_tag_output(rp, unread_run)
        if not run_items and not tag_lines:  # else the run is silently no run: every item "to label"
            raise SourceError(f"{rp}: the run holds no records" + _none_usable(unread_run))
        meta["run"] = str(rp)
    gold_lines = read_gold_lines(gold, signal_fields, unread_gold) if gold is not None else []
    if gold is not None and not gold_lines:  # "queued 0 of 0 items", exit 0, hid a wrong path or file
        raise SourceError(f"{gold}: the gold set has no rows" + _none_usable(unread_gold))
    gold_lines, mixed = one_type_rows(gold_lines)
    unread_gold += mixed
    gold_rows = [row for _, row in gold_lines]
    if gold is not None:
        _tag_output_as_gold(gold, gold_rows)
    reviewable, notes = gold_items(gold_lines)
    notes = meta.pop("id_notes", []) + notes
    if gold is not None:
        meta.update(gold=str(gold), gold_rows_fingerprint=fingerprint(gold_rows))
    if run is not None and not run_items and not gold_rows:
        raise SourceError("a `liner tag` output needs --gold to compare against" + (
            " (with --signals: the catalog JSONL it was tagged from, for the items' content)" if signal_fields else ""))

    if gold_rows:
        fields = signal_fields or _fields_of(gold_rows)
        by_run = {it.id: it for it in run_items}
        items = []
        for where, row in reviewable:
            if why := _gold_problem(row, fields):
                notes.append(f"{where}: id {str(row.get('id'))!r:.80}: {why}; the row is kept in the gold set as it "
                             "is but cannot be reviewed")
                continue
            rid = str(row.get("id"))
            line = tag_lines.get(rid)
            prior = by_run.get(rid)
            item = SourceItem(id=rid, inputs=prior.inputs if prior else _inputs_of(row, fields), gold_row=row)
            if prior:
                item.prediction, item.status, item.error, item.in_run = (prior.prediction, prior.status,
                                                                         prior.error, True)
            elif line:
                item.prediction, item.status, item.error, item.in_run = (line.get("enrichment"),
                                                                         line.get("status", "ok"),
                                                                         line.get("error"), True)
            items.append(item)
        if (run_items or tag_lines) and not any(i.in_run for i in items):
            raise SourceError("no id of the run appears in the gold set")
    else:
        fields = signal_fields or _fields_of([i.gold_row for i in run_items])
        gold_rows = [i.gold_row for i in run_items]
        items = []
        for item in run_items:
            if why := _gold_problem(item.gold_row, fields):
                notes.append(f"{run}: id {item.id!r:.80}: gold {why}; not reviewed")
                continue
            items.append(item)
    if not fields:
        hint = (f"; the run scores declared signals ({', '.join(meta['run_signals'])}): give their spec files "
                "with --signals") if meta.get("run_signals") else "; a declared signal's column: give its spec file with --signals"
        if meta.get("run_policy"):  # a policy-prompts eval: the README's first review command on it ended here
            hint += ("; the run scores policy, which review does not adjudicate (a record's policy flags and "
                     "review reasons show on its item page in a store built for one of the fields above)")
        raise SourceError("the gold rows carry no reviewable field (valence/mean, genres/gold_genres, moods, "
                          f"language, explicit){hint}")
    meta.pop("run_signals", None)
    meta.pop("run_policy", None)
    meta["fields"] = [f.name for f in fields]
    notes = notes + _unreadable_predictions(items, fields, run)
    for key in ("model", "prompt_hash"):  # a liner tag output has no run-level header: read its records'
        if not meta.get(key):
            meta[key] = _provenance_value(items, key)
    if gold is None and run_items:  # a run record's gold: export writes what its items hold, so a skipped one is missing
        unread_gold = list(unread_run)
    notes = (_unread_notes(unread_gold, "not in the gold set liner review export writes")
             + _unread_notes([u for u in unread_run if u not in unread_gold],
                             "that item has no prediction in this review")
             + notes)
    return Source(items=items, fields=fields, meta=meta, gold_rows=gold_rows, notes=notes,
                  unread_gold=unread_gold, unread_run=unread_run)


def _none_usable(unread: list[str]) -> str:
    """The tail of a "no rows" refusal when every line was unreadable: how many and the first."""
    if not unread:
        return ""
    return f" that review can read: {len(unread)} unreadable line(s) skipped, the first {unread[0]}"


def _unread_notes(unread: list[str], consequence: str) -> list[str]:
    """One note per skipped line, ``file:line: reason; skipped (<consequence>)``, the first
    ``MAX_UNREAD_NOTES`` named and the rest counted."""
    notes = [f"{u}; skipped ({consequence})" for u in unread[:MAX_UNREAD_NOTES]]
    if len(unread) > MAX_UNREAD_NOTES:
        notes.append(f"{len(unread) - MAX_UNREAD_NOTES} more unreadable line(s) skipped ({consequence})")
    return notes
