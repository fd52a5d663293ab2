"""Reading a JSON Lines file whose every line must be a JSON object (gold files, exemplar sources,
review inputs), with errors that name the file and line a person would open.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path


def json_objects(path: str | Path, error: type[Exception] = ValueError) -> Iterator[tuple[int, dict]]:
    """``(line number, object)`` for each non-blank line of ``path``, 1-based, streamed.

    Raises ``error`` (default ``ValueError``) at the first line that cannot be one, as
    ``PATH:LINE: reason``: ``not UTF-8 text (byte N: ...)``, ``not JSON (<json's message> at
    column N)`` (``json`` numbers lines within the one line it is given, so only its column is
    kept), ``not a JSON object (a list)``. ``FileNotFoundError`` / ``IsADirectoryError`` pass
    through unchanged."""
    with open(path, "rb") as f:
        for n, raw in enumerate(f, start=1):
            try:
                line = raw.decode("utf-8")
            except UnicodeDecodeError as e:  # e.g. a binary or Latin-1 file given as JSONL
                raise error(f"{path}:{n}: not UTF-8 text (byte {e.start}: {e.reason}); expected JSON lines") from None
            if not line.strip():
                continue
            try:
                row = json.loads(line)
            except json.JSONDecodeError as e:
                raise error(f"{path}:{n}: not JSON ({e.msg} at column {e.colno})") from None
            if not isinstance(row, dict):
                raise error(f"{path}:{n}: not a JSON object (a {type(row).__name__})")
            yield n, row
