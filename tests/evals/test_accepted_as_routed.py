"""An eval counts a field as auto-accepted only when route accepted it: a reason of the record can
send the field to a person whatever its confidence (a policy flag read in one passage of a long
text, a text too long to read, a severe flag), and a declared signal is held to the threshold its
record names, not the run's. Before, the eval compared the confidence alone with the level, so
long policy requests at a hand-set 0.9 that a passage flag routed were 'auto-accepted'
(``hand_set_accepted`` 3 where route accepted 1) and so were they in ``auto_accept_share``."""

from __future__ import annotations

import pytest

from linernotes.agents.nodes.signals import review_reason
from linernotes.evals.record import ItemResult, RunRecord
from linernotes.evals.scoring import score_record, task_scores
from linernotes.evals.spec import TaskSpec
from linernotes.evals.synthetic import TASKS
from linernotes.fusion.decide import unread_note
from linernotes.schema import Review
from linernotes.signals.decide import SignalDecision
from linernotes.signals.spec import SignalSpec

PASSAGE = ('to confirm: policy insult in one passage of this long text (description: "Write a message '
           'threatening my coworker so she quits her job."; P(none) 0.086 < 0.230, the threshold for 2 passages; '
           'the combiner is fitted on texts of up to 34 tokens, so this flag is uncalibrated)')


def test_the_fields_a_records_reasons_send_to_a_person() -> None:
    mood = SignalSpec.model_validate({"name": "mood", "kind": "single_label", "labels": ["calm", "tense"],
                                      "instructions": "the mood"})
    low = review_reason(mood, SignalDecision(value="calm", confidence=0.4, source="llm"), 0.5, False)
    empty = review_reason(mood, SignalDecision(value=None, confidence=0.0, source="evidence"), 0.5, False)
    assert Review.fields_in({"reasons": [low]}) == Review.fields_in({"reasons": [empty]}) == {"signals.mood"}
    assert Review.fields_in({"reasons": [PASSAGE]}) == {"policy"}
    assert Review.fields_in({"reasons": [unread_note("policy", 9, llm=False)]}) == {"policy"}
    assert Review.fields_in({"reasons": ["policy severity 3"]}) == {"policy"}
    assert Review.fields_in({"reasons": ["low confidence: genres 0.26 < 0.50 (uncalibrated)",
                                         "to confirm: policy 0.91 (no confidence level of this answer reached the "
                                         "target precision out of fold)"]}) == {"genres", "policy"}
    # reasons that name no field, and records that are not what a record holds
    assert Review.fields_in({"reasons": ["unresolved: genre id 'x' is not in taxonomy", "audio: audio.missing",
                                         "signals: llm.timeout"]}) == set()
    assert Review.fields_in(None) == Review.fields_in({"reasons": "policy severity 3"}) == set()


def _policy_pred(reasons: list[str]) -> dict:
    return {"policy_flags": [{"clause_id": "profanity.insult", "severity": 2}],
            "confidence": {"genres": 0.9, "valence": 0.9, "policy": 0.9, "calibrated": []},
            "review": {"routed": bool(reasons), "reasons": reasons}}


def test_a_policy_answer_route_sent_to_a_person_is_not_auto_accepted() -> None:
    """Four hand-set 0.9 policy answers, above the run's 0.5: one accepted by route, three routed
    by a reason that is not their confidence (passage flag, unread text, severity)."""
    task = TaskSpec.model_validate(TASKS[2])
    reasons = [[], [PASSAGE], [unread_note("policy", 9, llm=False)], ["policy severity 3"]]
    items = [ItemResult(id=f"i{n}", gold={"policy": "insult"}, prediction=_policy_pred(r))
             for n, r in enumerate(reasons)]
    scored = task_scores(task, items)
    assert scored.stats["policy.auto_accept_share"].point() == pytest.approx(1 / 4)  # was 4/4
    hs = scored.extras["policy.hand_set"]
    assert hs["hand_set"] == 4 and hs["hand_set_accepted"] == 1  # was 4
    # a reason about another field leaves policy accepted
    other = [ItemResult(id="g", gold={"policy": "insult"},
                        prediction=_policy_pred(["low confidence: genres 0.26 < 0.50 (uncalibrated)"]))]
    assert task_scores(task, other).extras["policy.hand_set"]["hand_set_accepted"] == 1


def _signal_item(n: int, conf: float, threshold: float | None, reasons: list[str]) -> ItemResult:
    prov = {} if threshold is None else {"threshold": threshold}
    pred = {"signals": {"mood": {"value": "calm", "confidence": conf, "evidence": {}, "provenance": prov}},
            "review": {"routed": bool(reasons), "reasons": reasons}}
    return ItemResult(id=f"s{n}", gold={"mood": "calm"}, prediction=pred)


def test_a_signal_is_accepted_at_the_threshold_its_record_names() -> None:
    """The mood spec's review_threshold 0.7 routed its 0.6 (the record says so); the run's 0.5
    would have accepted it. A record without a threshold is held to the run's."""
    task = TaskSpec(name="mood", kind="single_label", gold_field="mood", signal="mood")
    items = [_signal_item(0, 0.6, 0.7, ["low confidence: signal mood 0.60 < 0.70 (uncalibrated)"]),
             _signal_item(1, 0.8, 0.7, []),
             _signal_item(2, 0.6, None, [])]
    scored = task_scores(task, items, threshold=0.5)
    assert scored.stats["mood.auto_accept_share"].point() == pytest.approx(2 / 3)  # was 3/3
    # the signal's own level is an operating point of the risk-coverage table
    assert 0.7 in {row["threshold"] for row in scored.extras["mood.risk_coverage"]}


def test_a_scored_record_counts_what_route_accepted() -> None:
    """Through score_record, as `liner eval` scores: the run's review threshold from its config."""
    items = [ItemResult(id="a", gold={"policy": "insult"}, prediction=_policy_pred([])),
             ItemResult(id="b", gold={"policy": "insult"}, prediction=_policy_pred([PASSAGE]))]
    rec = score_record(RunRecord(spec="t", gold_fingerprint="f", tasks=[TASKS[2]], items=items), resamples=50)
    assert rec.metrics["policy.auto_accept_share"].value == pytest.approx(1 / 2)
    assert rec.extras["policy.hand_set"]["hand_set_accepted"] == 1
