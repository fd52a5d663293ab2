"""What kind of file a path names, for the readers and writers that need a regular file.

A FIFO blocks ``open()`` until a writer appears (SIGTERM cannot end that wait: Python retries the
interrupted call), and a device such as ``/dev/zero`` or ``/dev/full`` reads as one endless line:
``liner tag -o /dev/full`` grew to 10 GB of memory reading it back for resume, ``-o a-fifo`` hung
for good, and ``liner monitor RUN /dev/zero`` died of MemoryError. Checked before any open.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

_KINDS = ((stat.S_ISFIFO, "a FIFO (named pipe)"), (stat.S_ISCHR, "a character device"),
          (stat.S_ISBLK, "a block device"), (stat.S_ISSOCK, "a socket"))


def special_kind(path: str | os.PathLike[str]) -> str | None:
    """``'a FIFO (named pipe)'``, ``'a character device'``, ``'a block device'`` or ``'a socket'``
    when ``path`` (symlinks followed) is one, else None: a regular file, a folder, or nothing there
    (or a path that cannot be looked at: its own reader names that)."""
    try:
        mode = os.stat(Path(path)).st_mode
    except (OSError, ValueError):  # missing, no permission, a NUL in the name
        return None
    return next((name for test, name in _KINDS if test(mode)), None)


def require_regular(path: str | os.PathLike[str], error: type[Exception], why: str = "") -> None:
    """Raise ``error("PATH: is <kind>, not a regular file<why>")`` for a FIFO, device or socket."""
    kind = special_kind(path)
    if kind is not None:
        raise error(f"{path}: is {kind}, not a regular file{why}")
