"""Fixtures for the sink tests: the stub endpoint (a test double). The reliability suite's warm
fork server for real ``liner`` processes that can be SIGKILLed (``forkcli``) is session-wide, in
tests/conftest.py."""

from __future__ import annotations

import json
from pathlib import Path

import hypothesis  # noqa: F401
import pytest

from linernotes.testing.openai_stub import StubServer

# Why hypothesis is imported here: its pytest plugin imports it at the terminal summary, and after
# Beam has raised the recursion limit CPython 3.11.7 can fail that import ("AST constructor
# recursion depth mismatch", an INTERNALERROR after every test passed). Imported first, it never is.


@pytest.fixture(scope="module")
def stub():
    with StubServer(latency_ms=0) as srv:
        yield srv


@pytest.fixture(scope="module")
def slow_stub():
    """20 ms per answer, so several items are in flight when a kill lands."""
    with StubServer(latency_ms=20) as srv:
        yield srv


def write_catalog(path: Path, n: int, bad_lines: int = 0) -> Path:
    rows = [json.dumps({"id": f"item-{i:03d}", "title": f"Song {i}", "artist": "Sink Test",
                        "description": "minimal techno with acid bass" if i % 2 else "calm ambient piano"})
            for i in range(n)]
    rows += ['{"title": "no id here"}'] * bad_lines
    path.write_text("\n".join(rows) + "\n")
    return path
