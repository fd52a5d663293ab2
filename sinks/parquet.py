"""Parquet output that resumes like JSONL: the run's JSONL journal is the truth, Parquet is
materialised from it.

Design (see ``sinks/README.md``):

- Every record is first appended to a JSONL journal with the run store's ``OutputWriter`` (whole
  lines, fsync, a cut last line repaired on resume), so resume, the single-writer rules and the
  crash guarantees are exactly the JSONL output's.
- **File** (``-o out.parquet``): the journal is ``out.parquet.journal.jsonl``; ``out.parquet``
  is written at the end of the run (and by ``liner export``) to a temporary file and renamed
  into place, so a reader never sees a half-written file. After a kill the previous complete
  file (if any) stays; rerunning the same command resumes from the journal and rewrites it.
- **Dataset folder** (``-o DIR`` where DIR is an existing folder, or a path ending in ``/``):
  the journal is ``DIR/_journal.jsonl`` (an ``_`` name, which pyarrow, DuckDB globs, Spark and
  BigQuery skip) and every ``part_rows`` journal records become one part file
  ``part-<first>-<end>.parquet`` (journal record indices ``[first, end)``), written atomically
  while the run goes on, so big runs never rewrite what is already materialised.
- Exactly one row per input key: the last journal record of a key wins (as for a resumed JSONL
  whose errors were retried); at close, parts holding a superseded record are rewritten without
  it, each atomically. All of this is idempotent, so a kill at any point is repaired by rerunning.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from linernotes.files import refuse_shipped
from linernotes.numbers import parse_int
from linernotes.schema import OutputRecord
from linernotes.sinks.table import SCHEMA, to_table
from linernotes.store.records import OutputError, OutputWriter, record_key

PART_RE = re.compile(r"^part-(\d{10})-(\d{10})\.parquet$")
DATASET_JOURNAL = "_journal.jsonl"
BATCH_ROWS = 5_000  # rows per Arrow batch while materialising: bounded memory on 1M-item runs
COMPRESSION = "zstd"


def part_rows_setting() -> int:
    """Journal records per dataset part file: ``LINER_PARQUET_PART_ROWS`` (default 10,000)."""
    try:
        return max(1, parse_int(os.environ.get("LINER_PARQUET_PART_ROWS", "10000")))
    except ValueError:
        raise OutputError(f"LINER_PARQUET_PART_ROWS={os.environ['LINER_PARQUET_PART_ROWS']!r} is not a whole number") from None


def is_parquet_output(path: str | Path) -> bool:
    """``.parquet`` files, existing folders and paths written with a trailing ``/`` are Parquet."""
    s = str(path)
    return s.endswith(("/", os.sep)) or Path(s).is_dir() or Path(s).suffix.lower() == ".parquet"


def is_dataset(path: str | Path) -> bool:
    s = str(path)
    return s.endswith(("/", os.sep)) or Path(s).is_dir()


def output_target(raw: str | Path, create: bool = True, overwrite_shipped: bool = False) -> Path:
    """The output path a user wrote. One ending in a path separator names a Parquet dataset
    folder, but ``Path`` drops the separator that alone said so (a JSONL file named like the
    folder was written): with ``create`` the folder is made when missing. Raises OutputError, also
    for a path inside data the package ships unless ``overwrite_shipped`` (``files.refuse_shipped``:
    ``liner tag -o packs/x.jsonl`` added a file to what every user of the install reads)."""
    text, path = str(raw), Path(raw)
    refuse_shipped(path, OutputError, "-o", overwrite_shipped)
    if create and text.endswith(("/", os.sep)) and not path.is_dir():
        try:
            path.mkdir(parents=True)
        except OSError as e:
            raise OutputError(f"{text}: cannot create the dataset folder ({e.strerror})") from None
    return path


def journal_path(output: str | Path) -> Path:
    """Where the JSONL records of a run live: the output itself for JSONL, a journal for Parquet."""
    p = Path(output)
    if not is_parquet_output(output):
        return p
    if is_dataset(output):
        return p / DATASET_JOURNAL
    return p.with_name(p.name + ".journal.jsonl")


def unfinished_parquet_hint(output: Path) -> str:
    """``'; ...'`` naming the journal of a ``-o out.parquet`` run that has not finished (killed, or
    still running: ``out.parquet`` is written when the run ends) when ``output`` is missing but
    its journal holds records, else ``''``: 'no such file' alone sent users looking for lost work."""
    journal = journal_path(output)
    if output.suffix.lower() != ".parquet" or not journal.is_file() or journal.stat().st_size == 0:
        return ""
    return (f" (its run has not finished: the records so far are in {journal}; rerun the same liner tag "
            "command to finish it, or give that file)")


def _journal(path: Path) -> Iterator[tuple[int, dict[str, Any]]]:
    """(record index, record) for every whole line; a cut or unparsable last line ends the journal."""
    if not path.exists():
        return
    with open(path, "rb") as fh:
        i = 0
        for raw in fh:
            if not raw.endswith(b"\n"):
                return
            if not raw.strip():
                continue
            try:
                rec = json.loads(raw)
            except ValueError:
                return
            yield i, rec
            i += 1


# the key a journal record (with its index) is deduplicated by: one row per key, the last wins
RowKey = Callable[[dict[str, Any], int], str]


def input_row_key(rec: dict[str, Any], index: int) -> str:
    """A run's key: the input row the record answers (``store.records.record_key``)."""
    return record_key(rec)


def last_index_by_key(journal: Path, key: RowKey = input_row_key) -> dict[str, int]:
    last: dict[str, int] = {}
    for i, rec in _journal(journal):
        last[key(rec, i)] = i
    return last


def _write_atomic(table_batches: Iterator[pa.Table], dest: Path) -> int:
    """Write batches to ``dest`` through a temporary file and a rename; returns rows written."""
    tmp = dest.with_name(f".{dest.name}.{os.getpid()}.tmp")
    rows = 0
    try:
        with pq.ParquetWriter(tmp, SCHEMA, compression=COMPRESSION) as w:
            for t in table_batches:
                if t.num_rows:
                    w.write_table(t)
                    rows += t.num_rows
        with open(tmp, "rb") as fh:
            os.fsync(fh.fileno())
        os.replace(tmp, dest)
    except OSError as e:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise OutputError(f"{dest}: cannot write Parquet ({e.strerror or e}); rerun the same command to resume") from None
    return rows


def _batched(records: Iterator[dict[str, Any]], size: int = BATCH_ROWS) -> Iterator[pa.Table]:
    buf: list[dict[str, Any]] = []
    for r in records:
        buf.append(r)
        if len(buf) >= size:
            yield to_table(buf)
            buf = []
    yield to_table(buf)


def materialise_file(journal: Path, dest: Path, drop: set[str] | frozenset[str] = frozenset(),
                     key: RowKey = input_row_key) -> int:
    """The journal, one row per key (last record wins, in journal order) except the keys in
    ``drop``, as one Parquet file."""
    last = last_index_by_key(journal, key)
    keep = (rec for i, rec in _journal(journal) if last.get(k := key(rec, i)) == i and k not in drop)
    return _write_atomic(_batched(keep), dest)


def _parts(folder: Path) -> list[tuple[int, int, Path]]:
    out = []
    for p in folder.iterdir() if folder.is_dir() else ():
        m = PART_RE.match(p.name)
        if m:
            out.append((int(m.group(1)), int(m.group(2)), p))
    return sorted(out)


def refuse_foreign(output: Path, dataset: bool) -> None:
    """Raise OutputError when ``output`` holds Parquet no liner run wrote, which the run would
    replace (a file whose columns are not an output's) or join (a folder with .parquet files not
    named as this sink's parts: reading the folder would mix them into the output)."""
    if dataset:
        foreign = sorted(p.name for p in output.glob("*.parquet") if not PART_RE.match(p.name))
        if foreign:
            more = f" +{len(foreign) - 3} more" if len(foreign) > 3 else ""
            raise OutputError(f"{output}: holds Parquet files no liner tag run wrote ({', '.join(foreign[:3])}{more}); "
                              "its part files would join them: use a fresh output folder")
        return
    if not output.is_file():
        return
    try:
        names = pq.read_schema(output).names
    except (pa.ArrowException, OSError):
        names = None
    if names is None or not {"id", "status"} <= set(names):
        what = "not a Parquet file" if names is None else f"not a liner output (its columns: {', '.join(names[:8])})"
        raise OutputError(f"{output}: exists and is {what}; the run would replace it: write to another -o")


class ParquetSink:
    """``OutputWriter``-shaped (``write``, ``close``, ``written``): journal first, Parquet from it.

    Raises ``OutputError`` (exit code 2) when the journal or a Parquet file cannot be written, or
    when ``output`` holds Parquet another program wrote (``refuse_foreign``).
    """

    def __init__(self, output: Path, sync: str = "line", part_rows: int | None = None, key: RowKey = input_row_key):
        self.output = Path(output)
        self.key = key
        self.dataset = is_dataset(output)
        self.part_rows = part_rows or part_rows_setting()
        self.journal_path = journal_path(output)
        refuse_foreign(self.output, self.dataset)
        if self.dataset:
            try:
                self.output.mkdir(parents=True, exist_ok=True)
            except OSError as e:
                raise OutputError(f"{output}: cannot create the dataset folder ({e.strerror})") from None
        self.journal = OutputWriter(self.journal_path, sync=sync)
        self.written = 0
        self._forget: set[str] = set()
        parts = _parts(self.output) if self.dataset else []
        self._covered = max((end for _, end, _ in parts), default=0)
        # journal records not in a part yet, kept in memory so a flush never rereads the journal
        self._pending: list[dict[str, Any]] = []
        self._count = 0
        for i, rec in _journal(self.journal_path):
            self._count = i + 1
            if self.dataset and i >= self._covered:
                self._pending.append(rec)
        if self._covered > self._count:  # parts from an older journal: they describe another run
            raise OutputError(f"{output}: its part files cover {self._covered} records but {self.journal_path} "
                              f"holds {self._count}; use a fresh output folder")

    def write(self, record: OutputRecord) -> None:
        self.journal.write(record)
        self.written += 1
        self._count += 1
        if self.dataset:
            self._pending.append(record.model_dump(mode="json"))
            if len(self._pending) >= self.part_rows:
                self._flush_part()

    def forget(self, keys: set[str]) -> None:
        """Leave these keys out of the Parquet output (input-error rows, keyed ``line:N``, whose
        row reads cleanly now and is answered under its id: the JSONL path's ``compact(stale)``)."""
        self._forget |= set(keys)

    def _flush_part(self) -> None:
        first, end = self._covered, self._count
        if end <= first:
            return
        _write_atomic(_batched(iter(self._pending)), self.output / f"part-{first:010d}-{end:010d}.parquet")
        self._covered, self._pending = end, []

    def _dedupe_parts(self) -> None:
        """Rewrite the parts that hold a record a later journal record superseded."""
        last = last_index_by_key(self.journal_path, self.key)
        if len(last) == self._count and not self._forget:
            return  # every key has one record: nothing superseded
        for first, end, path in _parts(self.output):
            table = pq.read_table(path, schema=SCHEMA)
            keys = _row_keys(table, self.key, first)
            winners = {k for k, i in last.items() if first <= i < end and k not in self._forget}
            seen: set[str] = set()
            keep = [False] * len(keys)
            for n in range(len(keys) - 1, -1, -1):  # the last row of a key inside the part
                k = keys[n]
                if k in winners and k not in seen:
                    keep[n] = True
                    seen.add(k)
            if not all(keep):
                _write_atomic(iter([table.filter(pa.array(keep))]), path)

    def close(self) -> None:
        self.journal.close()
        if self.dataset:
            self._flush_part()
            self._dedupe_parts()
        else:
            materialise_file(self.journal_path, self.output, self._forget, self.key)


def _row_keys(table: pa.Table, key: RowKey, first: int) -> list[str]:
    """``key`` of each row of a part (id, or ``line:N`` for input errors) whose first row is journal
    record ``first`` (a key that reads the index sees it before the part is first rewritten)."""
    cols = table.select(["id", "status", "error_kind", "error_line", "error_source"]).to_pylist()
    return [key({"id": r["id"], "status": r["status"],
                 "error": {"kind": r["error_kind"] or "", "line": r["error_line"], "source": r["error_source"]}},
                first + n) for n, r in enumerate(cols)]


def open_sink(output: Path, sync: str = "line") -> OutputWriter | ParquetSink:
    """The writer for an output path: JSONL lines, or Parquet by suffix / folder (see module doc)."""
    return ParquetSink(output, sync=sync) if is_parquet_output(output) else OutputWriter(output, sync=sync)
