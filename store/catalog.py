"""Read a catalog file into validated items, one row at a time.

A bad row never stops the stream: it becomes a ``Row`` with an ``ErrorInfo`` naming the line (or
row number) and the reason. Only a problem with the file as a whole (missing, a directory that is
not a datasets folder, an unknown format, empty) raises ``CatalogError``.
"""

from __future__ import annotations

import codecs
import contextlib
import csv
import dataclasses
import io
import itertools
import json
import math
import os
import zlib
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from pydantic import ValidationError

from linernotes.files import require_regular, special_kind, without_bom
from linernotes.json_lines import JSONLineError, parse_json
from linernotes.numbers import parse_int
from linernotes.schema import (
    MAX_ID_CHARS,
    ErrorInfo,
    Item,
    extra_text,
    float_id_reason,
    id_character_reason,
    is_line_key,
    validation_reasons,
)

MAX_FIELD_CHARS = 100_000
# One JSONL line or CSV physical line is read into memory whole, so it is bounded: 16 MiB holds a
# row whose seven text fields are all at MAX_FIELD_CHARS in 4-byte UTF-8 (2.8 MB) plus extra
# columns, with room to spare (an over-long field still gets its own, precise error), while a
# 200 MB line or a gzip bomb that inflates to 1 GiB becomes one error record.
MAX_LINE_BYTES = 16 * 1024 * 1024
KNOWN_FIELDS = set(Item.model_fields) - {"extra"}

# The missing-value markers of pandas' ``read_csv`` (its documented default ``na_values``), which
# most catalog exports (pandas, R, Excel, SQL dumps) write for "no value".
NA_MARKERS = frozenset({
    "", "#N/A", "#N/A N/A", "#NA", "-1.#IND", "-1.#QNAN", "-NaN", "-nan", "1.#IND", "1.#QNAN", "<NA>",
    "N/A", "NA", "NULL", "NaN", "None", "n/a", "nan", "null",
})
# Fields with a type or a closed vocabulary, where a marker can only mean "missing". Free-text
# fields (title, artist, album, label, description, lyrics, transcript) keep a marker verbatim:
# a track called "NULL" or a band called "None" is real text.
TYPED_FIELDS = frozenset({"id", "type", "year", "language", "audio_path"})


def is_missing_marker(value: Any) -> bool:
    """True for None, a float NaN, or a string that is one of ``NA_MARKERS`` (surrounding spaces ignored)."""
    if value is None:
        return True
    if isinstance(value, float):
        return math.isnan(value)
    return isinstance(value, str) and value.strip() in NA_MARKERS


class CatalogError(Exception):
    """The input as a whole cannot be read (exit code 2)."""


@dataclass(frozen=True, slots=True)
class Row:
    """One input row: an item, or an error that names where it came from.

    ``key`` is unique per input row and stable across runs, so resume can skip it: the item id
    for a good row, ``line:N`` for a row that has no usable id of its own (or repeats one).
    ``raw_id`` is the id its error record is written under (None: ``line:N``); a row that repeats
    an earlier row's id has None there, so an output holds one record per id (the first
    occurrence's), and ``first_line`` names that occurrence's line. ``line`` is the physical line
    the row starts on; ``end_line`` the one it ends on when that is another (a CSV row whose quoted
    field holds line breaks), else None: ``where`` names such a row ``file:12-14``.
    """

    line: int
    key: str
    item: Item | None = None
    error: ErrorInfo | None = None
    raw_id: str | None = None
    first_line: int | None = None
    source: str | None = None  # the catalog it was read from, named by a later error of its item
    end_line: int | None = None

    def lines(self) -> str:
        """``"12"``, or ``"12-14"`` for a row spanning lines 12 to 14."""
        return f"{self.line}-{self.end_line}" if self.end_line is not None else str(self.line)


def parse_mapping(spec: str | None) -> dict[str, str]:
    """``"title=track,label=labelname"`` -> ``{"track": "title", "labelname": "label"}`` (src -> dst).

    Raises CatalogError for a part not ``dst=src``, a ``dst`` outside the input fields, and a field
    or a column named twice (``id=a,id=b``: the winner would depend on the row's column order)."""
    if not spec:
        return {}
    out: dict[str, str] = {}
    for part in spec.split(","):
        part = part.strip()
        if not part:
            continue
        if "=" not in part:
            raise CatalogError(f"--map: {part!r} is not of the form dst=src")
        dst, src = (s.strip() for s in part.split("=", 1))
        if not dst or not src:
            raise CatalogError(f"--map: {part!r} is not of the form dst=src")
        if dst not in KNOWN_FIELDS:
            raise CatalogError(f"--map: {dst!r} is not an input field (one of {', '.join(sorted(KNOWN_FIELDS))})")
        if src in out:
            raise CatalogError(f"--map: column {src!r} is mapped twice ({out[src]}={src}, {dst}={src}): "
                               "a column feeds one field")
        twice = next((s for s, d in out.items() if d == dst), None)
        if twice is not None:
            raise CatalogError(f"--map: field {dst!r} is mapped twice ({dst}={twice}, {dst}={src}): "
                               "which column wins would depend on the row's column order")
        out[src] = dst
    return out


def _jsonable(value: Any) -> Any:
    if value is None or isinstance(value, str | bool | int):
        return value
    if isinstance(value, float):
        return None if math.isnan(value) else value
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if hasattr(value, "tolist"):
        return _jsonable(value.tolist())
    return str(value)


def to_item(
    record: dict[str, Any],
    mapping: dict[str, str] | None = None,
    drop: Iterable[str] = (),
    keep_extra: bool = True,
) -> Item:
    """Rename, split known fields from extra context, and validate. Raises ValueError.

    Missing values: None, a float NaN, and in the typed fields (``TYPED_FIELDS``) any of the
    ``NA_MARKERS`` strings become null, whatever the reader; free-text fields keep marker strings
    as text, except the empty string, which is null everywhere."""
    mapping = mapping or {}
    # a field named by --map comes from its mapped column only: a raw column of the same name
    # is shadowed even when the mapped column is absent (--map id=nope must not quietly fall
    # back to the row's own "id")
    mapped_to = set(mapping.values())
    dropped = set(drop)
    fields: dict[str, Any] = {}
    extra: dict[str, Any] = {}
    for key, value in record.items():
        key = str(key)
        if _has_surrogate(key):
            raise ValueError("a column name contains a lone UTF-16 surrogate (not valid Unicode)")
        if key in dropped:
            continue
        dst = mapping.get(key, key)
        if isinstance(value, float) and math.isnan(value):
            value = None
        if isinstance(value, bytes | bytearray):
            value = _bytes_text(dst, bytes(value))
        if isinstance(value, str):
            if "\x00" in value:
                raise ValueError(f"field {dst!r} contains a NUL byte")
            if _has_surrogate(value):  # JSON may escape one (\ud800); it can never be written out
                raise ValueError(f"field {dst!r} contains a lone UTF-16 surrogate (not valid Unicode)")
            if len(value) > MAX_FIELD_CHARS:
                raise ValueError(f"field {dst!r} has {len(value):,} characters (limit {MAX_FIELD_CHARS:,})")
        if dst in KNOWN_FIELDS:
            if key not in mapping and dst in mapped_to:
                continue  # a mapped column fills this field; the raw one is shadowed
            if dst in TYPED_FIELDS and is_missing_marker(value):
                value = None
            if dst != "id" and dst != "year" and value is not None and not isinstance(value, str):
                if dst in ("type", "language", "audio_path") or isinstance(value, dict | list | bool):
                    raise ValueError(f"field {dst!r} must be a string, got {type(value).__name__}")
                value = str(value)
            if isinstance(value, str) and value == "" and dst not in ("id",):
                value = None
            fields[dst] = value
        elif keep_extra:
            extra[key] = _jsonable(value)
    if "id" not in fields or fields["id"] is None:
        raise _missing_id(record, mapping, dropped)
    _check_extra_text(extra)
    if fields.get("type") is None:
        fields.pop("type", None)
    try:
        return Item(**fields, extra=extra)
    except ValidationError as e:
        raise ValueError(validation_reasons(e, root="record")) from None


def _bytes_text(name: str, raw: bytes) -> str:
    """A binary cell as the UTF-8 text it holds: Parquet strings written without the UTF8
    annotation (Spark and Hive unless ``binaryAsString``) and a ``datasets`` Binary column read
    as bytes, whose ``str()`` the tagger was given ("b'Night Drive'", "b'\\xff\\xfe'"). Raises
    ValueError naming the field for bytes that are not UTF-8 (an image, an embedding)."""
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as e:
        hint = "" if name == "id" else "; leave the column out with --drop"
        raise ValueError(f"field {name!r} holds bytes that are not UTF-8 text (byte {e.start}: {e.reason}){hint}") \
            from None


def _check_extra_text(extra: dict[str, Any]) -> None:
    """Raise ValueError when the extra columns' text (``schema.extra_text``: strings, and lists of
    strings or numbers joined) holds more than ``MAX_FIELD_CHARS`` characters altogether: the
    tools read it joined as one more text field, so the field limit holds for it together. Each
    under the limit, 200,000 columns of 20 characters (a 7 MB line) took one item to 9.8 GB of
    memory and 41 s in the tools; a list was not counted, and one ``tags`` list of 700,000 words
    (a 13 MB line) took a 3-item run to 6.5 GB and 79 s."""
    total = sum(len(t) for v in extra.values() if (t := extra_text(v)))
    if total > MAX_FIELD_CHARS:
        raise ExtraTextError(len(extra), total)


class ExtraTextError(ValueError):
    """A row's extra columns hold more than ``MAX_FIELD_CHARS`` characters of text together.
    ``str()`` gives a file row's remedy (``liner tag``'s ``--drop`` / ``--no-extra``);
    ``for_request()`` a service item's: the service has neither flag (as ``MissingIdError``)."""

    def __init__(self, columns: int, total: int) -> None:
        self.held = "the extra column holds" if columns == 1 else f"the {columns:,} extra columns hold"
        self.total = total
        super().__init__(self._message("leave them out with --drop or --no-extra"))

    def _message(self, remedy: str) -> str:
        return (f"{self.held} {self.total:,} characters of text (limit {MAX_FIELD_CHARS:,} altogether: they are "
                f"read as one more text field); {remedy}")

    def for_request(self) -> str:
        return self._message("send fewer extra keys, or shorter ones (keys other than the item fields id, type, "
                             "title, ... are read as context)")


def usable_id(raw: Any) -> str | None:
    """The id a raw id cell gives an item (an integer as its text, a string as it is), or None
    when it gives none (``id_problem`` says why); ``Item`` refuses the same values. A 5,000-character
    id was refused ('at most 512 characters') and yet its row's error record was written under it."""
    if id_problem(raw) is not None:
        return None
    if isinstance(raw, bytes | bytearray):  # a binary id column: its text, as to_item reads it
        return bytes(raw).decode("utf-8")
    return str(raw)


def id_problem(raw: Any) -> str | None:
    """Why a raw id cell gives an item no id, or None when it gives one: missing, a missing-value
    marker or blank, true/false, a float, a list or an object, bytes that are not UTF-8, a NUL, a
    lone surrogate, another control character or a line/paragraph separator
    (``schema.id_character_reason``: tab, newline, ESC ...), a ``line:N`` key, or longer than
    ``MAX_ID_CHARS``. Spaces at either end are kept (``" a "`` and ``"a"`` are two ids, as
    written). The one rule for an id wherever rows are read (``liner tag``'s catalog reader, the
    service's items, review's gold sets and runs, ``liner eval``/``liner fit`` gold), so review
    never queues an item under an id that no tagged item can have."""
    if raw is None or (isinstance(raw, str) and (not raw.strip() or is_missing_marker(raw))):
        return "no id (the cell is empty or a missing-value marker)"
    if isinstance(raw, bool):
        return f"id {json.dumps(raw)} is true/false; ids are strings or integers"
    if isinstance(raw, float):
        return float_id_reason(raw)
    if isinstance(raw, bytes | bytearray):  # a binary id column: its text, as to_item reads it
        try:
            raw = bytes(raw).decode("utf-8")
        except UnicodeDecodeError as e:
            return f"id is not UTF-8 text (byte {e.start})"
    if not isinstance(raw, str | int):
        return f"id {json.dumps(raw, default=str)[:60]} is a {type(raw).__name__}; ids are strings or integers"
    text = str(raw)
    if len(text) > MAX_ID_CHARS:
        return f"id is {len(text):,} characters long, over {MAX_ID_CHARS}"
    if "\x00" in text:
        return "id contains a NUL byte"
    if _has_surrogate(text):
        return "id contains a lone UTF-16 surrogate (not valid Unicode)"
    if (why := id_character_reason(text)) is not None:
        return why
    if is_line_key(text):
        return f"id {text!r} is reserved: liner keys a row without a usable id as line:N; rename it"
    return None


def id_column(mapping: dict[str, str] | None) -> str:
    """The catalog column that holds ids: the one ``--map id=COLUMN`` names, else ``id``."""
    return next((src for src, dst in (mapping or {}).items() if dst == "id"), "id")


class MissingIdError(ValueError):
    """A row without a usable id. ``str()`` is the catalog's message (with the ``--map`` that
    would name the id column); ``for_request()`` the service's, whose callers send JSON objects
    and have no ``--map``."""

    def __init__(self, column: str, present: bool, columns: list[str], hint: str | None):
        self.column, self.present, self.columns, self.hint = column, present, columns, hint
        # without a likely id column the row may simply lack one (a JSONL file whose first line has
        # no id while later lines do): both remedies, the row's own first
        remedy = (f"name the id column with --map id={hint}" if hint
                  else "add an 'id' to the row, or name the column that holds ids with --map id=<column>")
        super().__init__(self._message("column", remedy))

    def _shown(self) -> str:
        return ", ".join(self.columns[:8]) + (", ..." if len(self.columns) > 8 else "")

    def _message(self, noun: str, remedy: str) -> str:
        if self.present:
            return f"missing required field 'id' ({noun} {self.column!r} is empty or a missing-value marker)"
        return f"missing required field 'id': no {noun} {self.column!r} ({noun}s: {self._shown()}); {remedy}"

    def for_request(self) -> str:
        remedy = (f"send the item's id under the key 'id' (rename {self.hint!r} to 'id')" if self.hint
                  else "send the item's id under the key 'id'")
        return self._message("key", remedy)

    def for_row(self) -> str:
        """The message for one row of a file whose earlier rows have the id column (a JSONL line
        without the key): that row is at fault, and a ``--map`` would break the others."""
        if self.present:
            return str(self)
        return (f"missing required field 'id': this row has no column {self.column!r} (its columns: "
                f"{self._shown()}); earlier rows have it: add it to this row")


def _missing_id(record: dict[str, Any], mapping: dict[str, str], dropped: set[str]) -> MissingIdError:
    """Why the row has no id, and the ``--map`` that would give it one."""
    src = id_column(mapping)
    columns = [str(k) for k in record if str(k) not in dropped]
    return MissingIdError(src, src in record, columns, None if src in record else suggest_id_column(columns))


def suggest_id_column(columns: Iterable[str]) -> str | None:
    """The column most likely to hold ids (``track_id``, ``uuid``, ``isrc`` ...), or None."""
    ranked = []
    for c in columns:
        low = c.lower()
        if low.endswith(("_id", "-id", " id")) or low in ("key", "uuid", "guid", "isrc", "identifier"):
            ranked.append((0, c))
        elif low.endswith("id") or "uuid" in low or low.endswith("key") or low.startswith(("id_", "id-", "ident")):
            ranked.append((1, c))
    return min(ranked)[1] if ranked else None


class _RowBuilder:
    """Turns raw records into Rows, tracking ids to catch duplicates."""

    def __init__(self, source: str, mapping: dict[str, str], drop: Iterable[str], keep_extra: bool):
        self.source = source
        self.mapping = mapping
        self.drop = tuple(drop)
        self.keep_extra = keep_extra
        self.seen: dict[str, int] = {}  # id -> line of its first occurrence
        self.id_column_seen = False  # an earlier row had the id column (a JSONL line may lack it)
        self.max_line_bytes = MAX_LINE_BYTES

    def check_columns(self, columns: list[str]) -> None:
        """For a format whose columns are known before the first row (CSV/TSV, Parquet): a
        ``--drop`` or ``--map`` column that is not one of them is a mistake (a misspelt
        ``--drop gold_genre`` would show the gold labels to the tagger). Raises CatalogError."""
        have = set(columns)
        # counted once (columns.count per column took 162 s on a 100,000-column header)
        counts = Counter(columns)
        twice = [c for c in counts if counts[c] > 1][:5]
        if twice:  # a row maps each name to one value: the other column's values would be lost unseen
            where = "; ".join(f"{c!r} is columns {', '.join(str(i + 1) for i, x in enumerate(columns) if x == c)}"
                              for c in twice)
            raise CatalogError(f"{self.source}: the header names a column twice ({where}): one of them would be "
                               "lost from every row; rename or remove one")
        wrong = [f"--drop {c}" for c in self.drop if c not in have]
        wrong += [f"--map {dst}={src}" for src, dst in self.mapping.items() if src not in have]
        if wrong:
            raise CatalogError(f"{self.source}: {'; '.join(wrong)}: no such column (its columns: "
                               f"{', '.join(columns)})")

    def field_names(self, columns: list[str]) -> list[str]:
        """The header with each column named as an input field up to case and surrounding spaces
        ('Title', 'DESCRIPTION ', 'Id') read as that field, when no column has the field's exact
        name and ``--map``/``--drop`` do not name it: such columns were extra context, and a row
        was tagged without its title or text, exit 0. (Checked against the header as written.)"""
        taken = set(columns) | set(self.mapping.values())
        out = []
        for c in columns:
            field = c.strip().lower()
            if (c not in KNOWN_FIELDS and field in KNOWN_FIELDS and field not in taken and c not in self.mapping
                    and c not in self.drop):
                taken.add(field)
                c = field
            out.append(c)
        return out

    def error(self, line: int, kind: str, message: str, raw_id: str | None = None, end: int | None = None) -> Row:
        """An error row for the row starting on ``line`` (and ending on ``end``, when it spans lines)."""
        return Row(
            line=line,
            key=f"line:{line}",
            error=ErrorInfo(kind=kind, message=message, line=line, source=self.source),
            raw_id=raw_id,
            end_line=end if end is not None and end != line else None,
        )

    def build(self, line: int, record: Any, end: int | None = None) -> Row:
        """The row starting on ``line`` (ending on ``end``) as an item, or as its error."""
        row = self._build(line, record)
        if end is None or end == line:
            return row
        return dataclasses.replace(row, end_line=end)

    def _build(self, line: int, record: Any) -> Row:
        if not isinstance(record, dict):
            return self.error(line, "input.not_an_object", f"expected an object, got {type(record).__name__}")
        # the id is settled before the rest of the row: the first row with an id holds it even
        # when another field is bad, so a later row with it is a repeat (never a second record
        # under the id), and a bad later row of a tagged id is a repeat too
        id_key = id_column(self.mapping)
        row_id = usable_id(record.get(id_key))
        self.id_column_seen = self.id_column_seen or id_key in record
        first = None if row_id is None else self.seen.get(row_id)
        if first is not None:
            return self.duplicate(line, row_id, first)
        try:
            item = to_item(record, self.mapping, self.drop, self.keep_extra)
        except RecursionError:
            item, kind, message = None, "input.invalid", "a field is nested too deeply"
        except MissingIdError as e:
            item, kind = None, "input.missing_id"
            message = (e.for_request() if self.source == "request"
                       else e.for_row() if self.id_column_seen else str(e))
        except ValueError as e:
            item, kind = None, "input.invalid"
            message = e.for_request() if self.source == "request" and isinstance(e, ExtraTextError) else str(e)
        if item is None:
            if row_id is not None:
                self.seen[row_id] = line
            # an unusable id (1.0, true, a list) is written under line:N: as its text it could
            # name another row's good id ({"id": "1.0"}) and give that id two records
            return self.error(line, kind, message, row_id)
        self.seen[item.id] = line
        return Row(line=line, key=item.id, item=item, raw_id=item.id, source=self.source)

    def duplicate(self, line: int, item_id: str, first: int) -> Row:
        """A row whose id an earlier row (line ``first``) has: an input error keyed and written
        as ``line:N``, never under the id, which stays the first occurrence's alone."""
        where = "item" if self.source == "request" else "line"
        message = (f"duplicate id {item_id!r}: {where} {line} repeats {where} {first} of {self.source}; only "
                   f"{where} {first} is tagged under that id (this row's record is keyed line:{line})")
        row = self.error(line, "input.duplicate_id", message)
        return Row(line=row.line, key=row.key, error=row.error, first_line=first)


def detect_format(path: Path) -> str:
    if path.is_dir():
        if (path / "dataset_info.json").exists() or (path / "state.json").exists() or (
            path / "dataset_dict.json"
        ).exists():
            return "hf-disk"
        raise CatalogError(f"{path}: is a directory, not a catalog file or a datasets save_to_disk folder")
    suffixes = "".join(path.suffixes[-2:]).lower()
    name = path.name.lower()
    if name.endswith((".jsonl", ".ndjson", ".jsonl.gz")):
        return "jsonl"
    if name.endswith((".csv", ".tsv", ".csv.gz", ".tsv.gz")):
        return "csv"
    if name.endswith(".parquet"):
        return "parquet"
    if name.endswith((".json", ".arrow")):
        return "hf-file"
    raise CatalogError(f"{path}: unknown catalog format {suffixes or '(no extension)'!r} "
                       "(use .jsonl, .csv, .tsv (each also .gz), .parquet, .json, .arrow or a datasets folder)")


def read_catalog(
    path: str | Path,
    mapping: dict[str, str] | None = None,
    drop: Iterable[str] = (),
    keep_extra: bool = True,
    max_line_bytes: int | None = None,
) -> Iterator[Row]:
    """Rows in file order, streamed (memory does not grow with the file).

    A JSONL line or CSV/TSV physical line longer than ``max_line_bytes`` (default
    ``MAX_LINE_BYTES``, or the ``LINER_MAX_LINE_BYTES`` environment variable) is skipped without
    being held in memory (also inside a .gz) and becomes an ``input.line_too_long`` error row
    naming its line. Problems with the file as a whole raise CatalogError here, before the first row."""
    p = Path(path)
    if not p.exists():
        raise CatalogError(f"{p}: no such file or directory")
    fmt = detect_format(p)
    if fmt != "hf-disk":
        require_regular(p, CatalogError)
        if not p.is_file():
            raise CatalogError(f"{p}: not a regular file")
        if p.stat().st_size == 0:
            raise CatalogError(f"{p}: the file is empty (0 bytes)")
    drop = tuple(drop)
    id_source = id_column(mapping)
    if id_source in drop:  # else every row became "missing required field 'id' (... is empty)"
        raise CatalogError(f"--drop {id_source}: that is the id column, which every row needs; drop other columns")
    builder = _RowBuilder(str(p), mapping or {}, drop, keep_extra)
    builder.max_line_bytes = max_line_bytes or line_limit()
    readers = {"jsonl": _read_jsonl, "csv": _read_csv, "parquet": _read_parquet,
               "hf-disk": _read_hf_disk, "hf-file": _read_hf_file}
    rows = readers[fmt](p, builder)
    # the readers are generators: their header checks (a misspelt --drop, a column named twice)
    # ran at the first row, inside a run that had already opened its output or a Beam worker
    first = next(rows, None)
    if first is None:  # as the gold and exemplar readers say (exit 2), never an empty run with exit 0
        why = {"csv": "a header line only", "jsonl": "blank lines only"}.get(fmt, "an empty table")
        raise CatalogError(f"{p}: no rows ({why})")
    return itertools.chain([first], rows)


def line_limit() -> int:
    """``LINER_MAX_LINE_BYTES`` if set (a positive integer), else ``MAX_LINE_BYTES``. Raises CatalogError."""
    raw = os.environ.get("LINER_MAX_LINE_BYTES")
    if raw is None or raw.strip() == "":
        return MAX_LINE_BYTES
    try:
        value = parse_int(raw)
    except ValueError:  # '16_000' too (int() reads it as 16000)
        value = 0
    if value <= 0:
        raise CatalogError(f"LINER_MAX_LINE_BYTES={raw!r}: expected a positive number of bytes")
    return value


def bounded_lines(fh: IO[bytes], limit: int) -> Iterator[tuple[int, bytes | None]]:
    """``(line number, bytes)`` for each physical line of a binary stream, ``bytes`` None for a line
    longer than ``limit`` bytes, which is read past in ``limit``-sized pieces and never held whole.
    LF, CRLF and a bare CR each end a line, as in an editor, also mixed in one file (a bare CR in
    an LF file joined two JSONL rows into one invalid line and two CSV rows into one error).

    Raises CatalogError naming the file and the last whole line when the stream breaks (a .gz
    cut short or corrupt: gzip's EOFError/zlib.error escaped as click's bare 'Aborted!')."""
    n = 0
    while True:
        try:
            raw = fh.readline(limit + 1)
            got = bool(raw)
            too_long = len(raw) > limit and not (len(raw) == limit + 1 and raw.endswith(b"\n"))
            while too_long and raw and not raw.endswith(b"\n"):  # read past the rest, one piece held
                raw = fh.readline(limit)
        except (EOFError, zlib.error, OSError) as e:
            raise CatalogError(f"{getattr(fh, 'name', 'the catalog')}: unreadable after line {n} ({e}): a compressed "
                               "file cut short or corrupt? (the rows before it were read)") from None
        if not got:
            return
        if not too_long and b"\r" in raw:
            pieces = raw.splitlines(keepends=True)
            if len(pieces) > 1:  # a bare CR in an LF file (files joined from a Mac and a Unix source)
                for piece in pieces:
                    n += 1
                    yield n, piece
                continue
        n += 1
        yield n, None if too_long else raw


def _too_long(b: _RowBuilder, line: int, start: int | None = None, end: int | None = None) -> Row:
    """The error row for physical line ``line`` over the line limit; in a CSV row of lines
    ``start``-``end`` the row is named by its first line and the message names the long one."""
    span = f"row of lines {start}-{end}: " if start is not None and end is not None and end > start else ""
    return b.error(line if start is None else start, "input.line_too_long",
                   f"{span}line {line} is longer than {b.max_line_bytes:,} bytes (the line limit; "
                   "raise it with LINER_MAX_LINE_BYTES)", end=end)


def estimate_rows(path: str | Path) -> int | None:
    """A cheap row count for progress/ETA (line count for text formats), or None."""
    p = Path(path)
    if special_kind(p) is not None:  # a FIFO would block here for good, before read_catalog refuses it
        return None
    try:
        fmt = detect_format(p)
        if fmt in ("jsonl", "csv"):
            n, last = 0, b"\n"
            with _open_binary(p) as fh:  # a .gz counted as its lines, not its compressed bytes' newlines
                for block in iter(lambda: fh.read(1 << 20), b""):
                    n += block.count(b"\n")
                    last = block[-1:]
            # a last line without its line break is a row too: a 6-line file with none at its end
            # was counted 5, and the progress line read '7/6 done (117%)'
            n += last != b"\n"
            return max(0, n - (1 if fmt == "csv" else 0))
        if fmt == "parquet":
            import pyarrow.parquet as pq

            return pq.ParquetFile(p).metadata.num_rows
    except (OSError, CatalogError, ValueError, EOFError, zlib.error):  # a broken .gz: the read names it
        return None
    return None


def _read_jsonl(path: Path, b: _RowBuilder) -> Iterator[Row]:
    for n, record, problem in jsonl_records(path, b.max_line_bytes):
        if problem is not None:
            if problem[0] == "input.line_too_long":
                yield _too_long(b, n)
            else:
                yield b.error(n, *problem)
            continue
        yield b.build(n, record)


def jsonl_records(path: Path, max_line_bytes: int = MAX_LINE_BYTES) -> Iterator[tuple[int, Any, tuple[str, str] | None]]:
    """``(line, record, None)`` for each non-blank line of a JSONL file (``.gz`` too) that parses,
    ``(line, None, (kind, reason))`` for one that does not (``input.line_too_long``,
    ``input.encoding``, ``input.invalid_json``). ``record`` may be any JSON value; lines are
    1-based physical lines; a UTF-8 byte-order mark at the start of a line is dropped (json refused
    a joined file's second mark, 'Unexpected UTF-8 BOM', and the line was lost). Shared by the catalog and the gold-set readers."""
    with _open_binary(path) as fh:
        for n, raw in bounded_lines(fh, max_line_bytes):
            if raw is None:
                yield n, None, ("input.line_too_long", f"line {n} is longer than {max_line_bytes:,} bytes")
                continue
            raw = without_bom(raw)  # on any line: files each saved with a mark, joined (cat a.jsonl b.jsonl)
            if not raw.strip():
                continue
            try:
                text = raw.decode("utf-8")
            except UnicodeDecodeError as e:
                yield n, None, ("input.encoding", f"line is not valid UTF-8 (byte {e.start}: {e.reason})")
                continue
            try:
                # without its line break: a line cut short was reported at "column 1" of the
                # line after it (the parser's position past the newline), not where it ended
                record = parse_json(text.rstrip("\r\n"))
            except JSONLineError as e:
                yield n, None, ("input.invalid_json", f"invalid JSON: {e}")
                continue
            yield n, record, None


def _open_binary(path: Path) -> IO[bytes]:
    """The file's bytes as UTF-8 (``.gz`` decompressed; a UTF-16/32 file, as Excel's "Unicode
    Text" and PowerShell write, transcoded), with classic Mac line endings (a bare CR, as Excel
    for Mac's "CSV (Macintosh)" writes) read as LF: such a file was one physical line, its CSV
    refused as 'new-line character seen in unquoted field', its JSONL one invalid line; a UTF-16
    JSONL was an error per line ('not valid UTF-8 (byte 0...)', 'Expecting value') and a UTF-16
    CSV refused as 'the header line is not valid UTF-8'."""
    if path.name.lower().endswith(".gz"):
        import gzip

        fh: IO[bytes] = gzip.open(path, "rb")  # type: ignore[assignment]  # noqa: SIM115
    else:
        fh = open(path, "rb")  # noqa: SIM115 (returned open; the caller's with-block closes it)
    try:
        head = fh.read(CR_SNIFF_BYTES)
    except (EOFError, zlib.error, OSError):  # raised again at the reader's own read, where it is named
        head = b""
    fh.seek(0)  # read from the start as before (a .gz decompresses its first 64 KiB again)
    encoding = wide_encoding(head)
    if encoding is not None:
        head = head.decode(encoding, ESCAPE).encode("utf-8", "surrogatepass")
    cr_only = b"\r" in head and b"\n" not in head
    if encoding is None and not cr_only:
        return fh  # the stream itself: a .gz cut short still yields every line before the cut
    return io.BufferedReader(_Recoded(fh, encoding, cr_only))


# How much of a file decides its encoding and whether its lines end in a bare CR (no LF in it).
CR_SNIFF_BYTES = 1 << 16

# Byte-order marks of the Unicode encodings other than UTF-8 (UTF-32 LE's starts with UTF-16 LE's,
# so it is tried first).
BOMS = ((codecs.BOM_UTF32_LE, "utf-32-le"), (codecs.BOM_UTF32_BE, "utf-32-be"),
        (codecs.BOM_UTF16_LE, "utf-16-le"), (codecs.BOM_UTF16_BE, "utf-16-be"))


def wide_encoding(head: bytes) -> str | None:
    """``utf-16-le|be`` / ``utf-32-le|be`` for a file that starts with ``head`` and is in one of
    them (by its BOM, or, without one, its first two characters being visible ASCII with the other
    bytes NUL, as a header's or a ``{"`` are), else None: UTF-8 (the readers' own encoding)."""
    for bom, name in BOMS:
        if head.startswith(bom):
            return name
    if len(head) < 4:
        return None
    lo, hi = head[0:4:2], head[1:4:2]  # the first two characters' low and high bytes (LE order)
    if hi == b"\0\0" and _visible_ascii(lo):
        return "utf-16-le"
    if lo == b"\0\0" and _visible_ascii(hi):
        return "utf-16-be"
    return None


def _visible_ascii(pair: bytes) -> bool:
    # a header's or a JSON line's first characters ('id', '{"'); whitespace and controls are not
    # evidence of UTF-16 (a binary file's b'\x00\t\x00\n' read as UTF-16 was one blank line)
    return all(0x21 <= c <= 0x7E for c in pair)


def _escape(e: UnicodeError) -> tuple[str, int]:
    """Each byte that is not valid in the encoding as a lone surrogate (``surrogateescape`` does
    only bytes >= 0x80; UTF-16's are often 0x00), which UTF-8 (``surrogatepass``) writes as bytes
    that are not valid UTF-8."""
    bad = e.object[e.start:e.end]  # type: ignore[attr-defined]
    return "".join(chr(0xDC00 + b) for b in bad), e.end  # type: ignore[attr-defined]


ESCAPE = "linernotes.catalog.escape"
codecs.register_error(ESCAPE, _escape)


class _Recoded(io.RawIOBase):
    """``fh`` decoded from ``encoding`` (None: already UTF-8) and written as UTF-8, and with CR
    turned into LF when ``cr_as_lf`` (a JSON string cannot hold a raw CR and a CSV field's line
    break stays one, so nothing else changes). Bytes that are not valid ``encoding`` come out as
    bytes that are not valid UTF-8, so their own line is refused ('not valid UTF-8') and no other."""

    PIECE = 1 << 16

    def __init__(self, fh: IO[bytes], encoding: str | None, cr_as_lf: bool):
        self._fh = fh
        self._decoder = codecs.getincrementaldecoder(encoding)(ESCAPE) if encoding else None
        self._cr_as_lf = cr_as_lf
        self._out = b""
        self._eof = False
        self.name = getattr(fh, "name", None)

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:  # type: ignore[override]
        while not self._out and not self._eof:
            data = self._fh.read(self.PIECE)
            self._eof = not data
            if self._decoder is not None:
                data = self._decoder.decode(data, final=self._eof).encode("utf-8", "surrogatepass")
            self._out = data.replace(b"\r", b"\n") if self._cr_as_lf else data
        n = min(len(buffer), len(self._out))
        buffer[:n] = self._out[:n]
        self._out = self._out[n:]
        return n

    def close(self) -> None:
        if not self.closed:
            self._fh.close()
        super().close()


# what a "CSV" is separated by when not by commas: Excel writes ';' where ',' is the decimal mark
SEPARATORS = (",", ";", "\t", "|")


def csv_delimiter(path: Path, header_line: str) -> str:
    """The delimiter of a CSV/TSV file: ``\t`` for .tsv, ``,`` for .csv, unless its header line
    holds none of that one and exactly one other of ``SEPARATORS`` (a ';'-separated .csv read
    with ',' was one column, every row an error blaming a missing 'id' column)."""
    expected = "\t" if path.name.lower().endswith((".tsv", ".tsv.gz")) else ","
    if expected in header_line:
        return expected
    others = [c for c in SEPARATORS if c != expected and c in header_line]
    return others[0] if len(others) == 1 else expected


def _read_csv(path: Path, b: _RowBuilder) -> Iterator[Row]:
    overlong: list[int] = []  # physical lines skipped for length, not yet reported
    # csv's own field limit (128 KiB) refused a long description as 'field larger than field
    # limit (131072)' keyed by its line; up to the line limit the row is read, so the field limit
    # every reader shares names the field under the row's id
    csv.field_size_limit(max(csv.field_size_limit(), b.max_line_bytes))

    def lines(fh: IO[bytes]) -> Iterator[str]:
        for n, raw in bounded_lines(fh, b.max_line_bytes):
            if raw is None:
                overlong.append(n)
                yield "\n"  # an empty line keeps csv's line count in step with the file's
                continue
            # a byte-order mark at the start of any line, not only line 1: files joined with
            # their marks (cat a.csv b.csv) gave a row whose id began with U+FEFF
            yield without_bom(raw).decode("utf-8", errors="surrogateescape")

    with _open_binary(path) as fh:
        physical = lines(fh)
        first = next(physical, None)
        if first is None:
            return
        delimiter = csv_delimiter(path, first)
        ended: list[bool] = []  # set once csv asked for a line past the last one
        fed = [0]  # physical lines given to csv: the file's line number (csv's line_num counts `pending` too)
        last = [""]  # the last physical line given to csv
        pending: list[str] = []  # a line csv reads before the next physical one (_past_the_field)

        def to_the_end(rows: Iterator[str]) -> Iterator[str]:
            for text in rows:
                while pending:
                    yield pending.pop()
                fed[0] += 1
                last[0] = text
                yield text
            while pending:
                yield pending.pop()
            ended.append(True)

        def past_the_field() -> str | None:
            """After csv refused a field over its field limit: read on to the '"' that closes the
            field, as csv would have without the limit, and drop what was read (the row's rest).
            csv refuses mid-line and starts its next row at the next line, inside the field: the
            field's text was read as rows ('row has 1 field', or rows of the header's width, tagged).
            The field is open at the start of the line csv refused (no field within one line
            reaches the limit, which is at least the line limit): that line is read again behind a
            '"' that reopens it. None when the field closed; else why the rest of the file is not
            read ('never closed': the end of the file came first)."""
            while True:
                at = fed[0]
                pending.append('"' + last[0])
                try:
                    next(reader)
                except StopIteration:
                    return "never closed"
                except csv.Error as again:
                    if "field limit" not in str(again):
                        return None  # the field closed; the row's rest is bad anyway: csv reads on from the next line
                    if fed[0] == at:  # no line read: a field limit below the line limit (set by another library)
                        return "unreadable"
                    continue
                return "never closed" if ended else None

        reader = csv.reader(to_the_end(itertools.chain([first], physical)), delimiter=delimiter,
                            skipinitialspace=_space_after_delimiter(first, delimiter))
        try:
            header = next(reader)
        except StopIteration:
            return
        except csv.Error as e:
            raise CatalogError(f"{path}: unreadable CSV header: {e}") from None
        if overlong:
            raise CatalogError(f"{path}: the header line is longer than {b.max_line_bytes:,} bytes")
        if any(_has_surrogate(h) for h in header):
            raise CatalogError(f"{path}: the header line is not valid UTF-8")
        b.check_columns(header)
        written = [h.removeprefix("\ufeff") for h in header]
        header = b.field_names(header)
        width = len(header)
        while True:
            start = fed[0] + 1  # the physical line this row starts on
            try:
                values = next(reader)
            except StopIteration:
                break
            except csv.Error as e:
                if "field limit" not in str(e):
                    overlong.clear()
                    yield b.error(start, "input.invalid_csv", _csv_error(str(e), start, fed[0]), end=fed[0])
                    continue
                stop = past_the_field()
                overlong.clear()
                yield b.error(start, "input.invalid_csv", _over_the_limit(str(e), start, fed[0], stop), end=fed[0])
                if stop is not None:
                    return
                continue
            # a row is named by the line it starts on (its error record's line:N key and file:N);
            # one spanning lines was named by its last, 'g.csv:14' for a row that began on 12
            line = fed[0]
            if overlong:  # the row (which may span lines) holds a line that was skipped
                first = overlong[0]
                overlong.clear()
                yield _too_long(b, first, start, line)
                continue
            if not values or all(v == "" for v in values):
                continue
            if len(values) != width:
                yield b.error(start, "input.ragged_row", _ragged(len(values), width, start, line), end=line)
                continue
            if ended and line > start:
                # csv ends a row at the end of its last line unless a quoted field is still open,
                # and then reads on to the end of the file, where it keeps the field without a word:
                # a stray '"' in a last column took every row after it into that field (the row
                # had the header's width, so it was tagged, and the rows after it were lost, exit 0).
                # Open on the file's last line, it took no other line: that row is read as before.
                yield b.error(start, "input.invalid_csv", _unclosed(start, line), end=line)
                continue
            if any(_has_surrogate(v) for v in values):
                yield b.error(start, "input.encoding", _not_utf8(header, values), end=line)
                continue
            if [values[0].removeprefix("\ufeff"), *values[1:]] == written:
                # files joined with their headers (cat a.csv b.csv, or Excel's "append"): the second
                # header was tagged as an item whose id is 'id' and whose title is 'title'
                yield b.error(start, "input.repeated_header", f"line {start} repeats the header line (were two "
                              "files joined with their headers?); it is not a row")
                continue
            yield b.build(start, dict(zip(header, values, strict=True)), end=line)


def _space_after_delimiter(header_line: str, delimiter: str) -> bool:
    """True for a file written 'a, b, c' (a space after every delimiter of its header): its cells
    are read without that space (csv's ``skipinitialspace``), so ' title' is the column 'title' and
    ' "a, b"' one quoted value. Such a header's ' title' and ' description' were extra columns:
    every row was tagged without its text, exit 0."""
    cells = next(csv.reader([header_line], delimiter=delimiter), [])
    return len(cells) > 1 and all(c.startswith(" ") and c.strip() for c in cells[1:])


def _ragged(fields: int, width: int, start: int, end: int) -> str:
    """The message for a row whose field count is not the header's; a row spanning several
    physical lines is named by its span and blamed on its likeliest cause, an unclosed quote."""
    if end <= start:
        return f"row has {fields} fields, header has {width}"
    return (f"row of lines {start}-{end} has {fields} fields, header has {width}: a quoted field "
            f"runs across lines, likely an unclosed '\"' on line {start} (the lines after it were "
            "read into that field)")


def _unclosed(start: int, end: int) -> str:
    """The message for a row of lines ``start``-``end`` whose quoted field is still open at the end
    of the file."""
    return (f"row of lines {start}-{end}: a quoted field is never closed: likely an unclosed '\"' on line {start} "
            "(every line after it, to the end of the file, was read into that field)")


def _csv_error(reason: str, start: int, end: int) -> str:
    """csv's reason for a row it could not read (other than a field over its limit: ``_over_the_limit``)."""
    return reason if end <= start else f"row of lines {start}-{end}: {reason}"


def _over_the_limit(reason: str, start: int, end: int, stop: str | None) -> str:
    """The message for a row of lines ``start``-``end`` whose quoted field passed csv's field
    limit (``reason``: 'field larger than field limit (16777216)'), read to the '"' closing it on
    line ``end`` (``stop`` None), to the end of the file (``"never closed"``), or not past line
    ``end`` (``"unreadable"``). 'field larger than field limit (16777216)' at line 331,147 named
    neither where the row began nor why the lines before were no rows, and the lines after it,
    still inside the field, were read as rows."""
    head = f"row of lines {start}-{end}: {reason}: a quoted field runs across lines, likely an unclosed '\"' on line {start}"
    if stop is None:
        return (f"{head}; lines {start}-{end} were read as that field, to the '\"' that closes it on line {end}, "
                "and are not rows (the rows after it are read)")
    if stop == "never closed":
        return f"{head}; it is never closed: every line after it, to the end of the file, was read into that field"
    return f"{head}; where that field ends cannot be told, so the lines after line {end} are not read"


def _not_utf8(header: list[str], values: list[str]) -> str:
    """Which field of a CSV row is not UTF-8, its first bad byte and the words before it (the row
    was read with ``surrogateescape``: byte 0xE9 is U+DCE9). 'row is not valid UTF-8' named no
    field, and a Latin-1 export made an error of every row with an accent, with nothing saying so."""
    name, value = next((h, v) for h, v in zip(header, values, strict=True) if _has_surrogate(v))
    at = next(i for i, c in enumerate(value) if "\udc80" <= c <= "\udcff")
    before = value[max(0, at - 20):at]  # the first bad byte's: no surrogate in it
    return (f"field {name!r} is not valid UTF-8 (byte 0x{ord(value[at]) - 0xDC00:02X} after {before!r}): the file "
            "may be Latin-1 or Windows-1252; save it as UTF-8")


def _has_surrogate(s: str) -> bool:
    try:
        s.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


def _read_parquet(path: Path, b: _RowBuilder) -> Iterator[Row]:
    import pyarrow.parquet as pq

    try:
        pf = pq.ParquetFile(path)
    except Exception as e:  # pyarrow raises several types for a bad file
        raise CatalogError(f"{path}: not a readable Parquet file ({e})") from None
    b.check_columns(pf.schema_arrow.names)
    n = 0
    batches = pf.iter_batches(batch_size=1024)
    while True:
        with _broken_after(path, n):  # a corrupt page read 'Corrupt snappy compressed data.', no file
            batch = next(batches, None)
        if batch is None:
            return
        for record in batch.to_pylist():
            n += 1
            yield b.build(n, record)


@contextlib.contextmanager
def _broken_after(path: Path, row: int) -> Iterator[None]:
    """Re-raise a reader's failure mid-file as CatalogError naming the file and the last row read."""
    try:
        yield
    except CatalogError:
        raise
    except Exception as e:  # noqa: BLE001 (pyarrow and datasets raise many types for a damaged file)
        raise CatalogError(f"{path}: unreadable after row {row} ({type(e).__name__}: {str(e)[:200]}); "
                           "the rows before it were read") from None


def _iter_dataset(ds: Any, b: _RowBuilder, path: Path,
                  own: Callable[[int, dict[str, Any]], dict[str, Any]] | None = None) -> Iterator[Row]:
    """Rows of ``ds``; ``own(n, record)``, when given, puts back values ``datasets`` changed."""
    rows = iter(ds)
    n = 0
    while True:
        with _broken_after(path, n):
            record = next(rows, None)
        if record is None:
            return
        n += 1
        yield b.build(n, record if own is None else own(n, record))


def _read_hf_disk(path: Path, b: _RowBuilder) -> Iterator[Row]:
    from datasets import DatasetDict, load_from_disk

    try:
        ds = load_from_disk(str(path))
    except Exception as e:
        raise CatalogError(f"{path}: not a readable datasets folder ({e})") from None
    if isinstance(ds, DatasetDict):
        if len(ds) != 1:
            raise CatalogError(f"{path}: holds splits {list(ds)}; point at one split's folder")
        ds = next(iter(ds.values()))
    yield from _iter_dataset(ds, b, path)


def _read_hf_file(path: Path, b: _RowBuilder) -> Iterator[Row]:
    from datasets import load_dataset

    builder = "arrow" if path.suffix.lower() == ".arrow" else "json"
    try:
        ds = load_dataset(builder, data_files=str(path), split="train")
    except Exception as e:
        raise CatalogError(f"{path}: datasets could not load it ({type(e).__name__}: {e})") from None
    yield from _iter_dataset(ds, b, path, _as_written(ds, b, path) if builder == "json" else None)


def _as_written(ds: Any, b: _RowBuilder, path: Path) -> Callable[[int, dict[str, Any]], dict[str, Any]] | None:
    """For a JSON catalog, a function giving row ``n``'s record with the file's own values in the
    columns ``datasets`` changed (``json_exact.changed_columns``: a column mixing ``"007"`` and
    ``7`` read both as 7, a repeat; ``"1e5"`` as the float 100000.0; an id column of ``7`` and
    ``7.5`` gave the id 7.0, refused), so an id is as written and no row is silently merged,
    dropped or renumbered; None when every column is read as written (the common case)."""
    from linernotes.store.json_exact import changed_columns, raw_rows

    columns = changed_columns(ds.features, id_column(b.mapping))
    if not columns:
        return None
    try:
        raw = raw_rows(path)
    except (OSError, ValueError, UnicodeDecodeError):
        return None
    if len(raw) != len(ds):  # not the rows datasets read (not expected): its values, as before
        return None

    def own(n: int, record: dict[str, Any]) -> dict[str, Any]:
        row = raw[n - 1][1]
        return {**record, **{c: row.get(c) for c in columns}} if isinstance(row, dict) else record

    return own
