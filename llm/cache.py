"""Content-addressed response cache on disk (SQLite, WAL): key = hash(model identity, messages,
schema, params).

A hit returns the validated JSON the model produced before plus its recorded usage, so a rerun of
the same batch makes zero LLM calls and reports the same tokens as the original run did.

The model identity is everything that decides the answer besides the request: for a provider
model its name AND the endpoint it is served from (two ``--api-base`` values are two models); for
a local GGUF the file's content (sha256), not its name — a re-quantised or swapped file with the
same name must never be served the old file's answers.
"""

from __future__ import annotations

import functools
import hashlib
import json
import os
import sqlite3
import threading
from pathlib import Path
from typing import Any


def file_digest(path: str | Path, chunk: int = 1 << 20) -> str:
    """sha256 (hex) of a file's bytes, memoised per (path, inode, size, mtime_ns) for the process.

    Cost: one sequential read, ~0.25 s for the bundled 98 MB SmolLM2 GGUF on this machine; a
    rewritten file (new mtime or size) is hashed again. Raises OSError when unreadable."""
    st = os.stat(path)
    return _digest(str(Path(path).resolve()), st.st_ino, st.st_size, st.st_mtime_ns, chunk)


@functools.lru_cache(maxsize=64)
def _digest(path: str, ino: int, size: int, mtime_ns: int, chunk: int) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        while block := fh.read(chunk):
            h.update(block)
    return h.hexdigest()


def cache_key(model: str, messages: list[dict[str, Any]], schema: dict[str, Any], params: dict[str, Any]) -> str:
    blob = json.dumps({"model": model, "messages": messages, "schema": schema, "params": params},
                      sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(blob.encode("utf-8")).hexdigest()


def cache_root() -> Path:
    """The user's linernotes cache folder: $LINER_CACHE_DIR, else $XDG_CACHE_HOME/linernotes, else
    ~/.cache/linernotes (read at each call, so a test or a run can point it elsewhere)."""
    return Path(os.environ.get("LINER_CACHE_DIR") or os.path.join(
        os.environ.get("XDG_CACHE_HOME") or os.path.expanduser("~/.cache"), "linernotes"))


def default_cache_path() -> Path:
    return cache_root() / "llm-cache.sqlite"


class ResponseCache:
    """Thread-safe; one connection per thread; safe to share between processes (SQLite locking)."""

    def __init__(self, path: str | Path):
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._local = threading.local()
        with self._conn() as c:
            c.execute("PRAGMA journal_mode=WAL")
            c.execute("CREATE TABLE IF NOT EXISTS responses (key TEXT PRIMARY KEY, value TEXT NOT NULL, "
                      "created REAL DEFAULT (unixepoch('subsec')))")

    def _conn(self) -> sqlite3.Connection:
        conn = getattr(self._local, "conn", None)
        if conn is None:
            conn = sqlite3.connect(self.path, timeout=30, isolation_level=None)
            conn.execute("PRAGMA synchronous=NORMAL")
            self._local.conn = conn
        return conn

    def get(self, key: str) -> dict[str, Any] | None:
        row = self._conn().execute("SELECT value FROM responses WHERE key=?", (key,)).fetchone()
        return json.loads(row[0]) if row else None

    def put(self, key: str, value: dict[str, Any]) -> None:
        self._conn().execute("INSERT OR REPLACE INTO responses(key, value) VALUES (?, ?)",
                             (key, json.dumps(value, ensure_ascii=False)))

    def __len__(self) -> int:
        return self._conn().execute("SELECT COUNT(*) FROM responses").fetchone()[0]

    def close(self) -> None:
        """Close this thread's connection (another thread's stays open until that thread ends)."""
        conn = getattr(self._local, "conn", None)
        if conn is not None:
            conn.close()
            self._local.conn = None


def cache_problem(path: str | Path) -> str | None:
    """Why a run cannot use the response cache at ``path`` ("PATH: reason"), None when it can.

    Opens (and creates, as a run does) the cache once. A client that cannot open its cache runs
    without one and loses nothing (``LLMClient``), but silently: a run told ``--cache-path
    garbage.bin`` reported "served from cache 0" with no word why, and its rerun paid again."""
    try:
        cache = ResponseCache(path)
        try:
            len(cache)  # a file that opens but is not a cache fails here ('file is not a database')
        finally:
            cache.close()
    except (sqlite3.Error, OSError) as e:
        return f"{path}: {e}"
    return None
