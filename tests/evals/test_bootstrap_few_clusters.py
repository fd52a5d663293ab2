"""Issue 12 item 13, too few clusters: a clustered bootstrap over one cluster gives a zero-width
interval that looks certain. Below MIN_CLUSTERS contributing clusters the interval falls back to
item resampling (and says so); below MIN_ITEMS items it is withheld; the gate never reads a
zero-width interval from too few clusters as certainty."""

from __future__ import annotations

import numpy as np
import pytest

from linernotes.evals.bootstrap import MIN_CLUSTERS, bootstrap, group_codes, paired_bootstrap
from linernotes.evals.gate import Rule, decide
from linernotes.evals.metrics.core import ratio_stat
from linernotes.evals.record import ItemResult, RunRecord
from linernotes.evals.scoring import score_record
from linernotes.evals.synthetic import TASKS

VALENCE = TASKS[1]


def _valence_record(golds, preds, groups) -> RunRecord:
    items = [ItemResult(id=f"v{i}", group=g, gold={"valence": gv, "valence_ratings": [gv, gv]},
                        prediction={"valence": pv, "confidence": {"valence": 0.6}, "policy_flags": [], "genres": [],
                                    "provenance": {"latency_s": 1.0}})
             for i, (gv, pv, g) in enumerate(zip(golds, preds, groups, strict=True))]
    return RunRecord(spec="t", gold_fingerprint="f", tasks=[VALENCE], items=items)


def test_issue_input_four_items_one_group_withholds_the_interval():
    """The reported input: valence.mae 0.637 [0.637, 0.637] from 4 items sharing one group."""
    rec = score_record(_valence_record([0.5, -0.4, 0.2, 0.9], [-0.2, 0.3, -0.5, 0.1], ["tweets"] * 4), resamples=200)
    mae = rec.metrics["valence.mae"]
    assert mae.value == pytest.approx((0.7 + 0.7 + 0.7 + 0.8) / 4)
    assert mae.ci_low is None and mae.ci_high is None
    assert mae.ci_method == "withheld" and mae.clusters == 1
    assert "withheld" in rec.extras["interval_notes"]["valence.mae"]


def test_one_group_of_many_items_falls_back_to_item_resampling():
    rng = np.random.default_rng(4)
    g = rng.uniform(-1, 1, 40)
    p = np.clip(g + rng.normal(0, 0.3, 40), -1, 1)
    rec = score_record(_valence_record(g.tolist(), p.tolist(), ["one-source"] * 40), resamples=300)
    mae = rec.metrics["valence.mae"]
    assert mae.ci_method == "items" and mae.clusters == 1
    assert mae.ci_low < mae.value < mae.ci_high  # a real interval, not [v, v]
    assert "items resampled" in rec.extras["interval_notes"]["valence.mae"]


def test_enough_clusters_stay_clustered_and_only_contributing_clusters_count():
    """Eight groups, but a metric computed on items of three of them has three clusters."""
    y = np.arange(40, dtype=float) % 3
    groups = [f"g{i % 8}" for i in range(40)]
    codes = group_codes(groups, [str(i) for i in range(40)])
    member = np.array([1.0 if i % 8 < 3 else 0.0 for i in range(40)])
    est = bootstrap({"all": ratio_stat(y, np.ones(40)), "three": ratio_stat(y * member, member)}, codes, 200)
    assert est["all"].method == "clusters" and est["all"].clusters == 8
    assert est["three"].method == "items" and est["three"].clusters == 3
    assert MIN_CLUSTERS == 5


def test_paired_difference_on_one_cluster_is_not_certain_and_the_gate_says_so():
    """Before: one cluster made every paired resample equal to the point difference, so the
    gate's bound was the difference itself ('certain'). Now items are resampled."""
    rng = np.random.default_rng(2)
    base = rng.uniform(size=30)
    cand = base + rng.normal(-0.02, 0.2, 30)
    codes = group_codes(["same"] * 30, [str(i) for i in range(30)])
    d = paired_bootstrap({"m": ratio_stat(base, np.ones(30))}, {"m": ratio_stat(cand, np.ones(30))}, codes, 500)["m"]
    assert d.method == "items" and d.ci_high - d.ci_low > 0.05
    out = decide(Rule(metric="m", max_drop=0.0, mode="significant"), 0.5, 0.5 + d.value, d.samples)
    assert out.status == "pass"  # a -0.02 shift amid 0.2 noise on 30 items is not a sure regression


def test_withheld_difference_is_inconclusive_not_certain():
    """Three items in one cluster: no interval. non_inferior grants no tolerance (a drop within
    max_drop still fails; only 'not worse at all' passes); significant fails the drop too unless
    the rule opts in with on_no_interval: pass (gate19: it used to pass any drop)."""
    codes = group_codes(["g"] * 3, ["a", "b", "c"])
    b, c = np.array([1.0, 1.0, 0.0]), np.array([1.0, 0.0, 0.0])
    d = paired_bootstrap({"m": ratio_stat(b, np.ones(3))}, {"m": ratio_stat(c, np.ones(3))}, codes, 200)["m"]
    assert d.method == "withheld" and d.samples is None and d.value == pytest.approx(-1 / 3)
    strict = decide(Rule(metric="m", max_drop=0.5), 2 / 3, 1 / 3, d.samples)
    lax = decide(Rule(metric="m", max_drop=0.0, mode="significant"), 2 / 3, 1 / 3, d.samples)
    assert strict.status == "fail" and "too few" in strict.reason
    assert lax.status == "fail" and "too few" in lax.reason
    opted = decide(Rule(metric="m", mode="significant", on_no_interval="pass"), 2 / 3, 1 / 3, d.samples)
    assert opted.status == "pass" and "too few" in opted.reason
    better = decide(Rule(metric="m", max_drop=0.0), 1 / 3, 2 / 3, None, "3 items")
    assert better.status == "pass" and "point value" in better.reason and better.ci_low is None
    same = paired_bootstrap({"m": ratio_stat(b, np.ones(3))}, {"m": ratio_stat(b, np.ones(3))}, codes, 200)["m"]
    assert same.method == "identical" and same.value == 0.0
    assert decide(Rule(metric="m"), 2 / 3, 2 / 3, same.samples).status == "pass"
