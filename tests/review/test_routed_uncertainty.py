"""A routed item's queue priority reads the confidence of the field it was routed for, not only of
the gold set's fields (newuser18: a catalog with a language column as gold, an episode routed at
genres 0.39 showed "uncertainty 0.10", from language's 0.95, and sank to the queue's end)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from linernotes.review.queue import build_queue, routed_fields
from linernotes.review.sources import load_source


def record(item_id: str, genres_conf: float, reasons: list[str]) -> dict:
    conf = {"genres": genres_conf, "moods": 0.0, "valence": 0.6, "language": 0.95, "explicit": 0.85,
            "policy": 0.9, "calibrated": ["valence"], "thresholds": {}}
    return {"id": item_id, "status": "ok", "error": None, "enrichment": {
        "genres": ["education"], "moods": [], "valence": 0.1, "language": "en",
        "explicit": {"value": False, "evidence": []}, "policy_flags": [], "confidence": conf,
        "review": {"routed": bool(reasons), "reasons": reasons}}}


@pytest.fixture
def source(tmp_path: Path):
    out, gold = tmp_path / "out.jsonl", tmp_path / "catalog.jsonl"
    recs = [record("low-genres", 0.39, ["low confidence: genres 0.39 < 0.50 (uncalibrated)"]),
            record("audio", 0.9, ["audio: audio.missing"])]
    out.write_text("".join(json.dumps(r) + "\n" for r in recs))
    gold.write_text("".join(json.dumps({"id": r["id"], "type": "episode", "title": "t", "language": "en"}) + "\n"
                            for r in recs))
    return load_source(run=out, gold=gold)


def test_a_routed_item_is_as_uncertain_as_the_field_it_was_routed_for(source) -> None:
    q = {e.id: e for e in build_queue(source)}
    assert q["low-genres"].fields == ["language"]  # the gold's field stays the one to decide
    assert q["low-genres"].uncertainty == pytest.approx(1 - 0.39)
    assert q["audio"].uncertainty == pytest.approx(0.1)  # no field named: the gold fields' (language 0.95)
    assert q["low-genres"].priority > q["audio"].priority


def test_routed_fields_reads_the_field_names_route_writes() -> None:
    from linernotes.review.queue import Reason

    reasons = [Reason(kind="routed", size=0.1, detail=d) for d in (
        "low confidence: genres 0.26 < 0.50 (uncalibrated)", "policy severity 4", "audio: audio.corrupt",
        "to confirm: policy 0.61 (no confidence level of this answer reached the target precision out of fold)",
        "low confidence: genres 0.30 < 0.88 (calibrated)")]
    assert routed_fields(reasons) == ["genres", "policy"]
