"""Reading a JSON Lines file whose every line must be a JSON object (gold files, exemplar sources,
review inputs), with errors that name the file and line a person would open.
"""

from __future__ import annotations

import gzip
import json
import math
import sys
import zlib
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from linernotes.files import open_regular, without_bom

GZIP_MAGIC = b"\x1f\x8b"


class JSONLineError(ValueError):
    """One line that is not a JSON value; ``str()`` is the reason, without file or line. For a
    syntax error ``msg`` is json's own message and ``pos`` its character offset (else ``msg`` is the
    reason and ``pos`` None): a caller that reports positions its own way (the service) uses them."""

    def __init__(self, reason: str, msg: str | None = None, pos: int | None = None) -> None:
        super().__init__(reason)
        self.msg = msg or reason
        self.pos = pos


def _int(digits: str) -> int:
    # json turns an integer literal into int(); past sys.get_int_max_str_digits() (4,300) digits
    # that raised a bare ValueError ("use sys.set_int_max_str_digits()") that no reader caught as
    # a bad line, so one such number in one row aborted a whole run without naming file or line
    limit = sys.get_int_max_str_digits()
    if limit and len(digits.lstrip("-")) > limit:
        raise JSONLineError(f"a number with {len(digits.lstrip('-')):,} digits (at most {limit:,})")
    return int(digits)


def _object(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    # json keeps the last of a repeated key without a word: {"id": "a", ..., "id": "b"} was tagged
    # as "b" (RFC 8259 leaves the meaning open; parsers differ), so a repeat is refused instead
    obj = dict(pairs)
    if len(obj) != len(pairs):
        seen: set[str] = set()
        twice = next(k for k, _ in pairs if k in seen or seen.add(k))  # type: ignore[func-returns-value]
        raise JSONLineError(f"key {twice!r} appears twice in one object (which value is meant?)")
    return obj


def parse_json(text: str | bytes) -> Any:
    """One JSON value from ``text``. Raises ``JSONLineError`` for every reason it is not one:
    ``<json's message> at column N`` (``json`` numbers lines within the one text it is given, so
    only its column is kept), ``nested too deeply``, ``a number with N digits (at most 4,300)``,
    ``key 'id' appears twice in one object (which value is meant?)``."""
    try:
        return json.loads(text, parse_int=_int, object_pairs_hook=_object)
    except JSONLineError:
        raise
    except json.JSONDecodeError as e:
        # some of json's messages end in their own "at" ("Unterminated string starting at",
        # "Invalid control character at"): "... starting at at column 46" was shown
        at = "" if e.msg.endswith(" at") else " at"
        raise JSONLineError(f"{e.msg}{at} column {e.colno}", e.msg, e.pos) from None
    except RecursionError:
        raise JSONLineError("nested too deeply") from None
    except ValueError as e:  # any other refusal of the parser's: a reason, never an abort
        raise JSONLineError(str(e).split(";")[0]) from None


def first_non_finite(value: Any, path: str = "") -> tuple[str, float] | None:
    """``(key path, number)`` of the first NaN or infinity in parsed JSON (``json`` reads ``NaN``
    and ``Infinity``), depth first, e.g. ``("fields.valence.model.range.1", nan)`` (``path``
    prefixes it: ``"gold"`` -> ``gold.valence``); None when every number is finite."""
    if isinstance(value, float):
        return None if math.isfinite(value) else (path, value)
    items = value.items() if isinstance(value, dict) else enumerate(value) if isinstance(value, list) else ()
    for key, sub in items:
        found = first_non_finite(sub, f"{path}.{key}" if path else str(key))
        if found is not None:
            return found
    return None


def _has_surrogate(text: str) -> bool:
    return any("\ud800" <= c <= "\udfff" for c in text)


def _shown(text: str) -> str:
    # the surrogate written as its escape, so the message itself can be encoded as UTF-8
    return text.encode("utf-8", "backslashreplace").decode("utf-8")


def first_surrogate(value: Any, path: str = "") -> str | None:
    """Where the first lone UTF-16 surrogate of parsed JSON is (``json`` reads ``"\\ud800"``: valid
    JSON, never valid Unicode, so it cannot be written to a UTF-8 response, file or store), depth
    first: ``"values.note"`` for a string value, ``"values key 'note\\ud800'"`` for an object key
    (escaped, printable); None when every string is valid Unicode. ``path`` prefixes it."""
    if isinstance(value, str):
        return (path or "the value") if _has_surrogate(value) else None
    items = value.items() if isinstance(value, dict) else enumerate(value) if isinstance(value, list) else ()
    for key, sub in items:
        if isinstance(key, str) and _has_surrogate(key):
            return f"{path + ' ' if path else ''}key '{_shown(key)}'"
        found = first_surrogate(sub, f"{path}.{key}" if path else str(key))
        if found is not None:
            return found
    return None


def surrogate_problem(value: Any) -> str | None:
    """``"not valid Unicode: <where> holds a lone UTF-16 surrogate ..."`` for parsed JSON holding one
    (``first_surrogate``), None when it holds none: the reason a reader puts after ``PATH:LINE:``.
    Such a line parses, and then fails wherever its text is written as UTF-8 (a fingerprint, an
    index, a store) or in pyarrow ('The surrogate pair in string is invalid'), naming no line."""
    where = first_surrogate(value)
    if where is None:
        return None
    return (f"not valid Unicode: {where} holds a lone UTF-16 surrogate (a JSON escape in \\ud800-\\udfff "
            "that is not half of a pair names no character); fix the text where the file was made")


def file_lines(path: str | Path, error: type[Exception] = ValueError, why: str = "",
               broken: Callable[[int, str], Exception] | None = None,
               max_bytes: int | None = None) -> Iterator[tuple[int, bytes | None]]:
    """``(line number, bytes with the line break)`` for each line of ``path``, 1-based, streamed,
    decompressed when it is gzip (``out.jsonl.gz`` as ``liner tag --runner beam`` writes it; told
    by its magic bytes, whatever its name: a gzipped run named .jsonl is read decompressed, a plain
    file named .gz as it is). A FIFO, device or folder is ``error`` before any read
    (``files.open_regular``, ``why`` its remedy); a gzip file cut short or damaged is
    ``error("PATH: not a readable gzip file (...) after line N; ...")``: read as bytes it was
    'PATH:1: not UTF-8 text (byte 1: invalid start byte)'. A caller that keeps the lines before
    such a break and names it (``liner export`` / ``monitor``: ``sinks.lines_in``) gives
    ``broken(lines read, gzip's reason)``, the exception raised instead. ``max_bytes``: a line
    longer than that is read past in pieces, never held whole, and given as ``(n, None)`` (as
    ``liner tag``'s ``catalog.bounded_lines``); without it every line is read whole."""
    with open_regular(path, error, why) as raw_file:
        gzipped = raw_file.peek(2)[:2] == GZIP_MAGIC if hasattr(raw_file, "peek") else False
        f = gzip.GzipFile(fileobj=raw_file, mode="rb") if gzipped else raw_file
        n = 0
        while True:
            try:
                raw = f.readline() if max_bytes is None else f.readline(max_bytes + 1)
                too_long = (max_bytes is not None and len(raw) > max_bytes
                            and not (len(raw) == max_bytes + 1 and raw.endswith(b"\n")))
                while too_long and raw and not raw.endswith(b"\n"):  # past the rest, one piece held
                    raw = f.readline(max_bytes)
            except (EOFError, OSError, zlib.error) as e:  # gzip.BadGzipFile is an OSError
                if not gzipped:
                    raise
                if broken is not None:
                    raise broken(n, str(e) or type(e).__name__) from None
                raise error(f"{path}: not a readable gzip file ({e or type(e).__name__}) after line {n}; write it "
                            "again or give it uncompressed") from None
            if not raw:
                return
            n += 1
            yield n, None if too_long else raw


def json_objects(path: str | Path, error: type[Exception] = ValueError) -> Iterator[tuple[int, dict]]:
    """``(line number, object)`` for each non-blank line of ``path``, 1-based, streamed.

    Raises ``error`` (default ``ValueError``) at the first line that cannot be one, as
    ``PATH:LINE: reason``: ``not UTF-8 text (byte N: ...)``, ``not JSON (<json's message> at
    column N)`` (``json`` numbers lines within the one line it is given, so only its column is
    kept), ``not a JSON object (a list)``. A UTF-8 byte-order mark at the start of any line is
    dropped (files each saved with one, joined: json refused it as 'Unexpected UTF-8 BOM'). Lines
    come from ``file_lines``: a FIFO, device or folder is ``error("PATH: is a FIFO (named pipe), not
    a regular file")`` before any read (a FIFO blocked for good, /dev/zero read one endless line:
    ``liner index build --gold FIFO`` hung), a gzipped file is read decompressed and a damaged one
    is ``error("PATH: not a readable gzip file (...)")``. ``FileNotFoundError`` passes through."""
    for n, row, why in json_object_lines(path, error):
        if why is not None:
            raise error(f"{path}:{n}: {why}")
        yield n, row


def json_object_lines(path: str | Path, error: type[Exception] = ValueError,
                      max_line_bytes: int | None = None) -> Iterator[tuple[int, dict | None, str | None]]:
    """``(line number, object, None)`` for each non-blank line of ``path`` that is a JSON object,
    ``(line number, None, reason)`` for one that is not, and the lines after it are read: the
    tolerant form of ``json_objects`` (same lines, same reasons: ``not UTF-8 text (byte N: ...);
    expected JSON lines``, ``not JSON (...)``, ``not a JSON object (a list)``, a lone surrogate's
    ``not valid Unicode: ...``) for a reader that skips a bad line and names it, as ``liner tag``
    makes it one error record. A file that cannot be read at all (a FIFO, a damaged gzip) is still
    ``error`` (``file_lines``). ``max_line_bytes``: a longer line is not read into memory; its
    reason is ``longer than N bytes (the line limit; ...)``."""
    for n, raw in file_lines(path, error, ": JSON lines are read from a file", max_bytes=max_line_bytes):
        if raw is None:
            yield n, None, (f"longer than {max_line_bytes:,} bytes (the line limit; raise it with "
                            "LINER_MAX_LINE_BYTES)")
            continue
        try:
            line = without_bom(raw).decode("utf-8")
        except UnicodeDecodeError as e:  # e.g. a binary or Latin-1 file given as JSONL
            yield n, None, f"not UTF-8 text (byte {e.start}: {e.reason}); expected JSON lines"
            continue
        if not line.strip():
            continue
        try:
            row = parse_json(line)
        except JSONLineError as e:
            yield n, None, f"not JSON ({e})"
            continue
        if not isinstance(row, dict):
            yield n, None, f"not a JSON object (a {type(row).__name__})"
        elif (why := surrogate_problem(row)) is not None:
            yield n, None, why
        else:
            yield n, row, None
