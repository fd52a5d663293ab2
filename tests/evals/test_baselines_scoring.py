"""Issue 11 items 1 and 3: evidence-only baselines scored with the record's metrics on the same
items, paired record-minus-baseline intervals, the gate's beats_baseline rule, and the
risk-coverage table. Expected values are computed by hand from the inputs."""

from __future__ import annotations

import numpy as np
import pytest

from linernotes.evals.gate import GateError, Rule, Rules, run_gate
from linernotes.evals.metrics.baselines import (
    exemplar_vote,
    label_prior_table,
    lexicon_flags,
    predicted_category,
    shortlist_top,
)
from linernotes.evals.metrics.calibration import risk_coverage
from linernotes.evals.record import ItemResult, RunRecord
from linernotes.evals.scoring import score_record
from linernotes.evals.spec import TaskSpec
from linernotes.evals.synthetic import TASKS


def test_exemplar_vote_issue_example_and_weighted_shares():
    """The issue's track: three 0.93-similar exemplars all say ebm, electro, electronic,
    industrial-techno (the record said only `electronic`)."""
    same = ["ebm", "electro", "electronic", "industrial-techno"]
    ev = {"exemplars": [{"id": f"e{i}", "text": "", "genres": same, "score": 0.93} for i in range(3)]}
    assert exemplar_vote(ev) == sorted(same)
    # shares: a = (0.9+0.5)/1.6 = 0.875, b = 0.9/1.6 = 0.5625, c = 0.2/1.6 = 0.125
    mixed = {"exemplars": [{"genres": ["a", "b"], "score": 0.9}, {"genres": ["a"], "score": 0.5},
                           {"genres": ["c"], "score": 0.2}]}
    assert exemplar_vote(mixed) == ["a", "b"]
    assert exemplar_vote({"exemplars": [{"genres": ["a"], "score": 0.5}, {"genres": ["b"], "score": 0.5}]}) == ["a", "b"]
    assert exemplar_vote({"exemplars": [{"genres": ["a"], "score": 0.0}]}) == []
    assert exemplar_vote({}) == []


def test_shortlist_lexicon_and_label_prior_helpers():
    ev = {"genres": [{"id": "reggaeton", "score": 0.61}, {"id": "latin-pop", "score": 0.3}, {"id": "x", "score": 0.1}]}
    assert shortlist_top(ev, 1) == ["reggaeton"] and shortlist_top(ev, 3) == ["reggaeton", "latin-pop", "x"]
    task = TaskSpec.model_validate(TASKS[2])
    hits = {"policy_hits": [{"policy_id": "p", "clause_id": "profanity.general", "severity": 2},
                            {"policy_id": "p", "clause_id": "hate.identity", "severity": 3},
                            {"policy_id": "p", "clause_id": "profanity.general", "severity": 4}]}
    flags = lexicon_flags(hits)
    assert {f["clause_id"]: f["severity"] for f in flags} == {"profanity.general": 4, "hate.identity": 3}
    assert predicted_category({"policy_flags": flags}, task) == ("profanity", True)
    assert predicted_category({"policy_flags": lexicon_flags({})}, task) == ("none", False)
    table = label_prior_table([("L", ["a", "b"]), ("L", ["b", "c"]), ("L", ["b", "d"]), ("L", ["c"]), ("M", ["z"]),
                               (None, ["q"]), ("L", [])])
    assert table == {"L": ["b", "c", "a"], "M": ["z"]}  # b×3, c×2, then a/d tie -> a


def _genre_item(i, gold, pred, exemplars, shortlist, group, conf=0.8, error=False):
    if error:
        return ItemResult(id=f"g{i}", group=group, gold={"genres": gold}, status="error",
                          error={"kind": "llm.timeout", "message": "x"})
    ev = {"exemplars": [{"id": "e", "text": "", "genres": e, "score": 0.9} for e in exemplars],
          "genres": [{"id": s, "label": s, "score": 0.5} for s in shortlist]}
    return ItemResult(id=f"g{i}", group=group, gold={"genres": gold},
                      prediction={"genres": pred, "valence": 0.0, "policy_flags": [], "confidence": {"genres": conf},
                                  "provenance": {"latency_s": 1.0}, "evidence": ev})


def genre_record(n=40, record_right=0.5, error_every=0):
    """Exemplar votes always right; the record right on a share of items; shortlist top-1 wrong,
    gold second on the shortlist."""
    items = []
    for i in range(n):
        gold = [f"g{i % 6}"]
        pred = gold if i < record_right * n else ["wrong"]
        items.append(_genre_item(i, gold, pred, [gold, gold], ["other", gold[0]], f"L{i % 8}",
                                 conf=0.9 if i < record_right * n else 0.3,
                                 error=bool(error_every) and i % error_every == error_every - 1))
    return RunRecord(spec="t", gold_fingerprint="f", tasks=[TASKS[0]], items=items)


def test_baselines_are_scored_with_the_same_metrics_and_paired_differences():
    rec = score_record(genre_record(40, 0.5, error_every=10), resamples=300)
    m = rec.metrics
    # 36 ok items: exemplar vote right on all of them; the 4 error items count as misses for both
    assert m["baseline.exemplar_vote.genres.micro_recall"].value == pytest.approx(36 / 40)
    assert m["baseline.exemplar_vote.genres.micro_precision"].value == pytest.approx(1.0)
    assert m["baseline.shortlist_top1.genres.micro_f1"].value == 0.0
    # top-3 holds 2 ids, one right: precision 36/72, recall 36/40
    assert m["baseline.shortlist_top3.genres.micro_precision"].value == pytest.approx(0.5)
    assert m["baseline.shortlist_top3.genres.micro_recall"].value == pytest.approx(0.9)
    assert m["baseline.exemplar_vote.genres.micro_f1"].ci_method == "clusters"
    rows = {(r["metric"], r["baseline"]): r for r in rec.extras["baselines"]["comparison"]}
    row = rows[("genres.micro_f1", "exemplar_vote")]
    assert row["diff"] == pytest.approx(m["genres.micro_f1"].value - m["baseline.exemplar_vote.genres.micro_f1"].value)
    assert row["ci_high"] < 0  # the record is clearly worse than the votes it was given
    assert rows[("genres.micro_f1", "shortlist_top1")]["ci_low"] > 0
    assert "genres:label_prior" in rec.extras["baselines"]["skipped"]


def test_valence_lexical_baseline_matches_a_direct_computation():
    rng = np.random.default_rng(3)
    gold = rng.uniform(-1, 1, 30)
    lex = np.clip(gold + rng.normal(0, 0.3, 30), -1, 1)
    model = np.clip(gold + rng.normal(0, 0.6, 30), -1, 1)
    items = [ItemResult(id=f"v{i}", group=f"s{i % 6}", gold={"valence": float(gold[i])},
                        prediction={"valence": float(model[i]), "confidence": {"valence": 0.5},
                                    "evidence": {"lexical_valence": float(lex[i])}, "provenance": {}})
             for i in range(30)]
    rec = score_record(RunRecord(spec="t", gold_fingerprint="f", tasks=[TASKS[1]], items=items), resamples=300)
    assert rec.metrics["baseline.lexical.valence.pearson"].value == pytest.approx(np.corrcoef(lex, gold)[0, 1], abs=1e-6)
    assert rec.metrics["baseline.lexical.valence.mae"].value == pytest.approx(np.abs(lex - gold).mean(), abs=1e-6)
    assert not any(k.startswith("baseline.lexical.valence.human") for k in rec.metrics)


def _rules(**kw):
    return Rules(rules=[Rule(kind="beats_baseline", **kw)])


def test_beats_baseline_rule(tmp_path):
    worse = score_record(genre_record(40, 0.5), resamples=200)
    worse.save(tmp_path / "w.json")
    res = run_gate(tmp_path / "w.json", tmp_path / "w.json", _rules(metric="genres.micro_f1"), resamples=300)
    o = res.outcomes[0]
    assert not res.passed and o.status == "fail" and o.versus == "exemplar_vote"
    assert o.baseline == pytest.approx(1.0) and o.ci_high < 0
    best = score_record(genre_record(40, 1.0), resamples=200)  # the record equals the exemplar vote
    best.save(tmp_path / "b.json")
    tie = run_gate(tmp_path / "b.json", tmp_path / "b.json", _rules(metric="genres.micro_f1"), resamples=300)
    assert tie.passed and tie.outcomes[0].bound == 0.0  # not below the best baseline
    strict = run_gate(tmp_path / "b.json", tmp_path / "b.json", _rules(metric="genres.micro_f1", margin=0.01),
                      resamples=300)
    assert not strict.passed
    # a rule for a task the run lacks is not applicable; with no other rule the gate checked
    # nothing, which is an error, not a pass
    with pytest.raises(GateError, match="no rule applies to this run"):
        run_gate(tmp_path / "b.json", tmp_path / "b.json", _rules(metric="valence.pearson"), resamples=100)


def test_beats_baseline_lower_is_better(tmp_path):
    """valence.mae: the record's error is larger than the lexical tool's, so it does not beat it."""
    gold = np.linspace(-0.9, 0.9, 30)
    items = [ItemResult(id=f"v{i}", group=f"s{i % 6}", gold={"valence": float(g)},
                        prediction={"valence": float(np.clip(g + (0.4 if i % 2 else -0.4), -1, 1)),
                                    "confidence": {"valence": 0.5}, "provenance": {},
                                    "evidence": {"lexical_valence": float(g + 0.05)}})
             for i, g in enumerate(gold)]
    score_record(RunRecord(spec="t", gold_fingerprint="f", tasks=[TASKS[1]], items=items), resamples=100).save(
        tmp_path / "v.json")
    res = run_gate(tmp_path / "v.json", tmp_path / "v.json", _rules(metric="valence.mae", direction="lower"),
                   resamples=300)
    o = res.outcomes[0]
    assert o.status == "fail" and o.versus == "lexical" and o.delta > 0.3 and o.bound < 0


def test_risk_coverage_table_by_hand():
    conf = [0.95, 0.85, 0.6, 0.4, None, 0.9, None]  # item 5 is an error item; item 7 is not in the task
    correct = [1.0, 1.0, 0.0, 1.0, 0.0, 0.0, None]
    rows = {r["threshold"]: r for r in risk_coverage(conf, correct, (0.0, 0.5, 0.9, 0.95))}
    assert rows[0.0] == {"threshold": 0.0, "coverage": 5 / 6, "precision": 3 / 5, "accepted": 5}
    assert rows[0.5] == {"threshold": 0.5, "coverage": 4 / 6, "precision": 2 / 4, "accepted": 4}
    assert rows[0.9] == {"threshold": 0.9, "coverage": 2 / 6, "precision": 1 / 2, "accepted": 2}
    assert rows[0.95]["accepted"] == 1 and rows[0.95]["precision"] == 1.0
    rec = score_record(genre_record(40, 0.5), resamples=50)
    table = {r["threshold"]: r for r in rec.extras["genres.risk_coverage"]}
    assert table[0.5]["coverage"] == 0.5 and table[0.5]["precision"] == 1.0  # conf 0.9 exactly on the right half
    assert table[0.0]["coverage"] == 1.0 and table[0.0]["precision"] == 0.5


def test_a_fused_field_is_scored_as_auto_accepted_at_the_level_route_used():
    """route sends a fused field to review below the level the record's confidence.thresholds
    names (the artifact's, per answer), not the run's review_threshold; a calibrated field with
    no threshold is advisory and never routed. The eval's auto-accept figures follow the record."""
    base = genre_record(40, 0.5)  # conf 0.9 on the right half, 0.3 on the wrong half
    at_run = score_record(base, resamples=50)
    assert at_run.metrics["genres.auto_accept_share"].value == 0.5  # review_threshold 0.5

    def with_conf(rec, **extra):
        items = [it.model_copy(update={"prediction": {**it.prediction, "confidence": {
            **it.prediction["confidence"], **extra}}}) for it in rec.items]
        return rec.model_copy(update={"items": items})

    strict = score_record(with_conf(base, calibrated=["genres"], thresholds={"genres": 0.95}), resamples=50)
    assert strict.metrics["genres.auto_accept_share"].value == 0.0
    assert 0.95 in {r["threshold"] for r in strict.extras["genres.risk_coverage"]}
    advisory = score_record(with_conf(base, calibrated=["genres"], thresholds={}), resamples=50)
    assert advisory.metrics["genres.auto_accept_share"].value == 1.0
    assert advisory.metrics["genres.auto_accept_accuracy"].value == 0.5
    # per item: the wrong half needed only 0.2 here, the right half 0.95 -> only the wrong half passes
    items = [it.model_copy(update={"prediction": {**it.prediction, "confidence": {
        **it.prediction["confidence"], "calibrated": ["genres"],
        "thresholds": {"genres": 0.95 if it.prediction["confidence"]["genres"] > 0.5 else 0.2}}}})
        for it in base.items]
    mixed = score_record(base.model_copy(update={"items": items}), resamples=50)
    assert mixed.metrics["genres.auto_accept_share"].value == 0.5
    assert mixed.metrics["genres.auto_accept_accuracy"].value == 0.0
