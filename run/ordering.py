"""``liner tag --sorted``: when a run completes, its JSONL output is rewritten in input order.

Why not write in input order as records are done: a record can only be written once every row
before it is, so a reorder buffer would hold the records done behind the oldest unfinished item.
Bounded memory then means admitting no new item while that one waits (an LLM call that times
out and is retried waits minutes: the whole run with it), and a kill loses every held record's
work (re-billed with ``--no-cache``). Nor would it give a stable file: a retried row's new record
replaces its old line at the end (``store.records.compact``). So records stream out as they are
done (one line per key, resumable), and the order is made once, at the end, when asked.

How: one pass over the output collects each line's key, byte offset and length (three integers a
line, numpy), the input position of its key comes from ``order`` (what the run read: a dict of
the catalog's keys, the same size as ``compact``'s); the lines are then copied by offset into
``<path>.sorted.tmp`` (fsynced), which replaces the output atomically. A kill at any point leaves
the old file or the new one, each with the same records, so resume is unaffected. Lines whose key
the run did not read (a row beyond ``--limit``, an ok record of a row since removed) follow, in
their file order.
"""

from __future__ import annotations

import contextlib
import json
import os
from pathlib import Path

import numpy as np

from linernotes.store.records import OutputError, record_key


def line_positions(path: Path, order: dict[str, int]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(input position, byte offset, byte length) per non-blank line of ``path``; a key missing
    from ``order`` is placed after every key in it, in file order."""
    pos: list[int] = []
    off: list[int] = []
    size: list[int] = []
    unknown = len(order)
    at = 0
    with open(path, "rb") as fh:
        for raw in fh:
            if raw.strip():
                key = record_key(json.loads(raw))
                if key in order:
                    pos.append(order[key])
                else:
                    pos.append(unknown)
                    unknown += 1
                off.append(at)
                size.append(len(raw))
            at += len(raw)
    return np.asarray(pos, dtype=np.int64), np.asarray(off, dtype=np.int64), np.asarray(size, dtype=np.int64)


def sort_output(path: Path, order: dict[str, int]) -> int:
    """Rewrite the JSONL output ``path`` with its lines in the order of their keys' positions in
    ``order`` (key -> input position); returns how many lines were out of order (after a line of
    a later row; 0: already in order, nothing rewritten). A line without a trailing newline gets one. Raises OutputError
    when the file cannot be read or written."""
    try:
        pos, off, size = line_positions(path, order)
    except (OSError, ValueError) as e:
        raise OutputError(f"{path}: cannot sort it in input order ({e}); the records are as written") from None
    # a line is out of order when a line before it belongs to a later row: the count reads as "how
    # many records were out of place" (one late line shifts every line after it, a count of changed
    # positions would call them all moved)
    moved = int(np.count_nonzero(pos[1:] < np.maximum.accumulate(pos)[:-1])) if len(pos) > 1 else 0
    if not moved:
        return 0
    perm = np.argsort(pos, kind="stable")
    tmp = path.with_name(path.name + ".sorted.tmp")
    try:
        with open(path, "rb") as src, open(tmp, "wb") as dst:
            for i in perm:
                src.seek(int(off[i]))
                raw = src.read(int(size[i]))
                dst.write(raw if raw.endswith(b"\n") else raw + b"\n")
            dst.flush()
            os.fsync(dst.fileno())
        os.replace(tmp, path)
        with contextlib.suppress(OSError):  # the rename is durable once the folder is (not every fs allows it)
            fd = os.open(path.parent, os.O_RDONLY)
            try:
                os.fsync(fd)
            finally:
                os.close(fd)
    except OSError as e:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise OutputError(f"{path}: sorting in input order failed ({e.strerror or e}); the records are as "
                          "written, rerun the same command to sort them") from None
    return moved
