"""A record routed to confirm a severe policy flag ranks above routine low-confidence items: its
queue priority counts the model's confidence in the flag, not only its uncertainty. QA session 22:
a threat flagged at policy 0.97 and routed 'policy severity 4' / 'to confirm: policy 0.97' had
uncertainty 0.10 (1 - 0.97, floored) and priority 0.010, below every genre item routed for low
confidence (0.015-0.024): the queue's most urgent item sat behind the routine ones."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from linernotes.review.queue import build_queue
from linernotes.review.sources import load_source

CONFIRM = "to confirm: policy {c:.2f} (no confidence level of this answer reached the target precision out of fold)"


def record(item_id: str, reasons: list[str], genres: float = 0.9, policy: float = 0.9, severity: int = 0) -> dict:
    flags = [{"category": "violence.threat", "clause": "violence.threat", "severity": severity, "evidence": []}] \
        if severity else []
    conf = {"genres": genres, "moods": 0.0, "valence": 0.6, "language": 0.95, "explicit": 0.85, "policy": policy,
            "calibrated": ["valence"], "thresholds": {}}
    return {"id": item_id, "status": "ok", "error": None, "enrichment": {
        "genres": ["education"], "moods": [], "valence": 0.1, "language": "en",
        "explicit": {"value": False, "evidence": []}, "policy_flags": flags, "confidence": conf,
        "review": {"routed": bool(reasons), "reasons": reasons}}}


def _queue(tmp_path: Path, recs: list[dict]) -> dict:
    out, gold = tmp_path / "out.jsonl", tmp_path / "catalog.jsonl"
    out.write_text("".join(json.dumps(r) + "\n" for r in recs))
    gold.write_text("".join(json.dumps({"id": r["id"], "type": "episode", "title": "t", "language": "en"}) + "\n"
                            for r in recs))
    return {e.id: e for e in build_queue(load_source(run=out, gold=gold))}


def test_a_severe_flag_routed_for_confirmation_outranks_routine_low_confidence_items(tmp_path: Path) -> None:
    q = _queue(tmp_path, [
        record("threat", ["policy severity 4", CONFIRM.format(c=0.97)], policy=0.97, severity=4),
        record("hate", ["policy severity 3"], policy=0.95, severity=3),
        record("unsure-threat", ["policy severity 4"], policy=0.30, severity=4),
        record("genres-0.05", ["low confidence: genres 0.05 < 0.50 (uncalibrated)"], genres=0.05),
        record("genres-0.39", ["low confidence: genres 0.39 < 0.50 (uncalibrated)"], genres=0.39)])
    order = sorted(q, key=lambda i: -q[i].priority)
    assert order == ["threat", "hate", "unsure-threat", "genres-0.05", "genres-0.39"], {i: q[i].priority for i in q}
    assert q["threat"].uncertainty == pytest.approx(0.97)  # the flag's confidence
    assert q["unsure-threat"].uncertainty == pytest.approx(0.70)  # an unsure flag: its uncertainty, as before


def test_a_confident_policy_answer_without_a_flag_is_not_raised(tmp_path: Path) -> None:
    # 'to confirm: policy' on a record with no flag (a 'none' answer) keeps its uncertainty
    q = _queue(tmp_path, [record("none", [CONFIRM.format(c=0.95)], policy=0.95),
                          record("genres-0.39", ["low confidence: genres 0.39 < 0.50 (uncalibrated)"], genres=0.39)])
    assert q["none"].uncertainty == pytest.approx(0.1) and q["none"].priority < q["genres-0.39"].priority
