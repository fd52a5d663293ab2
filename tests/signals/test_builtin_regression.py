"""Issue 15: the built-in fields through the declared-signal mechanism send the same LLM requests
and write the same records on 4 items of the CI slice (``ci_slice.SUBSET``: one per built-in field kind
and both policy sources) as before it (fixture captured by ``python -m tests.signals.ci_slice --write``;
its 4 records are the 12-item fixture's records for those ids, unchanged)."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest

from tests.signals.ci_slice import FIXTURE, capture

pytestmark = [pytest.mark.slow, pytest.mark.e2e]


def test_ci_slice_same_requests_and_records(tmp_path: Path) -> None:
    want = json.loads(FIXTURE.read_text(encoding="utf-8"))
    got = asyncio.run(capture(tmp_path))
    assert got["requests"] == want["requests"], "the built-ins' LLM requests changed (prompt, schema or params)"
    assert [r["id"] for r in got["records"]] == [r["id"] for r in want["records"]]
    for g, w in zip(got["records"], want["records"], strict=True):
        assert g == w, f"record {w['id']} changed"
