"""Fixtures for the sink tests: the stub endpoint (a test double) and the reliability suite's
warm fork server for real ``liner`` processes that can be SIGKILLed."""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path

import hypothesis  # noqa: F401
import pytest

from linernotes.testing.openai_stub import StubServer

# Why hypothesis is imported here: its pytest plugin imports it at the terminal summary, and after
# Beam has raised the recursion limit CPython 3.11.7 can fail that import ("AST constructor
# recursion depth mismatch", an INTERNALERROR after every test passed). Imported first, it never is.
RELIABILITY = Path(__file__).resolve().parents[1] / "reliability"


def _reliability_conftest():
    spec = importlib.util.spec_from_file_location("reliability_conftest", RELIABILITY / "conftest.py")
    mod = importlib.util.module_from_spec(spec)
    sys.modules.setdefault(spec.name, mod)  # dataclasses look their module up there
    spec.loader.exec_module(mod)
    return mod


@pytest.fixture(scope="module")
def stub():
    with StubServer(latency_ms=0) as srv:
        yield srv


@pytest.fixture(scope="module")
def slow_stub():
    """20 ms per answer, so several items are in flight when a kill lands."""
    with StubServer(latency_ms=20) as srv:
        yield srv


@pytest.fixture(scope="module")
def forkcli():
    cli = _reliability_conftest().ForkCli()
    yield cli
    cli.close()


def write_catalog(path: Path, n: int, bad_lines: int = 0) -> Path:
    rows = [json.dumps({"id": f"item-{i:03d}", "title": f"Song {i}", "artist": "Sink Test",
                        "description": "minimal techno with acid bass" if i % 2 else "calm ambient piano"})
            for i in range(n)]
    rows += ['{"title": "no id here"}'] * bad_lines
    path.write_text("\n".join(rows) + "\n")
    return path
