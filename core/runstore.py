"""The on-disk run: an append-only JSONL output, a manifest, and what resume needs to know.

Every record is one whole line written with a single ``write`` on an O_APPEND descriptor and
fsynced; a line cut short by a kill is truncated away on resume, so the file always parses.
"""

from __future__ import annotations

import contextlib
import errno
import json
import os
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from linernotes.schema import ErrorInfo, OutputRecord


class OutputError(Exception):
    """The output cannot be written (exit code 2); nothing partial is left behind."""


def record_key(rec: dict[str, Any]) -> str:
    """The input-row key an output line answers (see ``catalog.Row.key``)."""
    err = rec.get("error") or {}
    if rec.get("status") == "error" and str(err.get("kind", "")).startswith("input.") and err.get("line"):
        return f"line:{err['line']}"
    return str(rec.get("id"))


def scan_output(path: Path) -> set[str]:
    """Keys already answered in an existing output. A trailing line cut short by a kill (no
    newline, or not JSON) is truncated away first, so the file parses line by line again."""
    keys: set[str] = set()
    if not path.exists():
        return keys
    good_end = 0
    with open(path, "rb") as fh:
        for raw in fh:
            if not raw.endswith(b"\n"):
                break
            if raw.strip():
                try:
                    rec = json.loads(raw)
                except ValueError:
                    break
                keys.add(record_key(rec))
            good_end += len(raw)
    if good_end < path.stat().st_size:
        with open(path, "rb+") as fh:
            fh.truncate(good_end)
            os.fsync(fh.fileno())
    return keys


def iter_records(path: Path) -> Iterator[dict[str, Any]]:
    with open(path, "rb") as fh:
        for raw in fh:
            if raw.strip():
                yield json.loads(raw)


class OutputWriter:
    """Append whole lines; ``sync='line'`` fsyncs every record, ``'batch'`` every 0.5 s and at close."""

    def __init__(self, path: Path, sync: str = "line"):
        self.path = path
        self.sync = sync
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            self.fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
        except OSError as e:
            raise OutputError(f"{path}: cannot open for writing ({e.strerror})") from None
        self._last_sync = time.monotonic()
        self.written = 0

    def write(self, record: OutputRecord) -> None:
        line = (record.model_dump_json(exclude_none=False) + "\n").encode("utf-8")
        before = os.fstat(self.fd).st_size
        try:
            n = os.write(self.fd, line)
            if n != len(line):
                raise OSError(errno.EIO, f"short write ({n} of {len(line)} bytes)")
            if self.sync == "line" or time.monotonic() - self._last_sync > 0.5:
                os.fsync(self.fd)
                self._last_sync = time.monotonic()
        except OSError as e:
            with contextlib.suppress(OSError):  # never leave a partial line behind
                os.ftruncate(self.fd, before)
            raise OutputError(f"{self.path}: write failed ({e.strerror or e}); rerun the same command to resume") from None
        self.written += 1

    def close(self) -> None:
        with contextlib.suppress(OSError):
            os.fsync(self.fd)
        os.close(self.fd)


def error_record(item_id: str | None, info: ErrorInfo) -> OutputRecord:
    return OutputRecord(id=item_id if item_id is not None else f"line:{info.line}", status="error", error=info)


def write_manifest(path: Path, data: dict[str, Any]) -> None:
    tmp = path.with_suffix(path.suffix + ".tmp")
    tmp.write_text(json.dumps(data, indent=2, sort_keys=True, default=str))
    os.replace(tmp, path)
