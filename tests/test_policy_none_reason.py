"""A 'none' policy answer routed for low confidence names the likeliest flag, so a reviewer sees
what the item might be. QA session 22: "Bring a gun to Lincoln High... shoot every teacher" was
routed as "low confidence: policy 0.14 < 0.50 (calibrated)", naming nothing."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from linernotes.agents.fields import likeliest_flag
from linernotes.fusion.decide import Decision


def test_likeliest_flag_of_a_none_answer_is_the_top_other_class() -> None:
    none = Decision(value=None, label="none", confidence=0.2, calibrated=True,
                    scores={"none": 0.86, "threat": 0.07, "insult": 0.05, "profanity": 0.02})
    assert likeliest_flag(none) == ("threat", 0.07)
    flag = Decision(value="violence.threat", label="threat", confidence=0.6, calibrated=True,
                    scores={"none": 0.3, "threat": 0.6})
    assert likeliest_flag(flag) is None  # a flag names its class already
    assert likeliest_flag(Decision(value=None, label="none", confidence=0.9)) is None  # no probabilities
    assert likeliest_flag(None) is None


@pytest.mark.slow  # the real tools and the shipped fusion
def test_a_doubtful_none_is_routed_naming_the_likeliest_flag(tmp_path: Path) -> None:
    from linernotes.cli.app import app
    from linernotes.fusion.artifact import default_fusion_dir, load_fusion

    rows = [{"id": "a", "type": "track", "title": "Lincoln",
             "description": "Bring a gun to Lincoln High tomorrow and shoot every teacher you see."},
            {"id": "c", "type": "track", "title": "Sunrise",
             "description": "A warm ambient piece recorded at dawn on the coast of Portugal."}]
    cat = tmp_path / "cat.jsonl"
    cat.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    r = CliRunner().invoke(app, ["tag", str(cat), "-o", str(tmp_path / "o.jsonl"), "--llm", "never", "--no-progress"])
    assert r.exit_code == 0, r.output
    recs = {x["id"]: x["enrichment"] for x in map(json.loads, (tmp_path / "o.jsonl").read_text().splitlines())}
    classes = set(load_fusion(default_fusion_dir()).fields["policy"].model.classifier.classes) - {"none"}
    doubtful = [s for s in recs["a"]["review"]["reasons"] if s.startswith("low confidence: policy")]
    assert not recs["a"]["policy_flags"] and len(doubtful) == 1, recs["a"]["review"]
    assert doubtful[0].rsplit("; answered none, likeliest flag: ", 1)[1] in classes
    assert recs["c"]["review"]["reasons"] == [] and recs["c"]["confidence"]["policy"] >= 0.5  # a clean none: no reason
