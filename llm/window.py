"""The call window: at most ``size`` LLM calls in flight in this process (issue 16: ``--concurrency``
bounds the calls to the endpoint, not the items being worked on).

Why a window of calls, not of items: the endpoint's concurrency is what a user sizes (rate limits,
server slots). An item spends part of its time on tools, triage and its record; bounding items
left fewer than C calls in flight, and the endpoint's slots idle while our CPU worked. With the
window here, at the client's call boundary, the run may hold more items than C (``run.batching.
item_window``): their tools run while the calls wait for a slot.

One slot per logical call: its retries and their backoff keep the slot (a rate-limited endpoint
is not sent new requests while the earlier ones back off; a retry never waits behind fresh calls
for a second slot). Cache hits take none. Waiters are served first come, first served.

With the graph in worker processes on the HTTP transport (``llm.relay``) the run's process holds
the window that bounds the endpoint, one slot per exchange: there a retry's backoff holds its
worker's slot (the worker's window is the whole run's bound) but not an endpoint slot, and the
retry queues behind the calls already waiting (at most ``run.batching.item_window(C) - C`` of
them). Only this case differs: one process, LiteLLM and the embedded engine keep the rule above.

Not bound to an event loop (a runtime may serve several ``asyncio.run`` calls): a waiter's future
belongs to the loop it waits on.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import time
from collections.abc import AsyncIterator


class CallWindow:
    """``async with window.slot(): ...`` -> at most ``size`` bodies at once (None: no bound).

    Counters for tests and benchmarks: ``in_flight`` (now), ``peak`` (most at once since
    ``reset_stats``) and ``busy_s`` (the integral of ``in_flight`` over time, in call-seconds:
    divided by a run's wall time it is the mean number of calls in flight)."""

    def __init__(self, size: int | None = None):
        self.size = size
        self.in_flight = 0
        self.peak = 0
        self.busy_s = 0.0
        self._since = time.monotonic()
        self._waiters: collections.deque[asyncio.Future[None]] = collections.deque()

    def resize(self, size: int | None) -> None:
        """A new bound (a run sets its own, ``None``: unbounded). Calls already in flight go on;
        waiters are let in as the new bound allows."""
        if size is not None and size < 1:
            raise ValueError(f"call window {size}: at least 1 call must be allowed")
        self.size = size
        self._wake()

    def reset_stats(self) -> None:
        self._account()
        self.peak = self.in_flight
        self.busy_s = 0.0

    @contextlib.asynccontextmanager
    async def slot(self) -> AsyncIterator[Held]:
        """One slot for the body; ``Held.release`` frees it early (the endpoint has answered),
        ``Held.reacquire`` takes one again (a retry after an early release). Freed at the end
        either way, once."""
        await self._acquire()
        held = Held(self)
        try:
            yield held
        finally:
            held.release()

    def _account(self) -> None:
        now = time.monotonic()
        self.busy_s += self.in_flight * (now - self._since)
        self._since = now

    def _enter(self) -> None:
        self._account()
        self.in_flight += 1
        self.peak = max(self.peak, self.in_flight)

    def _free(self) -> bool:
        return self.size is None or self.in_flight < self.size

    async def _acquire(self) -> None:
        if self._free() and not self._waiters:
            self._enter()
            return
        fut: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._waiters.append(fut)
        try:
            await fut  # the releaser counted this call in (a hand-off: no one can overtake it)
        except asyncio.CancelledError:
            if fut.done() and not fut.cancelled():  # handed a slot, then cancelled: give it back
                self._release()
            else:
                with contextlib.suppress(ValueError):
                    self._waiters.remove(fut)
            raise

    def _release(self) -> None:
        self._account()
        self.in_flight -= 1
        self._wake()

    def _wake(self) -> None:
        while self._waiters and self._free():
            fut = self._waiters.popleft()
            if fut.done():  # its waiter was cancelled
                continue
            self._enter()
            fut.set_result(None)


class Held:
    """A slot taken by ``CallWindow.slot``: released at most once, however often ``release`` is
    called.

    Why release early: the slot bounds requests at the endpoint. The answer is read inside the
    task ``asyncio.wait_for`` runs; the caller only resumes, and would free the slot, on the
    loop's next pass, behind whatever else is ready (a batch's tools: milliseconds at C = 64).
    Freed where the answer is read, the next call's waiter is woken one pass sooner. (On Python
    3.12+ ``wait_for`` awaits the call in the caller's own task: there the caller reads the answer
    and frees the slot in the same step, as before ``Held``; no pass is saved, none is lost.)"""

    def __init__(self, window: CallWindow):
        self._window = window
        self.held = True

    def release(self) -> None:
        if self.held:
            self.held = False
            self._window._release()

    async def reacquire(self) -> None:
        if not self.held:
            await self._window._acquire()
            self.held = True
