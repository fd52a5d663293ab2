"""The shipped policy combiner is not applied outside its fitted domain: a title of one or two
words (no artist, label or description) carries no context for a category classifier, and it
flagged most of them (found by a new-user test). There the lexicon alone decides, marked
uncalibrated; longer text still gets the combiner."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from linernotes.fusion.decide import fused
from linernotes.fusion.observation import Observation
from linernotes.schema import Item


def _obs(**fields) -> Observation:
    return Observation(item=Item(id="x", type="track", **fields), evidence={}, draft=None)


@pytest.mark.parametrize("title", ["Home", "Sunrise", "Untitled", "Hold On", "Track 1", "Lost"])
def test_a_short_title_alone_gets_no_fused_policy_decision(artifact, title) -> None:
    policy = artifact.get("policy", "content-policy")
    assert policy is not None
    assert fused(artifact, "policy", _obs(title=title), "content-policy") is None


def test_text_of_three_words_or_more_still_gets_the_combiner(artifact) -> None:
    d = fused(artifact, "policy", _obs(title="Walking on Sunshine", artist="Katrina", label="Capitol"),
              "content-policy")
    assert d is not None and d.calibrated and 0.0 <= d.confidence <= 1.0
    d = fused(artifact, "policy", _obs(title="Walking on Sunshine"), "content-policy")
    assert d is not None and d.calibrated


def test_tagging_short_titles_writes_no_policy_flag_without_evidence(tmp_path: Path) -> None:
    cat = tmp_path / "titles.jsonl"
    titles = ["Lost", "Home", "Sunrise", "Blue", "Rain", "Untitled", "Intro", "Track 1", "Hold On", "Midnight Drive"]
    cat.write_text("".join(json.dumps({"id": f"w{i}", "type": "track", "title": t}) + "\n"
                           for i, t in enumerate(titles)))
    out = tmp_path / "o.jsonl"
    r = subprocess.run([sys.executable, "-m", "linernotes.cli.app", "tag", str(cat), "-o", str(out), "--llm", "never",
                        "--no-progress"], capture_output=True, text=True, timeout=600,
                       env={**__import__("os").environ, "LITELLM_LOCAL_MODEL_COST_MAP": "True"})
    assert r.returncode == 0, r.stderr[-2000:]
    recs = [json.loads(x) for x in out.read_text().splitlines()]
    assert len(recs) == len(titles)
    for rec in recs:
        e = rec["enrichment"]
        assert e["policy_flags"] == [], (rec["id"], e["policy_flags"])
        assert "policy" not in e["confidence"]["calibrated"]
        assert not any("policy" in reason for reason in e["review"]["reasons"]), e["review"]["reasons"]
