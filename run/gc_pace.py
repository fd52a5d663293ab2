"""Fewer cycle collections while a run is in progress (CPU only; no output depends on it).

An item in flight holds a few thousand short-lived containers (tool results, evidence, the
request, the record), so with C items in flight the allocations minus frees cross CPython's
default first-generation threshold (700) every few items: 367 collections over 1,600 items in one
process, each scanning whatever is young at that moment — 0.15 ms of CPU per item with the heap
frozen after warm-up (``gc.freeze``, as workers run), 0.37 ms without (every tenth of a tenth is a
full collection over the runtime's ~316k objects). Nearly all of it is freed by reference
counting, not by the collector: at a first-generation threshold of ``YOUNG`` the same 1,600
items ran no collection at all (one process, 0 ms STUB, C = 64; benchmarks/HISTORY.md, session 11).
Cyclic garbage is still collected, after at most ``YOUNG`` net allocations (a few MB)."""

from __future__ import annotations

import contextlib
import gc
import threading
from collections.abc import Iterator

YOUNG = 20_000

_lock = threading.Lock()
_depth = 0
_saved: tuple[int, int, int] | None = None


@contextlib.contextmanager
def run_pace() -> Iterator[None]:
    """While any run of this process is in progress, the first-generation threshold is at least
    ``YOUNG`` (the older generations' thresholds unchanged); the last run to end restores the
    thresholds it found, so nested or concurrent runs leave the process as it was."""
    global _depth, _saved
    with _lock:
        if _depth == 0:
            _saved = gc.get_threshold()
            _raise_young(_saved)
        _depth += 1
    try:
        yield
    finally:
        with _lock:
            _depth -= 1
            if _depth == 0 and _saved is not None:
                gc.set_threshold(*_saved)
                _saved = None


def pace_for_good() -> None:
    """``run_pace``'s threshold for the rest of the process: for a worker, whose whole life is the run."""
    _raise_young(gc.get_threshold())


def _raise_young(threshold: tuple[int, int, int]) -> None:
    """Set the first-generation threshold to at least ``YOUNG``, the older ones as in ``threshold``."""
    young, *older = threshold
    if young:  # 0: the process disabled automatic collection; leave that alone
        gc.set_threshold(max(young, YOUNG), *older)
