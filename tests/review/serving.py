"""Helpers for tests that run ``liner review serve`` as a real process."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any

import httpx


def stop_server(server: subprocess.Popen[Any], log: IO[Any]) -> None:
    """SIGTERM, then SIGKILL if it has not exited within 20 s; close its log file."""
    server.terminate()
    try:
        server.wait(timeout=20)
    except subprocess.TimeoutExpired:
        server.kill()
        server.wait()
    log.close()


@contextmanager
def review_server(store: Path, log_path: Path, *args: str) -> Iterator[str]:
    """``liner review serve --store STORE`` as its own process on a free loopback port, its output in
    ``log_path``; yields the base URL once ``/healthz`` answers, stops the server on exit."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    log = log_path.open("w")
    proc = subprocess.Popen([sys.executable, "-m", "linernotes.cli.app", "review", "serve", "--store", str(store),
                             "--port", str(port), *args], stdout=log, stderr=subprocess.STDOUT, text=True)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            assert proc.poll() is None, log_path.read_text()
            try:
                httpx.get(url + "/healthz", timeout=2)
                break
            except httpx.HTTPError:
                assert time.monotonic() < deadline, "server did not come up"
                time.sleep(0.3)
        yield url
    finally:
        stop_server(proc, log)


@contextmanager
def gold_store_server(tmp: Path, rows: list[dict[str, Any]]) -> Iterator[tuple[str, Path]]:
    """A store built by ``liner review build --gold`` from ``rows`` (written as JSONL in ``tmp``) and
    served by ``review_server``; yields (base URL, the server's log file)."""
    gold = tmp / "gold.jsonl"
    gold.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    store = tmp / "review.sqlite"
    subprocess.run([sys.executable, "-m", "linernotes.cli.app", "review", "build", "-o", str(store), "--gold",
                    str(gold)], check=True, capture_output=True)
    with review_server(store, tmp / "serve.log") as url:
        yield url, tmp / "serve.log"
