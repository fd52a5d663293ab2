"""Progress as plain log lines, for runs whose stderr is not a terminal (CI, ``nohup``, a pipe).

A terminal gets a live bar (``cli.render.Progress``); a log gets one line every ``interval``
seconds, also while nothing has finished yet (loading a model can take minutes):

    liner: 40/120 done (33%), 0.52 items/s, ETA 2m34s, LLM calls 40, failed 1, elapsed 1m17s

``ProgressLog.update`` is the runner's ``on_record`` callback; a daemon thread writes the lines.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any, TextIO

from pydantic import BaseModel


class Snapshot(BaseModel):
    """What a progress line reports; ``total`` is None when the input size is unknown."""

    done: int = 0
    total: int | None = None
    failed: int = 0
    llm_calls: int = 0
    elapsed_s: float = 0.0

    @property
    def rate(self) -> float:
        """Items per second since the run started."""
        return self.done / self.elapsed_s if self.elapsed_s > 0 else 0.0

    @property
    def eta_s(self) -> float | None:
        """Seconds left at the rate so far, or None (unknown total, nothing done yet)."""
        if self.total is None or self.done == 0 or self.rate == 0:
            return None
        return max(0.0, (self.total - self.done) / self.rate)


def duration(seconds: float) -> str:
    """``75`` -> ``1m15s``; ``3725`` -> ``1h02m``."""
    s = int(round(seconds))
    if s < 60:
        return f"{s}s"
    if s < 3600:
        return f"{s // 60}m{s % 60:02d}s"
    return f"{s // 3600}h{(s % 3600) // 60:02d}m"


def progress_line(snap: Snapshot) -> str:
    """One log line for ``snap`` (see the module docstring)."""
    if snap.total is not None:
        pct = f" ({100 * snap.done / snap.total:.0f}%)" if snap.total else ""
        head = f"{snap.done}/{snap.total} done{pct}"
    else:
        head = f"{snap.done} done"
    if snap.done == 0:
        return f"liner: {head}, waiting for the first item (model start-up and tool loading), elapsed " \
               f"{duration(snap.elapsed_s)}"
    eta = "unknown" if snap.eta_s is None else duration(snap.eta_s)
    return (f"liner: {head}, {snap.rate:.2f} items/s, ETA {eta}, LLM calls {snap.llm_calls}, "
            f"failed {snap.failed}, elapsed {duration(snap.elapsed_s)}")


class ProgressLog:
    """Writes ``progress_line`` to ``stream`` every ``interval`` seconds until closed, and a last
    line on close when anything was done. Use as a context manager; ``update`` is thread-safe
    enough for its purpose (it only replaces a snapshot)."""

    def __init__(self, stream: TextIO, interval: float = 5.0, total: int | None = None,
                 clock: Callable[[], float] = time.monotonic):
        if interval <= 0:
            raise ValueError(f"progress interval must be > 0 seconds, got {interval}")
        self.stream = stream
        self.interval = interval
        self.clock = clock
        self._start = clock()
        self._snap = Snapshot(total=total)
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.lines = 0

    def update(self, _record: Any, summary: Any) -> None:
        """``on_record(record, RunSummary)``: take the summary's counts."""
        total = summary.expected_rows if summary.expected_rows is not None else self._snap.total
        if total is not None:
            total = max(0, total - summary.skipped)  # rows already in the output are not work
        self._snap = Snapshot(done=summary.processed, total=total, failed=summary.failed,
                              llm_calls=summary.llm_calls, elapsed_s=self.clock() - self._start)

    def snapshot(self) -> Snapshot:
        return self._snap.model_copy(update={"elapsed_s": self.clock() - self._start})

    def emit(self) -> None:
        self.stream.write(progress_line(self.snapshot()) + "\n")
        self.stream.flush()
        self.lines += 1

    def _loop(self) -> None:
        while not self._stop.wait(self.interval):
            self.emit()

    def __enter__(self) -> ProgressLog:
        self._start = self.clock()
        self._thread = threading.Thread(target=self._loop, name="liner-progress", daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=self.interval + 1)
        if self._snap.done and exc[0] is None:
            self.emit()
