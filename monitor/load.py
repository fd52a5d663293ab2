"""Read a run's records for the monitor: JSONL (``liner tag`` output or a ``liner serve`` log),
a Parquet file, a Parquet dataset folder, or a folder of JSONL logs.

A line that is not an output record is reported (file, line, reason) and left out; the rest is
still compared. A path that does not exist, cannot be read, or holds no record at all raises
``MonitorInputError`` (exit code 2).
"""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
from pydantic import BaseModel, Field, ValidationError

from linernotes.files import require_regular
from linernotes.monitor.columns import COLUMNS
from linernotes.schema import OutputRecord, id_character_reason, record_line_reason
from linernotes.sinks.lines_in import CutShort, numbered_lines
from linernotes.sinks.parquet import unfinished_parquet_hint
from linernotes.sinks.table import SCHEMA, to_table

BATCH = 5_000
# a loaded run's table: the output table's columns that the monitor compares, nothing else
TABLE_SCHEMA = pa.schema([SCHEMA.field(n) for n in COLUMNS], metadata=SCHEMA.metadata)


def _table(records: list[dict]) -> pa.Table:
    return to_table(records).select(COLUMNS)


class MonitorInputError(Exception):
    """An input the monitor cannot compare (exit code 2)."""


class Problem(BaseModel):
    file: str
    line: int
    reason: str


class Loaded(BaseModel):
    model_config = {"arbitrary_types_allowed": True}

    source: str
    files: list[str] = Field(default_factory=list)
    table: pa.Table
    problems: list[Problem] = Field(default_factory=list)


def _jsonl(path: Path, problems: list[Problem]) -> list[pa.Table]:
    tables, buf = [], []
    try:
        for n, raw in numbered_lines(path, MonitorInputError):
            if not raw.strip():
                continue
            try:
                rec = OutputRecord.model_validate_json(raw)
            except ValidationError as e:
                problems.append(Problem(file=str(path), line=n, reason=record_line_reason(e)))
                continue
            buf.append(rec.model_dump(mode="json"))
            if len(buf) >= BATCH:
                tables.append(_table(buf))
                buf = []
    except CutShort as e:  # the records before the break are compared; the break is named
        problems.append(Problem(file=str(path), line=e.after_line + 1, reason=e.reason))
    except OSError as e:
        raise MonitorInputError(f"{path}: cannot read ({e.strerror or e})") from None
    tables.append(_table(buf))
    return tables


def _parquet(path: Path, problems: list[Problem]) -> pa.Table:
    try:
        names = pq.read_schema(path).names
        missing = [n for n in ("id", "status") if n not in names]
        if missing:
            raise MonitorInputError(f"{path}: not a linernotes output table (no column {missing[0]!r})")
        table = pq.read_table(path, columns=[n for n in COLUMNS if n in names])  # the compared columns only
    except (OSError, pa.ArrowException) as e:
        raise MonitorInputError(f"{path}: not a readable Parquet output ({str(e).splitlines()[0]})") from None
    for f in TABLE_SCHEMA:  # an older table may lack newer columns: they read as nulls
        if f.name not in table.column_names:
            table = table.append_column(f.name, pa.nulls(table.num_rows, f.type))
    try:
        table = table.select(TABLE_SCHEMA.names).cast(TABLE_SCHEMA)
    except (pa.ArrowException, ValueError) as e:
        raise MonitorInputError(f"{path}: a column has an unexpected type ({str(e).splitlines()[0]})") from None
    return _without_bad_ids(table, path, problems)


def _without_bad_ids(table: pa.Table, path: Path, problems: list[Problem]) -> pa.Table:
    """``table`` without the rows whose id breaks the id rule (``schema.id_character_reason``, as
    ``OutputRecord`` applies to a JSONL line), each named in ``problems`` by its 1-based row as
    ``line``: a Parquet output written by another program, or edited, is read as a log is."""
    keep = []
    for n, rid in enumerate(table.column("id").to_pylist()):
        why = id_character_reason(rid) if isinstance(rid, str) else None
        if why is None:
            keep.append(n)
        else:
            problems.append(Problem(file=str(path), line=n + 1, reason=f"not an output record: id: {why}"))
    return table if len(keep) == table.num_rows else table.take(keep)


def load_output(path: str | Path) -> Loaded:
    """The records of one run as a table of ``TABLE_SCHEMA``: the columns of
    ``linernotes.sinks.table.SCHEMA`` that ``monitor.compare`` reads (``compare.COLUMNS``)."""
    p = Path(path)
    problems: list[Problem] = []
    if not p.exists():
        raise MonitorInputError(f"{p}: no such file or folder{unfinished_parquet_hint(p)}")
    require_regular(p, MonitorInputError, ": give a run's output file or folder")
    if p.is_dir():
        parquet = sorted(p.glob("*.parquet"))
        # a dataset's _journal is not a log, nor is a Beam run's OUT.dead-letter.jsonl (its error records
        # again: a folder holding a Beam run counted each error twice); older logs may be gzipped
        logs = sorted(x for pattern in ("*.jsonl", "*.jsonl.gz") for x in p.glob(pattern)
                      if not x.name.startswith("_") and ".dead-letter.jsonl" not in x.name)
        if parquet and logs:  # read as Parquet, the logs were left out unsaid (QA: 3 records of 83)
            raise MonitorInputError(f"{p}: holds both Parquet files ({len(parquet)}: {parquet[0].name}, ...) and "
                                    f"JSONL logs ({len(logs)}: {logs[0].name}, ...); a run is one or the other: "
                                    "move one kind to another folder")
        files = parquet or logs
        if not files:
            raise MonitorInputError(f"{p}: a folder without .parquet parts or .jsonl logs")
        tables = [_parquet(f, problems) for f in parquet] if parquet else [t for f in files for t in _jsonl(f, problems)]
    else:
        files = [p]
        tables = [_parquet(p, problems)] if p.suffix.lower() == ".parquet" else _jsonl(p, problems)
    table = pa.concat_tables(tables) if tables else _table([])
    if table.num_rows == 0:
        detail = f"; {len(problems)} lines were not records (first: line {problems[0].line}: {problems[0].reason})" \
            if problems else ""
        raise MonitorInputError(f"{p}: no output records{detail}")
    return Loaded(source=str(p), files=[str(f) for f in files], table=table, problems=problems)
