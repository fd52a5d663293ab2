"""SIGTERM and SIGHUP stop a run the way Ctrl-C does.

Ctrl-C is the one tested way out of a run: ``asyncio.run`` cancels the main task, the runner's
``finally`` blocks flush the records written so far, stop the workers and the embedded model
server and release ``OUT.lock``, and ``liner``'s ``main`` says how to resume. A SIGTERM (``kill``,
systemd, a container stop, a scheduler's time limit) or a SIGHUP (the terminal closed) used to kill
the process outright: no message, ``OUT.lock`` left behind. ``stop_like_ctrl_c`` makes both raise
into that same path, and ``stopped_by`` tells ``main`` which signal it was (exit code 128 + signum).
"""

from __future__ import annotations

import asyncio
import signal
from types import FrameType
from typing import Any

STOP_SIGNALS = (signal.SIGTERM, signal.SIGHUP)

_received: list[int] = []


def _stop(signum: int, frame: FrameType | None) -> None:
    _received.append(signum)
    handler = signal.getsignal(signal.SIGINT)
    if handler is not signal.default_int_handler and callable(handler):  # asyncio.run's: cancels the main task
        handler(signal.SIGINT, frame)
        return
    # SIGINT ignored (nohup, a background job, a pytest-xdist worker's children) or Python's own
    # handler: both raise KeyboardInterrupt into whatever code runs at that moment. Inside a
    # running event loop that may be a task's middle (a pydantic serializer turned it into
    # 'Error serializing to JSON: ... KeyboardInterrupt', exit 2; CI, session 13), so there it is
    # raised from a loop callback instead: it leaves run_forever as Ctrl-C does while the loop
    # waits, and asyncio.run cancels the tasks, whose finally blocks flush and unlock.
    try:
        loop = asyncio.get_running_loop()
    except RuntimeError:
        loop = None
    if loop is None:
        raise KeyboardInterrupt
    loop.call_soon_threadsafe(_interrupt)


def _interrupt() -> None:
    raise KeyboardInterrupt


def stop_like_ctrl_c() -> dict[int, Any]:
    """Route SIGTERM and SIGHUP into this process's SIGINT handling; returns the handlers it
    replaced (``restore`` puts them back). Call from the main thread (``signal.signal`` refuses
    any other); a signal that is ignored (``nohup`` ignores SIGHUP) stays ignored."""
    _received.clear()
    before = {}
    for sig in STOP_SIGNALS:
        if signal.getsignal(sig) is not signal.SIG_IGN:
            before[sig] = signal.signal(sig, _stop)
    return before


def restore(handlers: dict[int, Any]) -> None:
    """Put back the handlers ``stop_like_ctrl_c`` replaced (a caller that goes on living: tests)."""
    for sig, handler in handlers.items():
        signal.signal(sig, handler)


def stopped_by() -> int | None:
    """The first stop signal received since ``stop_like_ctrl_c`` (e.g. ``signal.SIGTERM``), or None."""
    return _received[0] if _received else None


def retrieve_stop(task: asyncio.Future[Any]) -> None:
    """Done callback for a run's own tasks (the runner's per-row tasks, the batcher's batches). A
    ``KeyboardInterrupt`` raised inside one of them (a second Ctrl-C: asyncio's handler cancels the
    main task on the first and raises on the next; Python's own handler outside ``asyncio.run``)
    ends the run through the event loop, and asyncio also logged the task's own copy as "Task
    exception was never retrieved" with a traceback after ``liner: stopped by ...`` (CI, session
    13). Retrieving it here leaves the stop's one line. Their other exceptions are awaited where
    the run gathers them (or settled by the batcher), so retrieving hides nothing."""
    if not task.cancelled():
        task.exception()
