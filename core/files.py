"""What kind of file a path names, for the readers and writers that need a regular file.

A FIFO blocks ``open()`` until a writer appears (SIGTERM cannot end that wait: Python retries the
interrupted call), and a device such as ``/dev/zero`` or ``/dev/full`` reads as one endless line:
``liner tag -o /dev/full`` grew to 10 GB of memory reading it back for resume, ``-o a-fifo`` hung
for good, and ``liner monitor RUN /dev/zero`` died of MemoryError. Checked before any open.
"""

from __future__ import annotations

import errno
import os
import stat
from pathlib import Path
from typing import BinaryIO

# A UTF-8 byte-order mark. Files joined with ``cat`` (or Excel's "append"), each saved with one,
# carry it at the start of a line in the middle of the file, not only at byte 0.
UTF8_BOM = b"\xef\xbb\xbf"


def without_bom(line: bytes) -> bytes:
    """``line`` (one physical line of a text file, as bytes) without a UTF-8 byte-order mark at its
    start. The mark is an encoding signature, never content: at the start of line 1 it was dropped,
    at the start of a later line (two files each starting with one, joined) it was read as text:
    that JSON line failed ('Unexpected UTF-8 BOM') and that CSV row's first cell began with U+FEFF
    (an id ``'\ufeffb'`` that matches no other file's ``b``)."""
    return line[3:] if line.startswith(UTF8_BOM) else line


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
    return _special(mode)


def _special(mode: int) -> str | None:
    return next((name for test, name in _KINDS if test(mode)), None)


def require_regular(path: str | os.PathLike[str], error: type[Exception], why: str = "",
                    folder_ok: bool = True) -> None:
    """Raise ``error("PATH: is <kind>, not a regular file<why>")`` for a FIFO, device or socket
    (and a folder, unless ``folder_ok``)."""
    kind = special_kind(path) or (None if folder_ok or not Path(path).is_dir() else "a folder")
    if kind is not None:
        raise error(f"{path}: is {kind}, not a regular file{why}")


def _kind_of(mode: int) -> str:
    return "a folder" if stat.S_ISDIR(mode) else _special(mode) or "not a file"


def open_regular(path: str | os.PathLike[str], error: type[Exception], why: str = "") -> BinaryIO:
    """``path`` opened for binary reading when it is a regular file (symlinks followed); else
    ``error("PATH: is <kind>, not a regular file<why>")`` for a FIFO, device, socket or folder.

    Opened with O_NONBLOCK and checked on the open descriptor, so a FIFO is refused without waiting
    for a writer and the file checked is the file read (a check by name, then ``open()``, can be
    raced). ``FileNotFoundError`` / ``PermissionError`` pass through unchanged."""
    try:
        fd = os.open(Path(path), os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
    except OSError as e:  # a Unix socket cannot be opened at all (ENXIO): say what it is
        if e.errno == errno.ENXIO and (kind := special_kind(path)) is not None:
            raise error(f"{path}: is {kind}, not a regular file{why}") from None
        raise
    try:
        mode = os.fstat(fd).st_mode
        if not stat.S_ISREG(mode):
            raise error(f"{path}: is {_kind_of(mode)}, not a regular file{why}")
        os.set_blocking(fd, True)
        return os.fdopen(fd, "rb")
    except BaseException:
        os.close(fd)
        raise


# Hand-written YAML read whole and parsed (gold and signal specs, policy packs, taxonomies, gate
# rules, monitor thresholds): the largest shipped one is ~270 KB (content-policy.yaml), so 64 MB
# leaves a user's own taxonomy or pack 200x room, while a multi-GB file given by mistake is named
# from its size instead of being read into memory (and then parsed, at several times its size).
MAX_CONFIG_BYTES = 64 << 20


def read_regular(path: str | os.PathLike[str], error: type[Exception], why: str = "",
                 limit: int | None = None, what: str = "this file") -> bytes:
    """The bytes of the regular file at ``path`` (``open_regular``'s refusals), at most ``limit``
    bytes: a larger file is ``error("PATH: N bytes, more than the M (K MB) <what> may hold")``,
    raised from its size before any is read (or once ``limit + 1`` bytes were read, if it grew)."""
    with open_regular(path, error, why) as fh:
        size = os.fstat(fh.fileno()).st_size
        raw = b"" if limit is not None and size > limit else fh.read() if limit is None else fh.read(limit + 1)
    if limit is not None and max(size, len(raw)) > limit:
        raise error(f"{path}: {max(size, len(raw)):,} bytes, more than the {limit:,} ({limit >> 20} MB) {what} "
                    "may hold")
    return raw


class NotTextError(UnicodeDecodeError):
    """A file read as text that is not in its encoding: a ``UnicodeDecodeError`` (a ``ValueError``;
    ``start`` is the byte offset in the file) whose message names the file and the line,
    ``PATH:LINE: not UTF-8 text (byte N: reason)``, as ``json_lines`` names a JSON-lines file's.
    The codec's own message ("'utf-8' codec can't decode byte 0xe9 in position 9") named neither:
    a Latin-1 gold spec, taxonomy or policy pack said only that, and a thresholds file ended
    ``liner monitor`` in a traceback."""

    path: str = ""
    line: int = 0

    def __str__(self) -> str:
        raw = self.object if isinstance(self.object, bytes) else b""
        # a UTF-16/32 file (Notepad's "Unicode", PowerShell's Out-File) fails at byte 0 or 1
        bom = " (it starts with a UTF-16/32 byte-order mark)" if raw.startswith((b"\xff\xfe", b"\xfe\xff")) else ""
        return (f"{self.path}:{self.line}: not {self.encoding.upper()} text (byte {self.start}: {self.reason})"
                f"{bom}; save it as {self.encoding.upper()}")


def read_regular_text(path: str | os.PathLike[str], error: type[Exception], why: str = "",
                      limit: int | None = None, what: str = "this file", encoding: str = "utf-8") -> str:
    """``read_regular`` decoded; bytes that are not ``encoding`` raise ``NotTextError`` (a
    ``UnicodeDecodeError``, so a ``ValueError``, as ``Path.read_text`` raised) naming the file and
    the line of the first bad byte."""
    raw = read_regular(path, error, why, limit, what)
    try:
        return raw.decode(encoding)
    except UnicodeDecodeError as e:
        err = NotTextError(e.encoding, e.object, e.start, e.end, e.reason)
        err.path, err.line = str(path), raw.count(b"\n", 0, e.start) + 1
        raise err from None


def open_output(path: str | os.PathLike[str], error: type[Exception], why: str = "") -> BinaryIO:
    """``path`` opened for writing (created or truncated) without blocking on a FIFO: a FIFO no
    process reads is ``error("PATH: is a FIFO (named pipe) that no process reads<why>")`` (opening
    it waited for a reader for good: ``liner gate --report FIFO`` hung). A FIFO with a reader
    (``--report >(less)``) and devices (``/dev/stdout``) are written as before."""
    try:
        fd = os.open(Path(path), os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_NONBLOCK
                     | getattr(os, "O_CLOEXEC", 0), 0o644)
    except OSError as e:
        if e.errno == errno.ENXIO:  # POSIX: a non-blocking write open of a FIFO with no reader
            raise error(f"{path}: is a FIFO (named pipe) that no process reads{why}") from None
        raise
    os.set_blocking(fd, True)
    return os.fdopen(fd, "wb")


def write_output_text(path: str | os.PathLike[str], text: str, error: type[Exception], why: str = "") -> None:
    """``text`` as UTF-8 into ``path`` through ``open_output`` (a report, a plot page). An
    ``OSError`` while writing names ``path`` (a write's own, a full disk's ENOSPC, named no file:
    ``liner gate --report /dev/full`` said 'cannot write report: [Errno 28] No space left on
    device')."""
    try:
        with open_output(path, error, why) as fh:
            fh.write(text.encode("utf-8"))
    except OSError as e:
        if e.filename is not None or e.errno is None:
            raise
        raise OSError(e.errno, e.strerror, str(path)) from None


# Data linernotes ships inside its package, as (package, folder): a fit, signal model or exemplar
# index written there replaces what every user of the install reads (fusion/default is the
# default --fusion of tag, eval and serve; `liner fit -o <that folder>` overwrote it, no question).
SHIPPED = (("linernotes.fusion", "default"), ("linernotes.packs", ""), ("linernotes.evals", "specs"),
           ("linernotes.evals", "baselines"), ("linernotes.signals", "builtin"))
OVERWRITE_SHIPPED = "--overwrite-shipped"


def shipped_dirs() -> list[Path]:
    """The real paths (symlinks resolved) of the ``SHIPPED`` folders of this install. Found
    without importing the packages (``find_spec`` imports only ``linernotes`` itself)."""
    import importlib.util

    out = []
    for package, folder in SHIPPED:
        spec = importlib.util.find_spec(package)
        for root in (spec.submodule_search_locations or []) if spec else []:
            out.append((Path(root) / folder).resolve())
    return out


def refuse_shipped(path: str | os.PathLike[str], error: type[Exception], option: str = "-o",
                   overwrite: bool = False) -> None:
    """Raise ``error`` when ``path`` is, or is inside, a folder of data the package ships
    (``shipped_dirs``), compared as real paths: a symlink to it, ``..`` or a relative path
    through it is caught alike. ``overwrite`` (the user's ``--overwrite-shipped``) allows it."""
    if overwrite:
        return
    real = Path(path).resolve()
    for shipped in shipped_dirs():
        if real == shipped or shipped in real.parents:
            raise error(f"{option} {path}: is inside {shipped}, which linernotes ships with the package and every "
                        "command of this install reads; writing there replaces it: write to another folder, or pass "
                        f"{OVERWRITE_SHIPPED} to replace it on purpose")
