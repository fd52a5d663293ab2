"""The item page says which confidences are calibrated probabilities and which are hand-set.
Before (QA qa-policy18): 'policy 0.9 · calibrated ['valence'] · thresholds {'valence': 0.5}', the
record's list and dict printed as Python literals beside the numbers, so the hand-set 0.9 a policy
text beyond the combiner's fitted length gets read like a calibrated one."""

from __future__ import annotations

import json
from pathlib import Path

from fastapi.testclient import TestClient

from linernotes.review.web.app import Settings, create_app
from linernotes.review.web.views import confidence_notes
from tests.review.conftest import make_prediction, vader_row


def _prediction() -> dict:
    pred = make_prediction(0.3, conf=0.5)
    pred["confidence"].update(valence=0.6417, policy=0.9, genres=0.3864, calibrated=["valence", "genres"],
                              thresholds={"valence": 0.5})
    return pred


def test_each_confidence_says_its_kind() -> None:
    notes = confidence_notes(_prediction())
    assert "policy 0.9 hand-set" in notes
    assert "valence 0.6417 calibrated, reviewed below 0.5" in notes
    assert "genres 0.3864 calibrated, advisory (never routed)" in notes
    flagged = _prediction()
    flagged["confidence"].update(policy=0.6132, calibrated=["policy"], thresholds={"policy": 1.0})
    assert "policy 0.6132 calibrated, always reviewed" in confidence_notes(flagged)
    assert not any(n.startswith(("calibrated", "thresholds")) for n in notes)  # they describe the others
    # a new user's find: the record's llm_only (trk-004's moods, a flat 0.3 no tool supports) read
    # 'moods 0.3 hand-set' like any rule's score
    guessed = _prediction()
    guessed["confidence"].update(moods=0.3, llm_only=["moods"])
    notes = confidence_notes(guessed)
    assert "moods 0.3 hand-set, the LLM's alone (no tool supports it)" in notes
    assert not any(n.startswith("llm_only") for n in notes)


def test_a_malformed_record_is_shown_as_hand_set_never_as_calibrated() -> None:
    """A store reads predictions from any file: a string is no list of fields ("policy" in
    "policy_x" is a substring), and a non-number threshold is none."""
    pred = _prediction()
    pred["confidence"].update(calibrated="policy_x,valence", thresholds=[0.5])
    assert {n.split()[0]: n.split(" ", 2)[2] for n in confidence_notes(pred)}["policy"] == "hand-set"
    assert confidence_notes({"confidence": "high"}) == [] and confidence_notes(None) == []


def test_the_item_page_shows_them(tmp_path: Path) -> None:
    from linernotes.review.build import build_store

    gold = tmp_path / "gold.jsonl"
    gold.write_text(json.dumps(vader_row("long", [3, 3, 3, 3, 3], "a long episode description")) + "\n",
                    encoding="utf-8")
    run = tmp_path / "out.jsonl"
    run.write_text(json.dumps({"id": "long", "status": "ok", "enrichment": _prediction(), "error": None}) + "\n",
                   encoding="utf-8")
    store = tmp_path / "review.sqlite"
    build_store(store, run=run, gold=gold)
    with TestClient(create_app(Settings(store=store)), base_url="http://127.0.0.1") as c:
        html = c.get("/item/long").text
    assert "policy 0.9 hand-set" in html and "valence 0.6417 calibrated, reviewed below 0.5" in html
    assert "[&#39;valence&#39;" not in html and "calibrated [" not in html
