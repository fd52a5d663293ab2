"""A gate rule's direction follows its metric: a rule on an error-like metric (MAE, ECE, failure
rate) written without ``direction: lower`` read a rise in error as an improvement and passed a
worse run; a direction that contradicts the metric is refused, naming the file, line and rule."""

from __future__ import annotations

from pathlib import Path

import pytest

from linernotes.evals.gate import GateError, Rule, load_rules, run_gate
from linernotes.evals.record import ItemResult, RunRecord
from linernotes.evals.scoring import score_record

TASK = {"name": "valence", "kind": "valence", "gold_field": "mean", "scale": 1.0, "tolerance": 0.25}


def _record(path: Path, error: float, failed: int = 0) -> Path:
    """40 valence items in 8 groups, each predicted ``error`` away from gold at confidence 0.6;
    the first ``failed`` items are error records."""
    items = []
    for n in range(40):
        gold = -0.8 + 0.04 * n
        if n < failed:
            items.append(ItemResult(id=f"v{n}", group=f"g{n % 8}", gold={"valence": gold}, status="error",
                                    error={"kind": "llm.timeout", "message": "x"}))
            continue
        pred = {"valence": gold + (error if n % 2 else -error), "confidence": {"valence": 0.6 + 0.3 * (n % 2)},
                "provenance": {"latency_s": 1.0}}
        items.append(ItemResult(id=f"v{n}", group=f"g{n % 8}", gold={"valence": gold}, prediction=pred))
    score_record(RunRecord(spec="t", gold_fingerprint="f", tasks=[TASK], items=items), resamples=0).save(path)
    return path


@pytest.mark.parametrize(("metric", "worse"), [("valence.mae", {"error": 0.4}), ("valence.ece", {"error": 0.4}),
                                               ("run.failure_rate", {"error": 0.05, "failed": 20})])
def test_an_error_metric_rule_without_direction_fails_a_worse_run(tmp_path: Path, metric: str, worse: dict) -> None:
    base = _record(tmp_path / "base.json", 0.05)
    cand = _record(tmp_path / "cand.json", **worse)
    gates = tmp_path / "gates.yaml"
    gates.write_text(f"rules:\n  - metric: {metric}\n    max_drop: 0.02\n")
    rules = load_rules(gates)
    assert rules.rules[0].direction == "lower"
    result = run_gate(base, cand, rules, resamples=200)
    assert not result.passed, result.outcomes[0].reason
    assert result.outcomes[0].candidate > result.outcomes[0].baseline  # the error grew
    # and the better run is not failed by the same rule
    assert run_gate(cand, base, rules, resamples=200).passed


def test_a_direction_against_the_metric_is_refused_at_its_line(tmp_path: Path) -> None:
    gates = tmp_path / "gates.yaml"
    gates.write_text("rules:\n  - metric: valence.pearson\n  - metric: valence.mae\n    max_drop: 0.05\n"
                     "    direction: higher\n")
    with pytest.raises(GateError) as e:
        load_rules(gates)
    assert str(e.value).startswith(f"{gates}:5: not a valid gates file: rules.1.direction: higher contradicts the "
                                   "metric: a smaller valence.mae is better")
    gates.write_text("rules:\n  - metric: policy.accuracy\n    direction: lower\n")
    with pytest.raises(GateError, match=r"gates.yaml:3: .*a larger policy.accuracy is better"):
        load_rules(gates)


def test_explicit_matching_and_open_directions_are_kept() -> None:
    assert Rule(metric="valence.mae", direction="lower").direction == "lower"
    assert Rule(metric="baseline.lexical.valence.mae").direction == "lower"
    assert Rule(metric="run.latency_p90_s").direction == "lower"
    assert Rule(metric="genres.micro_f1").direction == "higher"
    # a larger auto-accepted share may be wanted or feared: either direction is accepted
    assert Rule(metric="genres.auto_accept_share", direction="lower").direction == "lower"
    assert Rule(metric="genres.auto_accept_share").direction == "higher"
