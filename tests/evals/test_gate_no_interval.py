"""gate19: a ``mode: significant`` rule passed any drop when no confidence interval could be
formed (too few items or clusters: 'cannot tell, not failed'), so on a small slice a candidate
whose micro-F1 halved passed the gate. Now it fails, saying the interval could not be formed and
why, unless the rule opts in with ``on_no_interval: pass``."""

from __future__ import annotations

import pytest

from linernotes.evals.gate import GateError, Rule, Rules, decide, load_rules, run_gate
from linernotes.evals.scoring import score_record
from tests.evals.test_baselines_scoring import genre_record


def _runs(tmp_path):
    """4 items in 4 clusters (every interval withheld); the candidate is right on half of them."""
    base, cand = tmp_path / "base.json", tmp_path / "cand.json"
    score_record(genre_record(4, 1.0), resamples=50).save(base)
    score_record(genre_record(4, 0.5), resamples=50).save(cand)
    return base, cand


def test_a_drop_without_an_interval_fails_a_significance_rule(tmp_path):
    base, cand = _runs(tmp_path)
    res = run_gate(base, cand, Rules(rules=[Rule(metric="genres.micro_f1", mode="significant", max_drop=0.02)]),
                   resamples=200)
    o = res.outcomes[0]
    assert not res.passed and o.status == "fail" and o.delta < 0
    assert "no interval could be formed" in o.reason and "too few items or clusters" in o.reason
    assert "on_no_interval: pass" in o.reason  # says how to opt out


def test_on_no_interval_pass_is_an_explicit_opt_in(tmp_path):
    base, cand = _runs(tmp_path)
    gates = tmp_path / "gates.yaml"
    gates.write_text("rules:\n  - metric: genres.micro_f1\n    mode: significant\n    on_no_interval: pass\n")
    res = run_gate(base, cand, load_rules(gates), resamples=200)
    assert res.passed and "on_no_interval: pass" in res.outcomes[0].reason


def test_unchanged_or_better_point_value_still_passes_without_an_interval(tmp_path):
    base, cand = _runs(tmp_path)
    rules = Rules(rules=[Rule(metric="genres.micro_f1", mode="significant")])
    assert run_gate(base, base, rules, resamples=200).passed
    assert run_gate(cand, base, rules, resamples=200).passed  # the "candidate" improved
    out = decide(Rule(metric="m", mode="significant"), 0.5, 0.5, None, "3 items")
    assert out.status == "pass" and "point value" in out.reason


def test_on_no_interval_on_a_non_inferior_rule_is_refused_at_its_line(tmp_path):
    gates = tmp_path / "gates.yaml"
    gates.write_text("rules:\n  - metric: genres.micro_f1\n    max_drop: 0.02\n    on_no_interval: pass\n")
    with pytest.raises(GateError, match=r"gates.yaml:4: .*on_no_interval: applies to mode: significant only"):
        load_rules(gates)
