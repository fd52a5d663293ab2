"""The enrichment graph's own event loop, in a thread of its own, so the HTTP loop stays free.

The graph runs its text tools inline (retrieval, lexicons, language id: ``agents/graph.py``), which
is right for a batch run but, on the serving loop, held every other request and ``/healthz``
until an item's tools were done: one item with 1 MB of extra-column text (a 1.9 MB body, far under
the size limit) stalled ``/healthz`` for 12 s, long enough for a liveness probe to restart the
service. Here the HTTP loop only parses, admits and answers; items run on this loop.

Pure-Python work on this thread still shares the GIL with the HTTP thread, which Python hands over
every few milliseconds (``sys.getswitchinterval``), so a probe waits milliseconds, not the item.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Coroutine
from typing import Any, TypeVar

T = TypeVar("T")


class GraphLoop:
    """``await loop.run(coro)`` from another event loop runs ``coro`` here and returns its result
    (or raises its exception); cancelling the awaiting task cancels it here. ``start`` once,
    ``close`` once (cancels what still runs, then closes the loop)."""

    def __init__(self, name: str = "liner-graph") -> None:
        self.loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._serve, name=name, daemon=True)

    def start(self) -> GraphLoop:
        self._thread.start()
        return self

    def _serve(self) -> None:
        asyncio.set_event_loop(self.loop)
        try:
            self.loop.run_forever()
        finally:
            pending = asyncio.all_tasks(self.loop)
            for task in pending:
                task.cancel()
            self.loop.run_until_complete(asyncio.gather(*pending, return_exceptions=True))
            self.loop.run_until_complete(self.loop.shutdown_asyncgens())
            self.loop.close()

    async def run(self, coro: Coroutine[Any, Any, T]) -> T:
        return await asyncio.wrap_future(asyncio.run_coroutine_threadsafe(coro, self.loop))

    def close(self, timeout_s: float = 30) -> None:
        if self._thread.is_alive():
            self.loop.call_soon_threadsafe(self.loop.stop)
            self._thread.join(timeout_s)
