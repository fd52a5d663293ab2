"""Reading a liner output's JSON lines back (``liner export``, ``liner monitor``): plain, or
gzip-compressed (``liner tag --runner beam -o out.jsonl.gz`` writes one, Beam's text sink
compressing by suffix; a service's older log files are often gzipped in place). Both commands read
such a file as bytes and called every line 'not JSON'. Lines come from the one reader,
``json_lines.file_lines``, which tells gzip by its magic bytes (this module told it by the name: a
gzipped run named .jsonl was read as garbage, a plain file named .gz was 'unreadable after line 0')
and refuses a FIFO or device before reading (a FIFO blocked for good)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from linernotes.json_lines import file_lines


class CutShort(Exception):
    """A compressed file that breaks off after ``after_line`` whole lines (cut short, corrupt, or
    not gzip at all); the lines before it were yielded."""

    def __init__(self, after_line: int, reason: str):
        super().__init__(reason)
        self.after_line = after_line
        self.reason = (f"unreadable after line {after_line} ({reason}): a compressed file cut short or corrupt? "
                       "(the lines before it were read)")


def numbered_lines(path: Path, error: type[Exception] = OSError) -> Iterator[tuple[int, bytes]]:
    """``(line number, bytes with the line break)`` for each line of ``path``, decompressed when it
    is gzip. Raises ``error("PATH: is a FIFO (named pipe), not a regular file")`` for a FIFO,
    device or folder, ``OSError`` when the file cannot be opened or read, ``CutShort`` when a
    compressed stream breaks."""
    yield from file_lines(path, error, ": give a liner output file", broken=CutShort)
