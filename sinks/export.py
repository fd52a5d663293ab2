"""``liner export RUN.jsonl -o out.parquet``: an existing JSONL output as Parquet.

Every line is validated as an ``OutputRecord``; a line that is not one is reported with its file,
line number and reason and left out, and the rest is still converted (one bad line never loses
the others). Duplicate keys keep their last record, as resume does.
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

from pydantic import BaseModel, Field, ValidationError

from linernotes.files import require_regular
from linernotes.schema import OutputRecord, record_line_reason
from linernotes.sinks.lines_in import CutShort, numbered_lines
from linernotes.sinks.parquet import (
    ParquetSink,
    input_row_key,
    is_dataset,
    is_parquet_output,
    journal_path,
    refuse_foreign,
    unfinished_parquet_hint,
)
from linernotes.store.records import OutputError

# problems printed one per line before the rest are counted
SHOWN_PROBLEMS = 20


class ExportProblem(BaseModel):
    line: int
    reason: str


class ExportResult(BaseModel):
    source: Path
    output: Path
    lines: int = 0
    rows: int = 0
    problems: list[ExportProblem] = Field(default_factory=list)

    @property
    def exit_code(self) -> int:
        """0 all lines converted, 1 some lines were not output records."""
        return 1 if self.problems else 0

    def problem_lines(self, limit: int = SHOWN_PROBLEMS) -> list[str]:
        """``SOURCE:LINE: skipped: REASON`` for the first ``limit`` problems, then one line
        counting the rest (``skipped_lines``)."""
        return skipped_lines([(str(self.source), p.line, p.reason) for p in self.problems], limit)


def skipped_lines(problems: list[tuple[str, int, str]], limit: int = SHOWN_PROBLEMS) -> list[str]:
    """``FILE:LINE: skipped: REASON`` for the first ``limit`` of ``problems`` (file, line, reason),
    then one line per file counting the rest: a file with thousands of bad lines is named, not
    printed whole (liner export and liner monitor)."""
    shown = [f"{f}:{line}: skipped: {reason}" for f, line, reason in problems[:limit]]
    rest: dict[str, int] = {}
    for f, _, _ in problems[limit:]:
        rest[f] = rest.get(f, 0) + 1
    shown += [f"{f}: {n:,} more lines skipped (the first {limit} are above)" for f, n in rest.items()]
    return shown


def _reason(e: Exception) -> str:
    if isinstance(e, ValidationError):
        return record_line_reason(e)
    return f"not JSON: {e}"


def export_parquet(source: Path, output: Path, part_rows: int = 100_000) -> ExportResult:
    """Convert ``source`` (a ``liner tag`` / service JSONL output) to a Parquet file or, when
    ``output`` is an existing folder, a dataset of part files. Raises ``OutputError`` when the
    source cannot be read or the output cannot be written, and when no line of a non-empty source
    is an output record (a catalog, a Parquet file): then ``output`` is left as it was; also,
    before anything is read, for an ``output`` that is not named as Parquet (``.parquet`` or a
    folder) or is an existing file that is not a liner Parquet output."""
    source, output = Path(source), Path(output)
    _check_source(source)
    if output.resolve() == source.resolve():
        raise OutputError(f"{output}: the output would overwrite the source")
    if not is_parquet_output(output):  # 'x.jsonl' replaced a catalog with Parquet bytes, exit 0 (QA)
        raise OutputError(f"{output}: liner export writes Parquet: name the output .parquet, or DIR/ for a "
                          "folder of part files")
    refuse_foreign(output, is_dataset(output))  # an existing file or folder holding another program's data
    if journal_path(output).exists():  # QA: a tag run's 63-row dataset replaced by 3 exported rows, exit 0
        raise OutputError(f"{output}: is the Parquet output of a liner tag run (its records are in "
                          f"{journal_path(output)}); export to another -o")
    result = ExportResult(source=source, output=output)
    home = output if is_dataset(output) else output.parent
    if home.exists() and not home.is_dir():
        raise OutputError(f"{output}: {home} is a file, not a folder")
    try:
        home.mkdir(parents=True, exist_ok=True)  # a missing folder is made, as liner tag makes its -o's
        staging_dir = tempfile.TemporaryDirectory(prefix="_liner-export-", dir=home)
    except OSError as e:
        raise OutputError(f"{output}: cannot write there ({e.strerror or e})") from None
    # A private journal: the sink's own materialisation does the dedupe and the atomic writes.
    with staging_dir as tmp:
        staging = Path(tmp) / (output.name if not is_dataset(output) else "dataset")
        if is_dataset(output):
            staging.mkdir()
        sink = ParquetSink(staging, sync="batch", part_rows=part_rows, key=_row_key)
        written = 0
        try:
            for n, raw in numbered_lines(source, OutputError):
                if not raw.strip():
                    continue
                result.lines += 1
                try:
                    # without its line break: a line cut short would be reported at "line 2
                    # column 0", the parser's position past the newline
                    rec = OutputRecord.model_validate_json(raw.rstrip(b"\r\n"))
                except (ValidationError, ValueError) as e:
                    if not raw.endswith(b"\n"):
                        json_err = "the last line is cut short (a killed run?)"
                        result.problems.append(ExportProblem(line=n, reason=json_err))
                    else:
                        result.problems.append(ExportProblem(line=n, reason=_reason(e)))
                    continue
                sink.write(rec)
                written += 1
        except CutShort as e:  # the records before the break are converted; the break is named
            result.problems.append(ExportProblem(line=e.after_line + 1, reason=e.reason))
        except OSError as e:
            raise OutputError(f"{source}: cannot read ({e.strerror or e})") from None
        finally:
            sink.close()
        if result.problems and not written:
            first = result.problems[0]
            raise OutputError(f"{source}: not a liner output: none of its {result.lines:,} lines is an output "
                              f"record (line {first.line}: {first.reason}); export the -o file of liner tag "
                              f"or a liner serve log ({output} was not written)")
        try:
            result.rows = _place(staging, output)
        except OSError as e:
            raise OutputError(f"{output}: cannot write there ({e.strerror or e})") from None
    return result


def _row_key(rec: dict, index: int) -> str:
    """One row per input row, as a run's output (a retried row's last record wins), except a bad
    item of a ``liner serve`` request: its ``line:N`` is its place in that request, so a log's bad
    first items of different requests all read ``line:1`` (QA: 20 of them exported as one row)."""
    err = rec.get("error") or {}
    if rec.get("status") == "error" and err.get("source") == "request":
        return f"request-record:{index}"
    return input_row_key(rec, index)


def _check_source(source: Path) -> None:
    """Raise OutputError for a source that is not one JSONL file, naming what it is instead."""
    if source.is_dir():
        raise OutputError(f"{source}: a folder; liner export converts one JSONL output: give one of its files "
                          f"(a liner serve log folder: {source}/records-<date>.<n>.jsonl)")
    require_regular(source, OutputError, ": liner export converts one JSONL output file")
    if not source.is_file():
        raise OutputError(f"{source}: no such file{unfinished_parquet_hint(source)}")


def _place(staging: Path, output: Path) -> int:
    import pyarrow.parquet as pq

    if staging.is_dir():
        parts = sorted(staging.glob("part-*.parquet"))
        for old in output.glob("part-*.parquet"):
            old.unlink()
        rows = 0
        for p in parts:
            rows += pq.ParquetFile(p).metadata.num_rows
            shutil.move(str(p), output / p.name)
        return rows
    rows = pq.ParquetFile(staging).metadata.num_rows
    staging.replace(output)
    return rows

