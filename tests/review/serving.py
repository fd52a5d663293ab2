"""Helpers for tests that run ``liner review serve`` as a real process."""

from __future__ import annotations

import subprocess
from typing import IO, Any


def stop_server(server: subprocess.Popen[Any], log: IO[Any]) -> None:
    """SIGTERM, then SIGKILL if it has not exited within 20 s; close its log file."""
    server.terminate()
    try:
        server.wait(timeout=20)
    except subprocess.TimeoutExpired:
        server.kill()
        server.wait()
    log.close()
