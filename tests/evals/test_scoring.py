"""Scoring a run record: failures are counted and scored as wrong, never NaN or dropped;
re-scoring is deterministic; per-item scores land on the items."""

from __future__ import annotations

import math

import pytest

from linernotes.evals.record import ItemResult, RunRecord
from linernotes.evals.scoring import predicted_category, score_record
from linernotes.evals.spec import TaskSpec
from linernotes.evals.synthetic import TASKS, synthetic_record


def _pred(genres, valence=0.0, flags=(), routed=False, conf=0.8):
    return {"genres": list(genres), "valence": valence, "policy_flags": [{"clause_id": c, "severity": 2} for c in flags],
            "confidence": {"genres": conf, "valence": conf, "policy": conf}, "review": {"routed": routed},
            "provenance": {"latency_s": 1.5, "tokens_in": 10, "tokens_out": 5, "cost_usd": 0.0, "cache_hit": False},
            "evidence": {"genres": [{"id": g, "label": g, "score": 0.5} for g in [*genres, "ambient"]]}}


def _record(error_last: bool) -> RunRecord:
    items = [
        ItemResult(id="a", group="L1", gold={"genres": ["techno"]}, prediction=_pred(["techno"])),
        ItemResult(id="b", group="L1", gold={"genres": ["house"]}, prediction=_pred(["house"])),
        ItemResult(id="c", group="L2", gold={"genres": ["ambient"]}, prediction=_pred(["techno"], conf=0.3)),
    ]
    last = ItemResult(id="d", group="L2", gold={"genres": ["dub"]}, prediction=_pred(["dub"]))
    if error_last:
        last = ItemResult(id="d", group="L2", gold={"genres": ["dub"]}, status="error",
                          error={"kind": "llm.bad_response", "message": "truncated"})
    return RunRecord(spec="t", gold_fingerprint="f", tasks=[TASKS[0]], items=[*items, last])


def test_error_item_is_counted_and_scored_as_empty():
    ok = score_record(_record(error_last=False), resamples=200)
    bad = score_record(_record(error_last=True), resamples=200)
    assert bad.failures == {"llm.bad_response": 1}
    assert bad.metrics["genres.micro_recall"].value == pytest.approx(2 / 4)  # not 2/3: the error is a miss
    assert ok.metrics["genres.micro_recall"].value == pytest.approx(3 / 4)
    assert bad.metrics["genres.micro_recall"].n == 4
    assert bad.metrics["run.failure_rate"].value == pytest.approx(0.25)
    assert bad.items[3].scores["genres.f1"] == 0.0
    assert bad.items[3].scores["genres.context_recall"] == 0.0
    for m in bad.metrics.values():
        assert math.isfinite(m.value)


def test_rescoring_is_deterministic_and_keeps_items():
    rec = synthetic_record(400, seed=3)
    a = score_record(rec, seed=1, resamples=300)
    b = score_record(a, seed=1, resamples=300)
    assert a.metrics == b.metrics
    assert [it.id for it in a.items] == [it.id for it in rec.items]
    assert all(it.scores for it in a.items)


def test_every_metric_has_an_interval_containing_its_point():
    rec = score_record(synthetic_record(600, seed=2), resamples=300)
    assert {"genres.micro_f1", "genres.macro_f1", "valence.pearson", "valence.human_pearson", "policy.accuracy",
            "policy.macro_f1", "policy.flag_recall", "genres.ece", "genres.auroc", "genres.auto_accept_share",
            "run.latency_p50_s"} <= set(rec.metrics)
    for name, m in rec.metrics.items():
        assert m.ci_low is not None and m.ci_low - 1e-6 <= m.value <= m.ci_high + 0.05 * abs(m.value) + 1e-6, name


def test_policy_category_is_most_severe_mapped_flag():
    task = TaskSpec.model_validate(TASKS[2])
    pred = {"policy_flags": [{"clause_id": "profanity.general", "severity": 2}, {"clause_id": "hate.identity", "severity": 4}]}
    assert predicted_category(pred, task) == ("identity_attack", True)
    assert predicted_category({"policy_flags": []}, task) == ("none", False)
    assert predicted_category(None, task) == ("none", False)


def test_unresolved_verification_is_counted_as_validation_failure():
    rec = _record(error_last=False)
    rec.items[0].prediction["review"] = {"routed": True, "reasons": ["unresolved: genre id 'x' is not in taxonomy"]}
    scored = score_record(rec, resamples=50)
    assert scored.metrics["run.validation_failure_rate"].value == pytest.approx(1 / 4)


def test_skipped_judge_is_reported_not_silent():
    rec = score_record(_record(error_last=False), resamples=100)
    assert "rationale.faithfulness" in rec.extras["skipped"]
    assert "rationale.faithfulness" not in rec.metrics


def test_auto_accept_is_per_field_at_the_runs_review_threshold():
    """Item c has genre confidence 0.3: below the default threshold 0.5, above 0.25. Routing of
    the whole item (another field may route it) does not decide whether genres were accepted."""
    rec = _record(error_last=False)
    rec.items[0].prediction["review"]["routed"] = True
    default = score_record(rec, resamples=100)
    assert default.metrics["genres.auto_accept_share"].value == pytest.approx(3 / 4)
    assert default.metrics["genres.auto_accept_accuracy"].value == pytest.approx(1.0)  # a, b, d right
    low = score_record(rec.model_copy(update={"config": {"review_threshold": 0.25}}), resamples=100)
    assert low.metrics["genres.auto_accept_share"].value == pytest.approx(1.0)
    assert low.metrics["genres.auto_accept_accuracy"].value == pytest.approx(3 / 4)  # c is wrong
