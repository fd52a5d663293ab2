"""``liner tools policy TEXT``: JSON with hits, exact spans and relevant clauses."""

from __future__ import annotations

import json

import pytest


@pytest.mark.slow
def test_policy_command_prints_hits_and_clauses_as_json(liner) -> None:
    text = "you f*cking @sshole, I know where you live"
    proc = liner(["tools", "policy", text, "-k", "2"])
    assert proc.returncode == 0, proc.stderr
    out = json.loads(proc.stdout)
    assert out["pack"].startswith("content-policy@")
    assert {h["clause_id"] for h in out["hits"]} >= {"violence.threat"}
    for h in out["hits"]:
        assert text[h["span"]["start"]:h["span"]["end"]] == h["span"]["text"]
    assert out["max_severity"] == max(h["severity"] for h in out["hits"])
    assert 0 < len(out["clauses"]) <= 2


@pytest.mark.slow
def test_policy_command_rejects_an_unknown_pack(liner) -> None:
    proc = liner(["tools", "policy", "hello", "--pack", "no-such-pack"])
    assert proc.returncode == 2
    assert "no-such-pack" in proc.stderr
