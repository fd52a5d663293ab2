"""The service's records as rolling JSONL files: ``DIR/records-<UTC date>.<n>.jsonl``, a new file
each UTC day and whenever one reaches ``max_bytes``. Lines are ``OutputRecord``s written by the
run store's ``OutputWriter`` (whole lines, fsynced at least every 0.5 s), so ``liner monitor``
and ``liner export`` read a log file exactly as a ``liner tag`` output.
"""

from __future__ import annotations

import os
import re
from datetime import UTC, datetime
from pathlib import Path

from linernotes.files import refuse_shipped
from linernotes.schema import OutputRecord
from linernotes.store.records import OutputError, OutputWriter

NAME_RE = re.compile(r"^records-(\d{4}-\d{2}-\d{2})\.(\d{4})\.jsonl$")


def prepare_folder(folder: Path, overwrite_shipped: bool = False) -> Path:
    """Make ``folder`` (and its parents) if missing; raise ``OutputError`` naming it when it cannot
    be made or written to (``liner serve`` checks this before it loads anything or binds: it was
    an 'Application startup failed' traceback after the 'liner serve: http://...' line), or when it
    lies inside data the package ships, unless ``overwrite_shipped`` (``files.refuse_shipped``)."""
    folder = Path(folder)
    refuse_shipped(folder, OutputError, "--log-dir", overwrite_shipped)
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise OutputError(f"--log-dir {folder}: cannot create the log folder ({e.strerror or e})") from None
    if not os.access(folder, os.W_OK | os.X_OK):
        raise OutputError(f"--log-dir {folder}: the log folder is not writable")
    return folder


def _cut_short(path: Path) -> bool:
    """Whether ``path`` ends inside a line (the service was killed mid-write). Appending to it
    glued the next record onto that partial line: both were one 'not JSON' line to the monitor
    and to export, so the new record was lost with the cut one."""
    try:
        with open(path, "rb") as fh:
            fh.seek(-1, os.SEEK_END)
            return fh.read(1) != b"\n"
    except OSError:  # missing or empty
        return False


class RollingLog:
    def __init__(self, folder: Path, max_bytes: int = 64 * 1024 * 1024):
        self.folder = prepare_folder(folder)
        self.max_bytes = max_bytes
        self._writer: OutputWriter | None = None
        self._day = ""
        self._seq = 0

    def _latest(self, day: str) -> int:
        seqs = [int(m.group(2)) for p in self.folder.iterdir() if (m := NAME_RE.match(p.name)) and m.group(1) == day]
        return max(seqs, default=0)

    def _open(self, day: str, seq: int) -> None:
        if self._writer is not None:
            self._writer.close()
        self._day, self._seq = day, seq
        self._writer = OutputWriter(self.folder / f"records-{day}.{seq:04d}.jsonl", sync="batch")

    @property
    def path(self) -> Path | None:
        return self._writer.path if self._writer else None

    def write(self, rec: OutputRecord) -> None:
        """Append one record; raises ``OutputError`` when the disk refuses it."""
        day = datetime.now(UTC).strftime("%Y-%m-%d")
        if self._writer is None or day != self._day:
            latest = max(1, self._latest(day))
            self._open(day, latest + 1 if _cut_short(self.folder / f"records-{day}.{latest:04d}.jsonl") else latest)
        elif not self._at_its_path():
            self._open(day, self._seq)  # a new file under the name: the folder is where the records are read
        if os.fstat(self._writer.fd).st_size >= self.max_bytes:
            self._open(day, self._seq + 1)
        self._writer.write(rec)

    def _at_its_path(self) -> bool:
        """Whether the open file is still the one at its name in the folder. One deleted (by hand,
        a cleanup job) took every later record with it, lost until the next UTC day, with no write
        failing; one moved away (logrotate, an archive) kept receiving them outside the folder."""
        try:
            st = os.stat(self._writer.path)
        except OSError:
            return False
        own = os.fstat(self._writer.fd)
        return (st.st_dev, st.st_ino) == (own.st_dev, own.st_ino)

    def close(self) -> None:
        if self._writer is not None:
            self._writer.close()
            self._writer = None
