"""Reading a liner output's JSON lines back (``liner export``, ``liner monitor``): plain, or
gzip-compressed when its name ends in ``.gz`` (``liner tag --runner beam -o out.jsonl.gz`` writes
one, Beam's text sink compressing by suffix; a service's older log files are often gzipped in
place). Both commands read such a file as bytes and called every line 'not JSON'."""

from __future__ import annotations

import gzip
import zlib
from collections.abc import Iterator
from pathlib import Path


class CutShort(Exception):
    """A compressed file that breaks off after ``after_line`` whole lines (cut short, corrupt, or
    not gzip at all); the lines before it were yielded."""

    def __init__(self, after_line: int, reason: str):
        super().__init__(reason)
        self.after_line = after_line
        self.reason = (f"unreadable after line {after_line} ({reason}): a compressed file cut short or corrupt? "
                       "(the lines before it were read)")


def is_compressed(path: Path) -> bool:
    return path.name.lower().endswith(".gz")


def numbered_lines(path: Path) -> Iterator[tuple[int, bytes]]:
    """``(line number, bytes with the line break)`` for each line of ``path``, decompressed when
    it is ``.gz``. Raises ``OSError`` when the file cannot be opened or read, ``CutShort`` when a
    compressed stream breaks."""
    with (gzip.open(path, "rb") if is_compressed(path) else open(path, "rb")) as fh:
        n = 0
        while True:
            try:
                raw = fh.readline()
            except (EOFError, zlib.error, gzip.BadGzipFile) as e:
                raise CutShort(n, str(e)) from None
            if not raw:
                return
            n += 1
            yield n, raw
