"""Fixtures for the service tests: the stub endpoint (a test double, not a model) and a catalog."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from linernotes.config import TagConfig
from linernotes.llm.client import LLMConfig

ITEMS = [
    {"id": "svc-1", "title": "Night Drive", "artist": "Neon Harbor", "description": "driving synthwave, warm analog pads"},
    {"id": "svc-2", "type": "episode", "title": "Markets Weekly", "description": "a podcast about interest rates"},
    {"id": "svc-3", "title": "Slow Rain", "description": "melancholic ambient piano, calm and reflective",
     "lyrics": "rain on the window, the streets are grey"},
    {"id": "svc-4", "type": "chapter", "title": "Chapter 1", "transcript": "It was a dark and stormy night."},
]


@pytest.fixture(autouse=True)
def _key(monkeypatch):
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test-dummy")


def stub_config(base_url: str, cache_path: Path | None = None) -> TagConfig:
    return TagConfig(llm=LLMConfig(model="openai/stub", api_base=base_url, max_retries=0,
                                   use_cache=cache_path is not None,
                                   cache_path=str(cache_path) if cache_path else None),
                     llm_mode="always")  # every item reaches the stub: the LLM path is under test


def write_catalog(path: Path, rows: list[dict]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    return path


def start_liner_serve(args: list[str], preexec_fn=None, ready_s: float = 120):
    """A real ``liner serve`` process on a free port with ``args`` (stderr piped), once /healthz
    answers 200: ``(proc, base_url)``. The caller stops it."""
    import os
    import subprocess
    import sys
    import time

    import httpx

    from linernotes.llm.embedded import free_port

    port = free_port()
    proc = subprocess.Popen([sys.executable, "-m", "linernotes.cli.app", "serve", "--port", str(port), *args],
                            env={**os.environ, "OPENAI_API_KEY": "sk-test-dummy"},
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, preexec_fn=preexec_fn)
    deadline = time.monotonic() + ready_s
    while True:
        assert proc.poll() is None, proc.stderr.read()
        try:
            if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=2).status_code == 200:
                return proc, f"http://127.0.0.1:{port}"
        except httpx.HTTPError:
            pass
        if time.monotonic() > deadline:
            proc.kill()
            raise AssertionError("liner serve did not become ready")
        time.sleep(0.2)
