"""Bounded concurrency with backpressure: at most ``concurrency`` items run, at most
``max_queue`` more wait; a request that would overfill the queue is refused at once (HTTP 429),
so a burst costs memory and latency for a bounded number of items only.

Items, not requests, are counted: a batch of 50 takes 50 places. Retry-After is the time the
queue ahead needs to drain at the recent item latency (an exponentially weighted mean), at least
one second, as RFC 9110 §10.2.3 asks for whole seconds.
"""

from __future__ import annotations

import asyncio
import math
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager


class Overloaded(Exception):
    """The queue is full; ``retry_after_s`` says when to try again."""

    def __init__(self, retry_after_s: int, message: str):
        super().__init__(message)
        self.retry_after_s = retry_after_s


class TooLarge(Exception):
    """A batch larger than concurrency + queue can never be admitted."""


class Admission:
    def __init__(self, concurrency: int, max_queue: int, alpha: float = 0.2):
        if concurrency < 1 or max_queue < 0:
            raise ValueError("concurrency must be >= 1 and max_queue >= 0")
        self.concurrency = concurrency
        self.max_queue = max_queue
        self.admitted = 0  # items accepted and not finished (running + waiting)
        self.running = 0
        self._sem = asyncio.Semaphore(concurrency)
        self._alpha = alpha
        self._item_s = 1.0  # prior before the first item finishes

    @property
    def capacity(self) -> int:
        return self.concurrency + self.max_queue

    @property
    def queued(self) -> int:
        return self.admitted - self.running

    def retry_after(self) -> int:
        waves = (self.admitted + 1) / self.concurrency
        return max(1, math.ceil(waves * self._item_s))

    def reserve(self, n: int) -> None:
        """Take ``n`` places or raise ``Overloaded``/``TooLarge``; pair with ``release(n)``."""
        if n > self.capacity:
            raise TooLarge(f"a batch of {n} items exceeds the service's capacity of {self.capacity} "
                           f"(concurrency {self.concurrency} + queue {self.max_queue}); split it")
        if self.admitted + n > self.capacity:
            raise Overloaded(self.retry_after(), f"queue full ({self.admitted} items admitted, capacity "
                                                 f"{self.capacity}); retry later")
        self.admitted += n

    def release(self, n: int) -> None:
        self.admitted -= n

    @asynccontextmanager
    async def slot(self) -> AsyncIterator[None]:
        """Run one admitted item: waits for one of ``concurrency`` slots, records its duration."""
        loop = asyncio.get_running_loop()
        async with self._sem:
            self.running += 1
            t = loop.time()
            try:
                yield
            finally:
                self.running -= 1
                self._item_s += self._alpha * ((loop.time() - t) - self._item_s)
