"""Issue 13 item 4: another client holding the store's lock never freezes the server: /healthz
stays fast, requests that need the store answer 503 with Retry-After within the busy timeout."""

from __future__ import annotations

import socket
import sqlite3
import statistics
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest
import uvicorn

from linernotes.review.web.app import Settings, create_app

BUSY_S = 1.0


class ServerThread:
    """A real uvicorn server on 127.0.0.1 in a thread; stops itself when the test ends."""

    def __init__(self, app):
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            self.port = s.getsockname()[1]
        self.server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=self.port, log_level="warning"))
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    def __enter__(self) -> str:
        self.thread.start()
        deadline = time.monotonic() + 30
        while not self.server.started:
            assert time.monotonic() < deadline, "server did not start"
            time.sleep(0.05)
        return f"http://127.0.0.1:{self.port}"

    def __exit__(self, *exc) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)


def _session(c: httpx.Client) -> str:
    return c.get("/api/session").json()["csrf_token"]


def _timed_healthz(base: str, until: threading.Event) -> list[float]:
    times = []
    with httpx.Client(base_url=base, timeout=30) as c:
        while not until.is_set():
            t = time.monotonic()
            assert c.get("/healthz").status_code == 200
            times.append(time.monotonic() - t)
            time.sleep(0.05)
    return times


def _hold(store, how: str) -> sqlite3.Connection:
    con = sqlite3.connect(store, isolation_level=None)
    if how == "immediate":  # the issue's input: a writer that keeps its write lock
        con.execute("BEGIN IMMEDIATE")
    else:  # exclusive locking mode after a write: readers are locked out too, even under WAL
        con.execute("PRAGMA locking_mode=EXCLUSIVE")
        con.execute("BEGIN EXCLUSIVE")
        con.execute("UPDATE meta SET value = value")
    return con


@pytest.mark.slow
@pytest.mark.parametrize("how", ["immediate", "exclusive"])
def test_busy_store_gives_503_quickly_and_healthz_stays_fast(built_store, how):
    app = create_app(Settings(store=built_store, busy_timeout=BUSY_S))
    with ServerThread(app) as base, httpx.Client(base_url=base, timeout=30) as c:
        token = _session(c)
        holder = _hold(built_store, how)
        done = threading.Event()
        try:
            with ThreadPoolExecutor(2) as pool:
                health = pool.submit(_timed_healthz, base, done)
                t = time.monotonic()
                posts = [c.post("/api/adjudicate/model-off", headers={"X-CSRF-Token": token},
                                json={"annotator": "ann", "action": "accept_gold", "version": 0}) for _ in range(3)]
                form = c.post("/decide/model-off", data={"csrf_token": token, "version": "0", "action": "accept_gold",
                                                         "annotator": "ann"}, follow_redirects=False)
                took = time.monotonic() - t
                reads = c.get("/item/model-off") if how == "exclusive" else None
                done.set()
                times = health.result()
        finally:
            holder.rollback() if holder.in_transaction else None
            holder.close()
        for r in [*posts, form] + ([reads] if reads is not None else []):
            assert r.status_code == 503 and r.headers["retry-after"] == "1"
        assert posts[0].json()["error"] == "busy" and "busy" in posts[0].json()["detail"]
        assert took < 4 * (BUSY_S + 1.0)  # four writes, each bounded by the busy timeout
        # the event loop never waited on SQLite: had it, /healthz would wait out each write's 1 s busy
        # timeout (a median near half of it); one slow answer on a loaded 2-core CI box (0.84 s once)
        # is scheduling, not the loop
        assert len(times) >= 5 and statistics.median(times) < 0.1 and max(times) < BUSY_S, times
        # the lock is gone: the same save goes through, nothing half-written
        ok = c.post("/api/adjudicate/model-off", headers={"X-CSRF-Token": token},
                    json={"annotator": "ann", "action": "accept_gold", "version": 0})
        assert ok.status_code == 200 and ok.json()["version"] == 1 and len(ok.json()["history"]) == 1
