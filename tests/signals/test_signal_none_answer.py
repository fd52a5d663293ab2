"""A declared multilabel signal's "none of these applies" (QA, session 16). The model may answer []
(the schema's minItems is 0, and eval scores a gold [] since f0fa259), but decide() took [] for no
answer and put the shortlist's best label in its place: a content-warning signal got a warning on
every clean item. Review likewise read the model's [] as no prediction, so an item with gold
['calm'] and the model's [] was not queued as a disagreement and 'accept model' could not take it."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from linernotes.review.build import build_store
from linernotes.review.store import Adjudication, ReviewStore
from linernotes.signals.decide import decide
from linernotes.signals.spec import load_signals

SPEC = "name: warnings\nkind: multilabel\nlabels: [violence, drugs]\ninstructions: Content warnings.\n"


@pytest.fixture
def spec(tmp_path: Path):
    (tmp_path / "w.yaml").write_text(SPEC, encoding="utf-8")
    (s,) = load_signals([tmp_path / "w.yaml"])
    return s


def test_an_empty_answer_is_none_of_the_labels(spec) -> None:
    evidence = {"shortlist": [{"id": "drugs", "score": 0.8}, {"id": "violence", "score": 0.1}]}
    d = decide(spec, [], True, evidence)
    assert (d.value, d.source) == ([], "llm")
    assert d.confidence == pytest.approx(0.35 + 0.55 * 0.2)  # the shortlist's 0.8 for drugs speaks against it
    assert decide(spec, [], True, {}).confidence == 0.55  # no evidence either way


def test_labels_all_dropped_or_no_answer_still_fall_back_to_the_evidence(spec) -> None:
    evidence = {"shortlist": [{"id": "drugs", "score": 0.8}]}
    d = decide(spec, ["gore"], True, evidence)  # every label invalid: not the model saying none applies
    assert (d.value, d.source) == (["drugs"], "evidence") and d.problems
    assert decide(spec, None, False, evidence).value == ["drugs"]


def test_review_reads_the_models_none_as_its_answer(tmp_path: Path, spec) -> None:
    catalog = tmp_path / "c.jsonl"
    catalog.write_text("".join(json.dumps({"id": i, "type": "track", "title": i, **g}) + "\n"
                               for i, g in [("a", {"warnings": ["drugs"]}), ("b", {})]), encoding="utf-8")

    def record(item: str, source: str) -> str:
        return json.dumps({"id": item, "status": "ok", "error": None, "enrichment": {
            "genres": [], "moods": [], "valence": 0.0, "language": "en", "explicit": {"value": False, "evidence": []},
            "policy_flags": [], "confidence": {}, "review": {"routed": False, "reasons": []},
            "signals": {"warnings": {"value": [], "confidence": 0.7, "evidence": {},
                                     "provenance": {"spec_hash": spec.content_hash, "source": source}}}}}) + "\n"

    run = tmp_path / "tagged.jsonl"
    run.write_text(record("a", "llm") + record("b", "llm"), encoding="utf-8")
    build_store(tmp_path / "s.sqlite", run=run, gold=catalog, signals=[spec])
    store = ReviewStore(tmp_path / "s.sqlite")
    assert store.get("a").entry.reasons[0].kind == "model_disagrees"  # model none vs gold drugs
    state = store.adjudicate("b", Adjudication(annotator="ann", action="accept_model", version=store.get("b").version))
    assert state.decision == {"warnings": []} and state.status == "adjudicated"
    # [] from --llm never (source none) is no answer: nothing to accept
    run.write_text(record("a", "none") + record("b", "none"), encoding="utf-8")
    build_store(tmp_path / "t.sqlite", run=run, gold=catalog, signals=[spec])
    assert [i.id for i in ReviewStore(tmp_path / "t.sqlite").list_items()] == ["b"]  # a has gold and no disagreement


def test_a_doubtful_none_answer_is_routed_as_low_confidence_not_as_no_value(spec) -> None:
    # the model's [] below the threshold was routed 'no value: signal warnings' (QA, session 16):
    # the reviewer is asked to check an answer, not to give a missing one
    from linernotes.agents.nodes.signals import review_reason
    from linernotes.signals.decide import SignalDecision

    said_none = decide(spec, [], True, {"shortlist": [{"id": "drugs", "score": 0.8}]})
    assert review_reason(spec, said_none, 0.9, False) == "low confidence: signal warnings 0.46 < 0.90 (uncalibrated)"
    fitted_none = SignalDecision(value=[], confidence=0.4, source="fitted")
    assert review_reason(spec, fitted_none, 0.8, True).startswith("low confidence: signal warnings 0.40")
    found_nothing = decide(spec, None, False, {})  # no answer, no evidence: nothing decided
    assert found_nothing.value in (None, [])
    assert review_reason(spec, found_nothing, 0.5, False) == "no value: signal warnings"
