"""Read a catalog file into validated items, one row at a time.

A bad row never stops the stream: it becomes a ``Row`` with an ``ErrorInfo`` naming the line (or
row number) and the reason. Only a problem with the file as a whole (missing, a directory that is
not a datasets folder, an unknown format, empty) raises ``CatalogError``.
"""

from __future__ import annotations

import csv
import io
import json
import math
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from linernotes.schema import ErrorInfo, Item

MAX_FIELD_CHARS = 100_000
KNOWN_FIELDS = set(Item.model_fields) - {"extra"}


class CatalogError(Exception):
    """The input as a whole cannot be read (exit code 2)."""


@dataclass(frozen=True, slots=True)
class Row:
    """One input row: an item, or an error that names where it came from.

    ``key`` is unique per input row and stable across runs, so resume can skip it: the item id
    for a good row, ``line:N`` for a row that has no usable id of its own (or repeats one).
    """

    line: int
    key: str
    item: Item | None = None
    error: ErrorInfo | None = None
    raw_id: str | None = None


def parse_mapping(spec: str | None) -> dict[str, str]:
    """``"title=track,label=labelname"`` -> ``{"track": "title", "labelname": "label"}`` (src -> dst)."""
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
    """Rename, split known fields from extra context, and validate. Raises ValueError."""
    mapping = mapping or {}
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
        if isinstance(value, str):
            if "\x00" in value:
                raise ValueError(f"field {dst!r} contains a NUL byte")
            if _has_surrogate(value):  # JSON may escape one (\ud800); it can never be written out
                raise ValueError(f"field {dst!r} contains a lone UTF-16 surrogate (not valid Unicode)")
            if len(value) > MAX_FIELD_CHARS:
                raise ValueError(f"field {dst!r} has {len(value):,} characters (limit {MAX_FIELD_CHARS:,})")
        if dst in KNOWN_FIELDS:
            if dst in fields and key not in mapping:
                continue  # a mapped column already filled this field; the raw one is shadowed
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
        raise ValueError("missing required field 'id'")
    if fields.get("type") is None:
        fields.pop("type", None)
    try:
        return Item(**fields, extra=extra)
    except ValidationError as e:
        raise ValueError(_explain(e)) from None


def _explain(e: ValidationError) -> str:
    parts = []
    for err in e.errors()[:3]:
        loc = ".".join(str(x) for x in err["loc"]) or "record"
        parts.append(f"{loc}: {err['msg']}")
    return "; ".join(parts)


class _RowBuilder:
    """Turns raw records into Rows, tracking ids to catch duplicates."""

    def __init__(self, source: str, mapping: dict[str, str], drop: Iterable[str], keep_extra: bool):
        self.source = source
        self.mapping = mapping
        self.drop = tuple(drop)
        self.keep_extra = keep_extra
        self.seen: set[str] = set()

    def error(self, line: int, kind: str, message: str, raw_id: str | None = None) -> Row:
        return Row(
            line=line,
            key=f"line:{line}",
            error=ErrorInfo(kind=kind, message=message, line=line, source=self.source),
            raw_id=raw_id,
        )

    def build(self, line: int, record: Any) -> Row:
        if not isinstance(record, dict):
            return self.error(line, "input.not_an_object", f"expected an object, got {type(record).__name__}")
        raw_id = record.get(next((s for s, d in self.mapping.items() if d == "id"), "id"))
        raw_id_s = None if raw_id is None else str(raw_id).encode("utf-8", "backslashreplace").decode("utf-8")
        try:
            item = to_item(record, self.mapping, self.drop, self.keep_extra)
        except RecursionError:
            return self.error(line, "input.invalid", "a field is nested too deeply", raw_id_s)
        except ValueError as e:
            kind = "input.missing_id" if "missing required field 'id'" in str(e) else "input.invalid"
            return self.error(line, kind, str(e), raw_id_s)
        if item.id in self.seen:
            return self.error(line, "input.duplicate_id", f"duplicate id {item.id!r}", item.id)
        self.seen.add(item.id)
        return Row(line=line, key=item.id, item=item, raw_id=item.id)


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
    if name.endswith((".csv", ".tsv")):
        return "csv"
    if name.endswith(".parquet"):
        return "parquet"
    if name.endswith((".json", ".arrow")):
        return "hf-file"
    raise CatalogError(f"{path}: unknown catalog format {suffixes or '(no extension)'!r} "
                       "(use .jsonl, .csv, .tsv, .parquet, .json, .arrow or a datasets folder)")


def read_catalog(
    path: str | Path,
    mapping: dict[str, str] | None = None,
    drop: Iterable[str] = (),
    keep_extra: bool = True,
) -> Iterator[Row]:
    """Rows in file order, streamed (memory does not grow with the file).

    Problems with the file as a whole raise CatalogError here, before the first row."""
    p = Path(path)
    if not p.exists():
        raise CatalogError(f"{p}: no such file or directory")
    fmt = detect_format(p)
    if fmt != "hf-disk":
        if not p.is_file():
            raise CatalogError(f"{p}: not a regular file")
        if p.stat().st_size == 0:
            raise CatalogError(f"{p}: the file is empty (0 bytes)")
    builder = _RowBuilder(str(p), mapping or {}, drop, keep_extra)
    readers = {"jsonl": _read_jsonl, "csv": _read_csv, "parquet": _read_parquet,
               "hf-disk": _read_hf_disk, "hf-file": _read_hf_file}
    return readers[fmt](p, builder)


def estimate_rows(path: str | Path) -> int | None:
    """A cheap row count for progress/ETA (line count for text formats), or None."""
    p = Path(path)
    try:
        fmt = detect_format(p)
        if fmt in ("jsonl", "csv"):
            n = 0
            with open(p, "rb") as fh:
                for block in iter(lambda: fh.read(1 << 20), b""):
                    n += block.count(b"\n")
            return max(0, n - (1 if fmt == "csv" else 0))
        if fmt == "parquet":
            import pyarrow.parquet as pq

            return pq.ParquetFile(p).metadata.num_rows
    except (OSError, CatalogError, ValueError):
        return None
    return None


def _read_jsonl(path: Path, b: _RowBuilder) -> Iterator[Row]:
    opener = _open_binary(path)
    with opener as fh:
        for n, raw in enumerate(fh, start=1):
            if n == 1 and raw.startswith(b"\xef\xbb\xbf"):
                raw = raw[3:]
            if not raw.strip():
                continue
            try:
                text = raw.decode("utf-8")
            except UnicodeDecodeError as e:
                yield b.error(n, "input.encoding", f"line is not valid UTF-8 (byte {e.start}: {e.reason})")
                continue
            try:
                record = json.loads(text)
            except RecursionError:
                yield b.error(n, "input.invalid_json", "JSON is nested too deeply")
                continue
            except json.JSONDecodeError as e:
                yield b.error(n, "input.invalid_json", f"invalid JSON: {e.msg} at column {e.colno}")
                continue
            yield b.build(n, record)


def _open_binary(path: Path):
    if path.name.lower().endswith(".gz"):
        import gzip

        return gzip.open(path, "rb")
    return open(path, "rb")


def _read_csv(path: Path, b: _RowBuilder) -> Iterator[Row]:
    delimiter = "\t" if path.suffix.lower() == ".tsv" else ","
    with open(path, "rb") as fh:
        text = io.TextIOWrapper(fh, encoding="utf-8-sig", errors="surrogateescape", newline="")
        reader = csv.reader(text, delimiter=delimiter)
        try:
            header = next(reader)
        except StopIteration:
            return
        except csv.Error as e:
            raise CatalogError(f"{path}: unreadable CSV header: {e}") from None
        if any(_has_surrogate(h) for h in header):
            raise CatalogError(f"{path}: the header line is not valid UTF-8")
        width = len(header)
        while True:
            try:
                values = next(reader)
            except StopIteration:
                break
            except csv.Error as e:
                yield b.error(reader.line_num, "input.invalid_csv", str(e))
                continue
            line = reader.line_num
            if not values or all(v == "" for v in values):
                continue
            if len(values) != width:
                yield b.error(line, "input.ragged_row", f"row has {len(values)} fields, header has {width}")
                continue
            if any(_has_surrogate(v) for v in values):
                yield b.error(line, "input.encoding", "row is not valid UTF-8")
                continue
            yield b.build(line, dict(zip(header, values, strict=True)))


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
    n = 0
    for batch in pf.iter_batches(batch_size=1024):
        for record in batch.to_pylist():
            n += 1
            yield b.build(n, record)


def _iter_dataset(ds: Any, b: _RowBuilder) -> Iterator[Row]:
    for n, record in enumerate(ds, start=1):
        yield b.build(n, record)


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
    yield from _iter_dataset(ds, b)


def _read_hf_file(path: Path, b: _RowBuilder) -> Iterator[Row]:
    from datasets import load_dataset

    builder = "arrow" if path.suffix.lower() == ".arrow" else "json"
    try:
        ds = load_dataset(builder, data_files=str(path), split="train")
    except Exception as e:
        raise CatalogError(f"{path}: datasets could not load it ({type(e).__name__}: {e})") from None
    yield from _iter_dataset(ds, b)
