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


def _tagged(tmp_path: Path, rows: list[dict]) -> dict[str, dict]:
    """``liner tag --llm never`` (the real tools, the shipped fusion) of ``rows``: id -> enrichment."""
    from linernotes.cli.app import app

    cat = tmp_path / "cat.jsonl"
    cat.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    r = CliRunner().invoke(app, ["tag", str(cat), "-o", str(tmp_path / "o.jsonl"), "--llm", "never", "--no-progress"])
    assert r.exit_code == 0, r.output
    return {x["id"]: x["enrichment"] for x in map(json.loads, (tmp_path / "o.jsonl").read_text().splitlines())}


@pytest.mark.slow  # the real tools and the shipped fusion
def test_a_doubtful_none_is_routed_naming_the_likeliest_flag(tmp_path: Path) -> None:
    from linernotes.fusion.artifact import default_fusion_dir, load_fusion

    rows = [{"id": "a", "type": "track", "title": "Lincoln",
             "description": "Bring a gun to Lincoln High tomorrow and shoot every teacher you see."},
            {"id": "c", "type": "track", "title": "Sunrise",
             "description": "A warm ambient piece recorded at dawn on the coast of Portugal."}]
    recs = _tagged(tmp_path, rows)
    classes = set(load_fusion(default_fusion_dir()).fields["policy"].model.classifier.classes) - {"none"}
    doubtful = [s for s in recs["a"]["review"]["reasons"] if s.startswith("low confidence: policy")]
    assert not recs["a"]["policy_flags"] and len(doubtful) == 1, recs["a"]["review"]
    assert doubtful[0].rsplit("; answered none, likeliest flag: ", 1)[1] in classes
    assert recs["c"]["review"]["reasons"] == [] and recs["c"]["confidence"]["policy"] >= 0.5  # a clean none: no reason


def test_a_none_answer_beside_a_lexicon_flag_is_not_that_flags_confidence() -> None:
    """The combiner's 'none' with the lexicon's flag in the record (the record's answer is the
    flag): the confidence becomes P(not none), uncalibrated, with a note naming the words; a flag
    answer, a none without hits and a hand-set none are left alone."""
    from linernotes.agents.decisions import lexicon_dissent
    from linernotes.schema import EvidenceSpan
    from linernotes.tools.policy.lookup import PolicyHit

    def hit(cid: str, text: str) -> PolicyHit:
        return PolicyHit(policy_id="harmful-content", clause_id=cid, severity=1, term=text.lower(),
                         span=EvidenceSpan(field="title", start=0, end=len(text), text=text))

    ev = [(h.clause_id, h.span.text) for h in (hit("drugs.reference", "LSD"), hit("drugs.reference", "LSD"),
                                                hit("profanity.general", "Dick's"))]
    none = Decision(value=None, label="none", confidence=0.9756, calibrated=True, threshold=0.5005,
                    scores={"none": 0.97, "malicious_uses": 0.02})
    out = lexicon_dissent(none, ev)
    assert out is not None and out.value is None and out.label == "none"
    assert out.confidence == 0.0244 and not out.calibrated and out.threshold is None
    assert out.note is not None and out.note.startswith("to confirm: policy: the lexicon flags ")
    assert "drugs.reference ('LSD')" in out.note and "profanity.general (\"Dick's\")" in out.note
    assert "none at 0.98" in out.note
    assert none.confidence == 0.9756 and none.calibrated  # the combiner's decision is not changed in place
    flag = Decision(value="drugs.reference", label="malicious_uses", confidence=0.7, calibrated=True)
    assert lexicon_dissent(flag, ev) is flag
    assert lexicon_dissent(none, []) is none
    hand = Decision(value=None, confidence=0.9)
    assert lexicon_dissent(hand, ev) is hand
    assert lexicon_dissent(None, ev) is None


@pytest.mark.slow  # the real tools and the shipped fusion
def test_a_title_the_lexicon_flags_and_the_combiner_calls_clean_is_routed(tmp_path: Path) -> None:
    """Before: "LSD" (the lexicon's drugs.reference) was auto-accepted with the combiner's
    calibrated 0.56 for 'none' as the confidence of the record's drug-reference flag."""
    rows = [{"id": "lsd", "type": "track", "title": "LSD", "artist": "The Acid Kings",
             "description": "Psychedelic rock from the desert."},
            {"id": "dick", "type": "track", "title": "Dick's Picks Volume 4", "artist": "Grateful Dead",
             "description": "Live recording, 1970."}]
    recs = _tagged(tmp_path, rows)
    for rid, clause in (("lsd", "drugs.reference"), ("dick", "profanity.general")):
        rec = recs[rid]
        assert [f["clause_id"] for f in rec["policy_flags"]] == [clause]
        assert "policy" not in rec["confidence"]["calibrated"] and "policy" not in rec["confidence"]["thresholds"]
        notes = [s for s in rec["review"]["reasons"] if s.startswith("to confirm: policy: the lexicon flags")]
        assert rec["review"]["routed"] and len(notes) == 1, rec["review"]
        assert notes[0].startswith(f"to confirm: policy: the lexicon flags {clause} (")
        p_none = float(notes[0].split("none at ", 1)[1].split(";", 1)[0])
        assert p_none >= 0.5  # the combiner called it clean ...
        assert abs(rec["confidence"]["policy"] - (1 - p_none)) < 0.006  # ... and the flag has the rest
