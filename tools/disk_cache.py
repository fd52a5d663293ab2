"""Files a process builds once and later processes read back instead of building again (a
compiled regex's code, a decompressed model): where they live and how they are written.

Folder: ``build_cache_root()/<kind>/``: $LINER_BUILD_CACHE_DIR, else the user's cache folder
($LINER_CACHE_DIR, else $XDG_CACHE_HOME/linernotes, else ~/.cache/linernotes). The tests point
$LINER_BUILD_CACHE_DIR at one folder per session, as these files (unlike LLM answers) are safe to
share between tests and the langid copy is 68 MB. A file is named by the sha256 of everything its content depends on, so a
stale file is never read (only left behind), and a changed input simply misses. Writes are atomic
(temp file in the same folder, then rename), so concurrent writers (pool workers) each leave a
whole file and a reader never sees half of one. Nothing here is pickled.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import IO, Any

from linernotes.llm.cache import cache_root


def file_stamp(path: str | Path) -> tuple[int, int, int]:
    """(inode, size, mtime in ns) of a file: a per-process cache key for what is parsed from it,
    which changes when the file is replaced or edited in place (``OSError`` when it is missing).
    ``llm.cache.file_digest`` keys the same way below this layer."""
    st = Path(path).stat()
    return st.st_ino, st.st_size, st.st_mtime_ns


def build_cache_root() -> Path:
    """$LINER_BUILD_CACHE_DIR, else ``cache_root()`` (read at each call)."""
    return Path(os.environ.get("LINER_BUILD_CACHE_DIR") or cache_root())


def cache_file(kind: str, key: list[Any], suffix: str) -> Path:
    """``build_cache_root()/kind/<sha256 of the JSON of key><suffix>``; ``key`` must be JSON-able."""
    digest = hashlib.sha256(json.dumps(key, ensure_ascii=False).encode("utf-8")).hexdigest()
    return build_cache_root() / kind / f"{digest}{suffix}"


def write_atomic(path: Path, write: Callable[[IO[bytes]], None]) -> None:
    """Create ``path`` with what ``write`` puts in the open binary file. Raises OSError (an
    unwritable folder, a full disk): callers that only cache swallow it."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=path.name, suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as fh:
            write(fh)
        os.replace(tmp, path)
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)


def read_json(path: Path) -> Any:
    """A file ``write_json`` wrote. Raises (OSError, ValueError) when missing, damaged or not one."""
    digest, _, body = path.read_bytes().partition(b"\n")
    if hashlib.sha256(body).hexdigest().encode("ascii") != digest:
        raise ValueError(f"{path}: damaged")
    return json.loads(body)


def write_json(path: Path, data: Any) -> None:
    """``data`` as JSON after a line with the sha256 of that JSON (so a damaged file is told from
    a good one). Raises ValueError when JSON would not give ``data`` back exactly (dates, int
    keys, NaN, tuples), OSError when the file cannot be written."""
    body = json.dumps(data, ensure_ascii=False, allow_nan=False).encode("utf-8")
    if json.loads(body) != data:
        raise ValueError("not JSON-able as it is")
    write_atomic(path, lambda fh: fh.write(hashlib.sha256(body).hexdigest().encode("ascii") + b"\n" + body))


def cached_json(kind: str, key: list[Any], build: Callable[[], Any],
                valid: Callable[[Any], bool] = lambda data: True) -> Any:
    """What ``build()`` returns, read back from ``cache_file(kind, key, ".json")`` when a good
    file (``read_json``, and ``valid`` of its data) is there, else built and written. ``build``'s
    own exceptions pass through (a pack's YAML typo); a damaged file is rebuilt, and data JSON
    would not give back exactly, or a folder that cannot be written, is simply not cached."""
    path = cache_file(kind, key, ".json")
    with contextlib.suppress(Exception):  # a miss or a damaged file: build below
        data = read_json(path)
        if valid(data):
            return data
    data = build()
    with contextlib.suppress(OSError, TypeError, ValueError):
        write_json(path, data)
    return data
