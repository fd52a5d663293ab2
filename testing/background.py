"""Serve an aiohttp app on 127.0.0.1 from a daemon thread with its own event loop.

The stub and the fault-injecting test double both need exactly this (in-process, free port,
clean stop), so the lifecycle lives here once.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable
from typing import Any

from aiohttp import web


class BackgroundSite:
    def __init__(self, make_app: Callable[[], web.Application], *, port: int = 0, name: str = "aiohttp",
                 runner_kwargs: dict[str, Any] | None = None, backlog: int = 128):
        self.make_app = make_app
        self.port = port
        self.name = name
        # shutdown_timeout: a handler that hangs on purpose (a fault) must not hold the stop for
        # aiohttp's default 60 s, past the join below and into interpreter exit
        self.runner_kwargs = {"access_log": None, "shutdown_timeout": 1.0, **(runner_kwargs or {})}
        self.backlog = backlog
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._runner: web.AppRunner | None = None

    def start(self, timeout_s: float = 30) -> int:
        """Start serving; returns the bound port (the OS picks one when ``port`` is 0)."""
        ready = threading.Event()
        error: list[BaseException] = []

        def serve() -> None:
            loop = self._loop = asyncio.new_event_loop()
            try:
                loop.run_until_complete(self._start_site())
            except BaseException as e:  # noqa: BLE001 (reported to the starting thread)
                error.append(e)
                ready.set()
                return
            ready.set()
            loop.run_forever()
            loop.run_until_complete(self._runner.cleanup())  # cancels handlers still hanging
            loop.close()

        self._thread = threading.Thread(target=serve, name=self.name, daemon=True)
        self._thread.start()
        if not ready.wait(timeout_s):
            raise RuntimeError(f"{self.name} did not start within {timeout_s} s")
        if error:
            raise error[0]
        return self.port

    async def _start_site(self) -> None:
        self._runner = web.AppRunner(self.make_app(), **self.runner_kwargs)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", self.port, backlog=self.backlog)
        await site.start()
        self.port = site._server.sockets[0].getsockname()[1]  # noqa: SLF001 (aiohttp has no public getter)

    def stop(self) -> None:
        if self._loop is not None and self._thread is not None:
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join(10)
            self._loop = self._thread = None
