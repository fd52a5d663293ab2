"""``liner gate`` given a ``liner tag`` output names it (a new user's probe): it said 'not a run record
of `liner eval` (Invalid JSON: trailing characters at line 2 column 1)'."""

from __future__ import annotations

import json

import pytest

from linernotes.evals.gate import GateError, _load


def test_a_tag_output_is_named_as_one(tmp_path):
    out = tmp_path / "out.jsonl"
    out.write_text("".join(json.dumps({"id": i, "status": "error", "enrichment": None,
                                       "error": {"kind": "input.invalid", "message": "x"}}) + "\n" for i in "ab"))
    with pytest.raises(GateError, match=r"out\.jsonl: is a liner tag output \(one record per line\), not a run record "
                                        r"of `liner eval`: the gate compares two eval runs"):
        _load(out)
    other = tmp_path / "other.jsonl"
    other.write_text('{"x": 1}\n{"x": 2}\n')
    with pytest.raises(GateError, match=r"other\.jsonl: not a run record of `liner eval` \(Invalid JSON"):
        _load(other)
