"""The on-disk run: an append-only JSONL output, a manifest, a single-writer lock, and what
resume needs to know.

Every record is one whole line written with a single ``write`` on an O_APPEND descriptor and
fsynced; a line cut short by a kill is truncated away on resume, so the file always parses.

Resume retries error records: the retry's line is appended, and the LAST line for a key is the
record for it. When a run ends (or fails) the file is compacted — rewritten to a temporary file
and renamed over the output — so a finished output holds exactly one line per input row. A
SIGKILL before that leaves an older line that the next run's compaction removes; at no point is
a record lost (the old line stays until its replacement is on disk).
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import json
import os
import socket
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from linernotes.files import require_regular
from linernotes.schema import ErrorInfo, OutputRecord


class OutputError(Exception):
    """The output cannot be written (exit code 2); nothing partial is left behind."""


def record_key(rec: dict[str, Any]) -> str:
    """The input-row key an output line answers (see ``catalog.Row.key``)."""
    err = rec.get("error") or {}
    if rec.get("status") == "error" and str(err.get("kind", "")).startswith("input.") and err.get("line"):
        return f"line:{err['line']}"
    return str(rec.get("id"))


def is_record(value: Any) -> bool:
    """Whether a parsed line has an output record's shape (``id`` and an ok/error ``status``)."""
    return isinstance(value, dict) and "id" in value and value.get("status") in ("ok", "error")


def scan_output(path: Path) -> set[str]:
    """Keys already answered in an existing output. A trailing line cut short by a kill (no
    newline, or not JSON) is truncated away first, so the file parses line by line again.

    Raises OutputError, changing nothing, for a file that is not an output: a whole line that is
    not an output record (``-o`` naming the catalog or another JSONL file, whose rows a resume
    would have replaced with records), or a line that is not JSON with lines after it (a kill
    cuts only the last line; truncating there would drop every record after it)."""
    keys: set[str] = set()
    if not path.exists():
        return keys
    good_end = 0
    with open(path, "rb") as fh:
        for n, raw in enumerate(fh, start=1):
            if not raw.endswith(b"\n"):
                _check_cut_line(path, n, raw, keys)
                break
            if raw.strip():
                try:
                    rec = json.loads(raw)
                except ValueError:
                    if not keys:  # no record before it: a SQLite store, a YAML spec, notes (not an edit to fix)
                        raise OutputError(f"{path}: not a liner output (line {n} is not JSON): the file is not "
                                          "an output of liner tag; write to another -o") from None
                    if fh.read(1 << 16).strip():
                        raise OutputError(f"{path}:{n}: not JSON, and lines follow it (a kill cuts only the last "
                                          "line): fix or remove that line, or write to another -o") from None
                    break
                if not is_record(rec):
                    raise OutputError(f"{path}:{n}: not a liner output record (no \"id\" and \"status\": "
                                      "\"ok\"|\"error\"): the file is not an output of liner tag (is -o the "
                                      "catalog?); write to another -o")
                keys.add(record_key(rec))
            good_end += len(raw)
    if good_end < path.stat().st_size:
        with open(path, "rb+") as fh:
            fh.truncate(good_end)
            os.fsync(fh.fileno())
    return keys


# How every record line starts (``OutputRecord.model_dump_json``: ``id`` is its first field, no spaces)
RECORD_START = b'{"id":"'


def _check_cut_line(path: Path, n: int, raw: bytes, keys: set[str]) -> None:
    """Raise OutputError when the last, newline-less line ``raw`` (line ``n``) of ``path`` is not
    what a kill leaves: the start of a record after records, or of the first one. A file of one
    line without a newline (notes, a one-line JSON config) was taken for a cut record and
    truncated to nothing, then overwritten with the run's records."""
    if keys or RECORD_START.startswith(raw[:len(RECORD_START)]):
        return
    raise OutputError(f"{path}: not a liner output (line {n} is neither an output record nor the start of one "
                      "a kill cut short): the file is not an output of liner tag; write to another -o")


@dataclass
class OutputState:
    """What an existing output holds, by row key (see ``record_key``).

    ``last_status``: the status of the last line per key (the one that counts); ``lines``:
    whole lines; ``superseded``: lines that a later line for the same key replaces (left by a
    run killed before compaction)."""

    last_status: dict[str, str] = field(default_factory=dict)
    lines: int = 0
    superseded: int = 0

    @property
    def done(self) -> set[str]:
        """Keys resume skips: those whose record is ok (error records are retried)."""
        return {k for k, st in self.last_status.items() if st == "ok"}


def scan_state(path: Path) -> OutputState:
    """Read an output for resume (repairing a cut last line first, as ``scan_output``)."""
    scan_output(path)
    state = OutputState()
    if not path.exists():
        return state
    for rec in iter_records(path):
        key = record_key(rec)
        state.lines += 1
        if key in state.last_status:
            state.superseded += 1
        state.last_status[key] = str(rec.get("status"))
    return state


def compact(path: Path, drop_keys: set[str] | frozenset[str] = frozenset()) -> int:
    """Rewrite ``path`` with only the last line per key, minus keys in ``drop_keys`` (input-error
    records of rows that now read cleanly under their id); returns the lines removed.

    Atomic: the kept lines go to ``<path>.compact.tmp`` (fsynced), which is renamed over the
    output and the folder fsynced, so a kill at any point leaves either the old file or the new
    one. Nothing is rewritten when no line would go. Raises OutputError when it cannot write."""
    if not path.exists():
        return 0
    last: dict[str, int] = {}
    n = 0
    for n, rec in enumerate(iter_records(path), start=1):  # noqa: B007 (n is the line count)
        last[record_key(rec)] = n
    keep = {i for k, i in last.items() if k not in drop_keys}
    if len(keep) == n:
        return 0
    tmp = path.with_name(path.name + ".compact.tmp")
    try:
        with open(path, "rb") as src, open(tmp, "wb") as dst:
            i = 0
            for raw in src:
                if raw.strip():
                    i += 1
                    if i in keep:
                        dst.write(raw)
            dst.flush()
            os.fsync(dst.fileno())
        os.replace(tmp, path)
        _fsync_dir(path.parent)
    except OSError as e:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise OutputError(f"{path}: compaction failed ({e.strerror or e}); rerun the same command to finish it") from None
    return n - len(keep)


def _fsync_dir(folder: Path) -> None:
    with contextlib.suppress(OSError):  # not every filesystem lets a directory be fsynced
        fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def lock_path(output: Path) -> Path:
    return output.with_name(output.name + ".lock")


class OutputLocked(OutputError):
    """Another live process holds the output's single-writer lock (exit code 2)."""


class OutputLock:
    """Single writer per output: an exclusive ``flock`` on ``<output>.lock`` holding the owner's
    pid, host and start time. The kernel drops a flock when its process dies (SIGKILL
    included), so a stale lock file never blocks a later run; a clean release unlinks it.

    Use as ``with OutputLock(out): ...``; raises OutputLocked naming the holder. (flock is not
    reliable on every network filesystem; on a local disk it is.)"""

    def __init__(self, output: Path):
        self.output = Path(output)
        if not self.output.name.strip():  # '', '.', './', '/', ' ': with_name raised "PosixPath('.') has an empty name"
            raise OutputError(f"-o {str(output)!r}: names no file (an empty or blank name, '.' or '/'): give a file "
                              "such as out.jsonl or out.parquet, or a folder by its name (parts/) for Parquet part files")
        self.path = lock_path(self.output)
        self.fd: int | None = None

    def acquire(self) -> OutputLock:
        # before the lock file is made beside it (/dev/full.lock) and the output read back for resume
        require_regular(self.output, OutputError, ": a run appends its records to -o and reads them back to resume; "
                        "write to a file")
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as e:
            raise OutputError(f"{self.output}: cannot create its folder {self.path.parent} ({e.strerror})") from None
        for _ in range(100):
            try:
                fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
            except OSError as e:
                raise OutputError(f"{self.path}: cannot open the lock file ({e.strerror})") from None
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                holder = _read_holder(fd)
                os.close(fd)
                raise OutputLocked(f"{self.output} is being written by another liner run "
                                   f"({holder}); wait for it to finish or use another -o") from None
            # a holder releasing at this moment unlinks the file we opened: lock the new one instead
            try:
                same = os.stat(self.path).st_ino == os.fstat(fd).st_ino
            except FileNotFoundError:
                same = False
            if same:
                self.fd = fd
                info = {"pid": os.getpid(), "host": socket.gethostname(),
                        "started": datetime.now(UTC).isoformat(timespec="seconds")}
                os.ftruncate(fd, 0)
                os.pwrite(fd, (json.dumps(info) + "\n").encode(), 0)
                return self
            os.close(fd)
        raise OutputError(f"{self.path}: could not take the lock (it kept being replaced)")

    def release(self) -> None:
        if self.fd is None:
            return
        with contextlib.suppress(OSError):
            self.path.unlink()  # while still holding it: a waiter re-checks the inode
        os.close(self.fd)
        self.fd = None

    def __enter__(self) -> OutputLock:
        return self.acquire()

    def __exit__(self, *exc: object) -> None:
        self.release()


def _read_holder(fd: int) -> str:
    try:
        info = json.loads(os.pread(fd, 4096, 0) or b"{}")
        return f"pid {info['pid']} on {info['host']}, started {info['started']}"
    except (OSError, ValueError, KeyError, TypeError):
        return "a process that has not yet written its details"


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
