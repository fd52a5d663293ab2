"""``re.compile`` of a large generated pattern, with its compiled code kept on disk between runs.

Why: the policy lexicon's trie regex (~275,000 characters, ~2,700 groups) costs ~2 s of CPU at
every process start in ``re``'s pure-Python parser and code generator, while the C engine builds
the pattern object from that code in ~10 ms. So the code (a list of unsigned ints) is cached.

Cache: one ``.npy`` file (uint32, ``allow_pickle=False``) per pattern in the ``regex`` folder of
``disk_cache`` (the user's cache dir), named by the sha256 of the pattern text, its flags and
the interpreter's regex engine (Python version, ``_sre.MAGIC``, code size), so a changed pack
or lexicon rule, or another Python, never reads another pattern's code. The file carries the
sha256 of its header and code, and the C engine validates any code it is given (bad code
raises, it never runs).

Errors: none. A miss, an unreadable, truncated or corrupt file, an unwritable cache folder, a
pattern with named groups, or an interpreter without these internals all fall back silently to
building the pattern as ``re.compile`` does (and a miss or a bad file writes a good file).
"""

from __future__ import annotations

import contextlib
import hashlib
import re
import sys
from pathlib import Path
from typing import Any

import numpy as np

from linernotes.tools.disk_cache import cache_file as _cache_file
from linernotes.tools.disk_cache import write_atomic

_FORMAT = 1  # bump when the file layout changes
_HEAD = 11  # uint32 words before the code: format, flags, groups, sha256 of those 3 and the code (8 words)


def _engine() -> tuple[Any, Any, Any] | None:
    """``(_sre, re._parser, re._compiler)``, or None where this Python has no such internals."""
    try:
        import _sre
        from re import _compiler, _parser
    except ImportError:
        return None
    return _sre, _parser, _compiler


def cache_file(pattern: str, flags: int = 0) -> Path | None:
    """Where the compiled ``pattern`` lives (or would), or None when this Python has no ``_sre``."""
    engine = _engine()
    if engine is None:
        return None
    sre = engine[0]
    return _cache_file("regex", [_FORMAT, sys.version, getattr(sre, "MAGIC", None), getattr(sre, "CODESIZE", None),
                                 int(flags), pattern], ".npy")


def compile_cached(pattern: str, flags: int = 0) -> re.Pattern[str]:
    """The same pattern object ``re.compile(pattern, flags)`` returns, read from its cache file
    when a good one exists (~20 ms for the policy trie instead of ~2 s), else built and saved."""
    path = cache_file(pattern, flags)
    engine = _engine()
    if path is None or engine is None:
        return re.compile(pattern, flags)
    with contextlib.suppress(Exception):  # any bad file or mismatch: rebuild below
        return _load(path, pattern, flags, engine[0])
    try:
        compiled, code = _build(pattern, flags, engine)
    except (AttributeError, TypeError):  # internals of another shape: the public way
        return re.compile(pattern, flags)
    if code is not None:
        with contextlib.suppress(OSError):
            _store(path, compiled, code)
    return compiled


def _build(pattern: str, flags: int, engine: tuple[Any, Any, Any]) -> tuple[re.Pattern[str], list[int] | None]:
    """What ``re._compiler.compile`` does, keeping the code; code None: not cacheable (named groups)."""
    sre, parser, compiler = engine
    parsed = parser.parse(pattern, flags)
    code = compiler._code(parsed, flags)
    state = parsed.state
    indexgroup: list[str | None] = [None] * state.groups
    for name, i in state.groupdict.items():
        indexgroup[i] = name
    compiled = sre.compile(pattern, flags | state.flags, code, state.groups - 1, state.groupdict,
                           tuple(indexgroup))
    return compiled, (None if state.groupdict else code)


def _digest_words(head: np.ndarray, code: np.ndarray) -> np.ndarray:
    return np.frombuffer(hashlib.sha256(head.tobytes() + code.tobytes()).digest(), dtype="<u4")


def _store(path: Path, compiled: re.Pattern[str], code: list[int]) -> None:
    body = np.asarray(code, dtype="<u4")
    head = np.asarray([_FORMAT, compiled.flags, compiled.groups], dtype="<u4")
    data = np.concatenate([head, _digest_words(head, body), body])
    write_atomic(path, lambda fh: np.save(fh, data, allow_pickle=False))


def _load(path: Path, pattern: str, flags: int, sre: Any) -> re.Pattern[str]:
    """Raises (OSError, ValueError, RuntimeError from the engine's validator, ...) on any bad file."""
    data = np.load(path, allow_pickle=False)
    if data.dtype != np.dtype("<u4") or data.ndim != 1 or data.size <= _HEAD or int(data[0]) != _FORMAT:
        raise ValueError(f"{path}: not a compiled-pattern file")
    final_flags, groups = int(data[1]), int(data[2])
    body = data[_HEAD:]
    if not np.array_equal(data[3:_HEAD], _digest_words(data[:3], body)) or (final_flags & flags) != flags:
        raise ValueError(f"{path}: corrupt")
    return sre.compile(pattern, final_flags, body.tolist(), groups, {}, (None,) * (groups + 1))
