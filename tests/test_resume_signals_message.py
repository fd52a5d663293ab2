"""A resume refused because the declared signals changed names each spec by name and content hash
(QA: the message showed 60 characters of each spec's JSON, identical on both sides)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from linernotes.run.prepare import ResumeMismatch, check_resume, manifest_path


def _spec(name: str, h: str) -> dict:
    return {"applies_to": ["track", "episode", "chapter"], "content_hash": h, "evidence": [], "instructions": "x",
            "kind": "boolean", "name": name}


def test_changed_signals_are_named_with_their_hashes(tmp_path: Path) -> None:
    out = tmp_path / "o.jsonl"
    manifest_path(out).write_text(json.dumps({"resume_identity": {"signals": [_spec("vibe", "aaaa1111")]}}))
    with pytest.raises(ResumeMismatch) as e:
        check_resume(out, {"signals": [_spec("vibe", "bbbb2222"), _spec("energy", "cccc3333")]}, has_records=True)
    assert "signals: [vibe#aaaa1111] (then) -> [vibe#bbbb2222, energy#cccc3333] (now)" in str(e.value)
    with pytest.raises(ResumeMismatch) as e:
        check_resume(out, {"signals": None}, has_records=True)
    assert "signals: [vibe#aaaa1111] (then) -> null (now)" in str(e.value)
