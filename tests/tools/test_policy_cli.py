"""``liner tools policy TEXT``: JSON with hits, exact spans and relevant clauses."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from linernotes.cli.tools_cmd import tools_app


def test_policy_command_prints_hits_and_clauses_as_json() -> None:
    text = "you f*cking @sshole, I know where you live and I will shoot you"
    result = CliRunner().invoke(tools_app, ["policy", text, "-k", "2"])
    assert result.exit_code == 0, result.output
    out = json.loads(result.stdout)
    assert out["pack"].startswith("content-policy@")
    assert {h["clause_id"] for h in out["hits"]} == {"profanity.general", "violence.threat"}
    for h in out["hits"]:
        assert text[h["span"]["start"]:h["span"]["end"]] == h["span"]["text"]
    assert out["max_severity"] == max(h["severity"] for h in out["hits"])
    assert 0 < len(out["clauses"]) <= 2


@pytest.mark.slow
def test_real_cli_rejects_an_unknown_pack_with_exit_2(liner) -> None:
    proc = liner(["tools", "policy", "hello", "--pack", "no-such-pack"])
    assert proc.returncode == 2
    assert "no-such-pack" in proc.stderr and proc.stdout == ""
