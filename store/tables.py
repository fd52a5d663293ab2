"""Labeled tables read whole through ``datasets`` (gold sets, exemplar sources): one loader, so
every command that takes a labeled file reads the same formats the same way.
"""

from __future__ import annotations

import contextlib
import csv
import json
import tempfile
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any, NamedTuple

from linernotes.files import require_regular

FORMATS = "use .jsonl, .json, .parquet, .csv, .tsv or a datasets save_to_disk folder"
# what makes a CSV/TSV row unreadable as a row (the catalog reader's kinds); its other kinds are
# about catalog fields, which a labeled table's row need not have
CSV_SHAPE = frozenset({"input.ragged_row", "input.invalid_csv", "input.encoding", "input.line_too_long",
                       "input.repeated_header"})


class BadRow(NamedTuple):
    """A CSV/TSV row the catalog's reader cannot read as a row (``CSV_SHAPE``): its number among
    the file's rows (1-based, bad rows counted), its first and last physical line, and
    ``"PATH:LINE: reason"`` (``PATH:FIRST-LAST`` for a row spanning lines)."""

    row: int
    first: int
    last: int
    message: str


def load_table(path: str | Path, id_column: str = "id",
               text_columns: Iterable[str] | Callable[[str], bool] = (),
               skip_rows: Iterable[BadRow] = ()) -> Any:
    """The file or ``save_to_disk`` folder at ``path`` as one ``datasets.Dataset`` (rows in file
    order; ``.tsv`` split on tabs, ``.csv`` on commas unless its header holds only ';', tabs or '|'
    (``catalog.csv_delimiter``); a byte-order mark dropped from the start of any line of a CSV/TSV
    or JSON file: ``_without_inner_boms``).

    Raises ``ValueError`` naming ``path``: an unknown suffix, a folder holding several splits, or
    anything ``datasets`` fails on (its exception's type and message, cut to 200 characters).
    ``datasets``' progress bars are turned off: a command's stderr is for its own messages.

    A CSV/TSV's ``id_column`` is read as the text it holds, as ``liner tag`` reads a catalog's:
    pandas made ``00123`` the integer 123 (and ``123`` of a column with a blank cell 123.0), so a
    gold or review id was '123' where the tagged item's is '00123', and ``00123`` and ``123`` were
    one id. A missing-value marker (blank, ``NA``) is still no id. So are ``text_columns`` (a gold
    set's group and input columns, an exemplar source's text and identity columns): pandas made an
    album column's ``007`` and ``7`` one group 7.0 (``1e5`` in another row made it floats), and a
    title ``007`` the text '7'; their missing-value markers are still missing. ``text_columns``
    may instead be a test of a header's column name (review: every column but the answers'), for
    a reader that knows the columns to leave typed rather than those to keep as text.

    ``skip_rows``: rows of a CSV/TSV that ``csv_bad_rows`` found, left out of the table (a reader
    that names and skips them, as ``liner tag`` does); any other bad row is still a ``ValueError``.
    Only a UTF-8 file with LF or CRLF line ends can be read so (its lines are cut as bytes); any
    other is refused at its first bad row as before."""
    import datasets

    datasets.disable_progress_bars()
    p = Path(path)
    name = p.name.lower()
    if not p.is_dir():  # a FIFO blocked datasets (and the encoding sniff) for good; /dev/zero read without end
        require_regular(p, ValueError, ": a labeled table is a file or a datasets folder")
    try:
        if p.is_dir():
            if why := _export_root(p):
                raise ValueError(why)
            ds = datasets.load_from_disk(str(p))
            if isinstance(ds, datasets.DatasetDict):
                if len(ds) != 1:
                    raise ValueError(f"{p}: holds splits {list(ds)}; point at one split's folder")
                ds = next(iter(ds.values()))
            return ds
        if name.endswith(".parquet"):
            return datasets.load_dataset("parquet", data_files=str(p), split="train")
        if name.endswith((".jsonl", ".json", ".jsonl.gz")):
            with _without_inner_boms(p) as (text, encoding):
                ds = datasets.load_dataset("json", data_files=str(text), split="train",
                                           **({} if encoding == "utf-8-sig" else {"encoding": encoding}))
                return _as_written(ds, p, text, encoding, id_column)
        if name.endswith((".csv", ".tsv")):
            from linernotes.store.catalog import csv_delimiter  # the catalog's rule: one reading of a CSV

            skip = sorted(set(skip_rows))
            check_csv_rows(p, skip=skip)
            with _without_rows(p, skip) as kept, _without_inner_boms(kept) as (text, encoding):
                header = _first_line(text, encoding)
                delimiter = csv_delimiter(p, header)
                if callable(text_columns):  # the header's own names that the test picks
                    text_columns = [c for c in next(csv.reader([header], delimiter=delimiter), []) if text_columns(c)]
                return datasets.load_dataset("csv", data_files=str(text), split="train", encoding=encoding,
                                             delimiter=delimiter,
                                             converters={c: str for c in (id_column, *text_columns)})
    except Exception as e:  # noqa: BLE001 (datasets raises many types for unreadable files)
        if isinstance(e, ValueError) and str(e).startswith(str(p)):
            raise
        if p.is_file() and _data_lines(p, header=name.endswith((".csv", ".tsv"))) == 0:
            raise ValueError(f"{p}: no rows" + (" (a header line only)" if p.stat().st_size else " (an empty file)")) from None
        raise ValueError(f"{p}: datasets could not load it ({type(e).__name__}: {str(e)[:200]})") from None
    raise ValueError(f"{p}: unknown table format ({FORMATS})")


def _as_written(ds: Any, path: Path, text: Path, encoding: str, id_column: str) -> Any:
    """``ds`` with the columns ``datasets`` changed (``json_exact.changed_columns``) as the JSON
    file ``text`` (read for ``path``) writes them. Its ``id_column``: a column mixing ``1`` and
    ``"007"`` gave 1 and 7, one mixing ``7`` and ``7.5`` gave 7.0; it becomes text (an integer as
    its text, a string as written), and a float, true/false, a list or an object in it is a
    ``ValueError`` naming the line (row) and the catalog's reason (``store.catalog.id_problem``).
    Any other column mixing JSON types (a title ``1999`` beside ``"null"``, which came back None,
    and ``"007"``, which came back 7; a label ``"true"``, true) keeps the ``Json`` feature, holding
    each value's own JSON, so it reads back as written. A table of one type per column loads as
    before."""
    from linernotes.store.json_exact import changed_columns, raw_rows

    columns = [c for c in changed_columns(ds.features, id_column) if c in ds.column_names]
    if not columns:
        return ds
    rows = raw_rows(text, encoding)
    if len(rows) != len(ds):  # not the rows datasets read: leave them to the checks that follow
        return ds
    import datasets

    order = ds.column_names
    for column in columns:
        values = [row.get(column) if isinstance(row, dict) else None for _, row in rows]
        if column == id_column:
            ds = ds.remove_columns([column]).add_column(column, _id_texts(values, rows, path, column),
                                                        feature=datasets.Value("string"))
        else:  # each value's JSON text: the feature stores a text that parses as JSON as it is
            ds = ds.remove_columns([column]).add_column(
                column, [None if v is None else json.dumps(v, ensure_ascii=False) for v in values],
                feature=datasets.Json())
    return ds.select_columns(order)


def _id_texts(values: list[Any], rows: list[tuple[str, Any]], path: Path, column: str) -> list[str | None]:
    """Each id cell as its text (None stays None); ValueError naming the place of the first that
    is not a string or an integer."""
    from linernotes.store.catalog import id_problem
    from linernotes.store.json_exact import place

    out: list[str | None] = []
    for value, (where, _) in zip(values, rows, strict=True):
        if value is not None and not isinstance(value, str) and (isinstance(value, bool) or not isinstance(value, int)):
            raise ValueError(f"{place(path, where)}: {column}: {id_problem(value)}")
        out.append(None if value is None else str(value))
    return out


def _export_root(p: Path) -> str | None:
    """Why the folder ``p`` is not one table but a ``liner review export`` folder (``v1``, ``v2``, ...
    each a datasets folder; it holds no dataset of its own), naming its versions and the latest;
    None for any other folder. datasets said only "Directory ... is neither a `Dataset` directory
    nor a `DatasetDict` directory" for ``data: gold/decade`` (the README's ``export -o``)."""
    if (p / "dataset_info.json").exists() or (p / "dataset_dict.json").exists():
        return None
    versions = sorted((d for d in p.glob("v*") if d.is_dir() and d.name[1:].isdigit() and
                       (d / "dataset_info.json").exists()), key=lambda d: int(d.name[1:]))
    if not versions:
        return None
    shown = ", ".join(d.name for d in versions[:5]) + (", ..." if len(versions) > 5 else "")
    return (f"{p}: a `liner review export` folder of {len(versions)} version{'s' if len(versions) > 1 else ''} "
            f"({shown}); point at one of them, the latest: {versions[-1]}")


def csv_bad_rows(path: Path, mapping: dict[str, str] | None = None) -> list[BadRow]:
    """Every row of a CSV/TSV table the catalog's reader cannot read as a row (``CSV_SHAPE``: ragged,
    a quote never closed, not UTF-8, too long, a repeated header), in file order. A header it
    refuses is a ``ValueError``."""
    from linernotes.store.catalog import CatalogError, read_catalog

    if path.stat().st_size == 0:  # load_table names it: 'no rows (an empty file)'
        return []
    bad = []
    try:
        for n, row in enumerate(read_catalog(path, mapping=mapping or {}), 1):
            if row.error is not None and row.error.kind in CSV_SHAPE:
                bad.append(BadRow(n, row.line, row.end_line or row.line, f"{path}:{row.lines()}: {row.error.message}"))
    except CatalogError as e:
        raise ValueError(str(e)) from None
    return bad


def rows_can_be_skipped(path: Path) -> bool:
    """True when ``load_table``'s ``skip_rows`` can cut rows out of the text table at ``path``: UTF-8
    (with or without a BOM) and no bare CR line end (the catalog's reader counts lines of other
    encodings and of CR-only files on transcoded text, not on the file's bytes)."""
    if text_encoding(path) != "utf-8-sig":
        return False
    raw = path.read_bytes()
    return raw.count(b"\r") == raw.count(b"\r\n")


@contextlib.contextmanager
def _without_rows(path: Path, skip: list[BadRow]) -> Iterator[Path]:
    """``path`` itself, or a copy (same name, in a temporary folder removed on exit) without the
    physical lines of the rows in ``skip`` (``rows_can_be_skipped`` must hold)."""
    if not skip:
        yield path
        return
    drop = {line for bad in skip for line in range(bad.first, bad.last + 1)}
    with tempfile.TemporaryDirectory(prefix="liner-table-") as folder:
        copy = Path(folder) / path.name
        lines = path.read_bytes().split(b"\n")
        copy.write_bytes(b"\n".join(line for n, line in enumerate(lines, 1) if n not in drop))
        yield copy


def check_csv_rows(path: Path, mapping: dict[str, str] | None = None, skip: Iterable[BadRow] = ()) -> None:
    """Read a CSV/TSV table row by row with the catalog's reader (same rules, same line numbers):
    the first row it cannot read as a row (``CSV_SHAPE``) is ``ValueError("PATH:LINE: reason")``
    (``PATH:FIRST-LAST`` for a row spanning lines),
    and so is a header it refuses. datasets said "DatasetGenerationError: An error occurred while
    generating the dataset" for a row with extra cells or a quoted field never closed (``liner
    index build --gold``), and read a repeated header line as a row. ``mapping``: the
    ``--map``-style renaming whose ``id`` names the table's id column. ``skip``: rows the caller
    leaves out (``load_table``'s ``skip_rows``), not refused."""
    skip = set(skip)
    if bad := next((b for b in csv_bad_rows(path, mapping) if b not in skip), None):
        raise ValueError(bad.message)


def text_encoding(path: Path) -> str:
    """The codec a text table at ``path`` is read with: ``utf-16``/``utf-32`` (BOM consumed) or
    ``utf-16-le``... without a BOM, as the catalog reader detects them (``catalog.wide_encoding``);
    else ``utf-8-sig``. A UTF-16 gold CSV failed in datasets with "DatasetGenerationError: An error
    occurred while generating the dataset" and no reason, while the same catalog was read."""
    from linernotes.store.catalog import BOMS, wide_encoding

    if path.suffix.lower() == ".gz" or not path.is_file():
        return "utf-8-sig"
    try:
        with open(path, "rb") as f:
            head = f.read(64)
    except OSError:
        return "utf-8-sig"
    wide = wide_encoding(head)
    if wide is None:
        return "utf-8-sig"
    # with a BOM, Python's utf-16 / utf-32 codecs read it and drop it ('utf-16-le' would keep it
    # as the first column's first character); without one, the byte order wide_encoding found
    return wide.removesuffix("-le").removesuffix("-be") if any(head.startswith(bom) for bom, _ in BOMS) else wide


@contextlib.contextmanager
def _without_inner_boms(path: Path) -> Iterator[tuple[Path, str]]:
    """``(file, encoding)`` to give ``datasets`` for the text table at ``path``: the file itself and
    its ``text_encoding``, or, when a line after the first starts with a byte-order mark (files each
    saved with one, joined: ``cat a.csv b.csv``), a UTF-8 copy without the marks in a temporary
    folder, removed on exit. datasets read such a JSONL as 'DatasetGenerationError' (pyarrow: 'JSON
    parse error: Invalid value') and such a CSV row's first cell with U+FEFF in front (the id
    ``'\ufeffb'``), as the catalog reader does no longer (``files.without_bom``). A ``.gz`` or a
    file that is not text in its encoding is given as it is (its reader names the problem)."""
    encoding = text_encoding(path)
    if path.name.lower().endswith(".gz") or not _inner_bom(path, encoding):
        yield path, encoding
        return
    with tempfile.TemporaryDirectory(prefix="liner-table-") as folder:
        copy = Path(folder) / path.name
        with open(path, encoding=encoding, newline="") as src, open(copy, "w", encoding="utf-8", newline="") as dst:
            for line in src:
                dst.write(line.removeprefix("\ufeff"))
        yield copy, "utf-8"


def _inner_bom(path: Path, encoding: str) -> bool:
    """True when a line of the text file at ``path`` other than its first starts with U+FEFF."""
    try:
        with open(path, encoding=encoding, newline="") as f:
            next(f, None)
            return any(line.startswith("\ufeff") for line in f)
    except (UnicodeDecodeError, OSError):
        return False


def _first_line(path: Path, encoding: str) -> str:
    with open(path, encoding=encoding, errors="replace") as f:
        return f.readline()


def _data_lines(path: Path, header: bool, most: int = 2) -> int:
    """Non-blank lines of a text file after its header (when ``header``), counted up to ``most``;
    ``most`` for a file that is not text (a Parquet file's bytes): it has rows or is broken."""
    try:
        with open(path, encoding="utf-8") as f:
            lines = 0
            for line in f:
                lines += bool(line.strip())
                if lines > most:
                    break
    except (UnicodeDecodeError, OSError):
        return most
    return max(0, lines - header)
