"""gate19: the beats_baseline rule builds its evidence-only baselines from the candidate's own
evidence. A candidate whose evidence was stripped (all items, or some) was compared with fewer or
emptier baselines than the baseline run had (only the label prior), so a worse tagger passed. It
must fail naming the baseline, the task and how many items lack the evidence."""

from __future__ import annotations

import json

from linernotes.evals.gate import Rule, Rules, run_gate
from linernotes.evals.scoring import score_record
from tests.evals.test_baselines_scoring import genre_record


def _rules(metric="genres.micro_f1"):
    return Rules(rules=[Rule(metric=metric, kind="beats_baseline")])


def _baseline(tmp_path, record_right=1.0):
    """A run that ties its exemplar vote (the vote is always right): it passes beats_baseline."""
    path = tmp_path / "base.json"
    score_record(genre_record(40, record_right), resamples=100).save(path)
    return path


def _strip(src, dst, keys, every=1):
    """``src`` with ``keys`` removed from the evidence of every ``every``-th item."""
    data = json.loads(src.read_text())
    for i, it in enumerate(data["items"]):
        if i % every == 0 and it.get("prediction"):
            for k in keys:
                it["prediction"].get("evidence", {}).pop(k, None)
    dst.write_text(json.dumps(data))
    return dst


def test_a_worse_candidate_without_evidence_fails_naming_the_baseline(tmp_path):
    base = _baseline(tmp_path)
    worse = tmp_path / "worse.json"
    score_record(genre_record(40, 0.5), resamples=100).save(worse)  # loses to its exemplar vote
    assert not run_gate(base, worse, _rules(), resamples=200).passed  # with its evidence: fails
    stripped = _strip(worse, tmp_path / "stripped.json", ["exemplars", "genres"])
    res = run_gate(base, stripped, _rules(), resamples=200)
    o = res.outcomes[0]
    assert not res.passed and o.status == "fail"
    for word in ("exemplar_vote", "shortlist_top1", "task genres", "40 of the 40 items"):
        assert word in o.reason


def test_evidence_stripped_on_some_items_fails_with_the_count(tmp_path):
    base = _baseline(tmp_path)
    part = _strip(base, tmp_path / "part.json", ["exemplars"], every=4)
    res = run_gate(base, part, _rules(), resamples=200)
    o = res.outcomes[0]
    assert not res.passed and "exemplar_vote (task genres): 10 of the 40 items" in o.reason
    assert "shortlist" not in o.reason  # the shortlist is intact


def test_valence_lexical_baseline_stripped_fails(tmp_path):
    from tests.evals.test_baselines_scoring import TASKS, ItemResult, RunRecord
    items = [ItemResult(id=f"v{i}", group=f"s{i % 6}", gold={"valence": g},
                        prediction={"valence": g, "confidence": {"valence": 0.5}, "provenance": {},
                                    "evidence": {"lexical_valence": g}})
             for i, g in enumerate([x / 20 - 0.9 for x in range(36)])]
    base = tmp_path / "v.json"
    score_record(RunRecord(spec="t", gold_fingerprint="f", tasks=[TASKS[1]], items=items), resamples=50).save(base)
    stripped = _strip(base, tmp_path / "vs.json", ["lexical_valence"])
    o = run_gate(base, stripped, _rules("valence.mae"), resamples=100).outcomes[0]
    assert o.status == "fail" and "lexical (task valence): 36 of the 36 items" in o.reason


def test_unchanged_candidate_and_error_items_still_pass(tmp_path):
    """The same run passes; an item the candidate failed on is not counted as stripped evidence."""
    base = _baseline(tmp_path)
    assert run_gate(base, base, _rules(), resamples=200).passed
    data = json.loads(base.read_text())
    data["items"][0].update(prediction=None, status="error", error={"kind": "llm.timeout", "message": "x"})
    failed = tmp_path / "failed.json"
    failed.write_text(json.dumps(data))
    o = run_gate(base, failed, _rules(), resamples=200).outcomes[0]
    assert "lack it in the candidate" not in o.reason


def test_only_items_with_gold_for_the_task_are_counted():
    """Evidence stripped from an item without gold for the task cannot change its baseline."""
    from linernotes.evals.gate_evidence import evidence_gaps
    from tests.evals.test_baselines_scoring import TASKS, ItemResult

    def item(i, gold, ev):
        return ItemResult(id=f"i{i}", gold=gold, prediction={"valence": 0.0, "evidence": ev})

    base = [item(0, {"valence": 0.5}, {"lexical_valence": 0.4}), item(1, {"genres": ["a"]}, {"lexical_valence": 0.1})]
    cand = [item(0, {"valence": 0.5}, {"lexical_valence": 0.4}), item(1, {"genres": ["a"]}, {})]
    assert evidence_gaps("valence.mae", [TASKS[1]], base, cand) == []
    gaps = evidence_gaps("valence.mae", [TASKS[1]], base, [cand[1].model_copy(update={"id": "i0"}), cand[1]])
    assert [(g.baseline, g.task, g.lacking, g.of) for g in gaps] == [("lexical", "valence", 1, 1)]
