"""The bootstrap: intervals cover the truth at about the stated rate, clustering widens them
when items of a group share their fate, and paired differences of identical runs are exactly 0."""

from __future__ import annotations

import numpy as np
import pytest

from linernotes.evals.bootstrap import bootstrap, group_codes, paired_bootstrap
from linernotes.evals.metrics.core import ratio_stat


def _coverage(clustered: bool, use_groups: bool, sims: int = 150) -> float:
    rng = np.random.default_rng(11)
    truth = 0.6
    hits = 0
    for s in range(sims):
        n_groups, per = 40, 10
        if clustered:  # a group's items share a group-level rate; Beta(1.2, 0.8) has mean 0.6 = truth
            rates = rng.beta(1.2, 0.8, n_groups)
            y = (rng.uniform(size=(n_groups, per)) < rates[:, None]).astype(float).ravel()
        else:
            y = (rng.uniform(size=n_groups * per) < truth).astype(float)
        groups = [f"g{i // per}" for i in range(len(y))] if use_groups else [None] * len(y)
        codes = group_codes(groups, [str(i) for i in range(len(y))])
        est = bootstrap({"acc": ratio_stat(y, np.ones_like(y))}, codes, resamples=400, seed=s)["acc"]
        hits += est.ci_low <= truth <= est.ci_high
    return hits / sims


def test_ci_covers_true_value_about_95_percent():
    assert 0.89 <= _coverage(clustered=False, use_groups=False) <= 0.99


def test_clustered_bootstrap_keeps_coverage_where_naive_fails():
    naive = _coverage(clustered=True, use_groups=False)
    clustered = _coverage(clustered=True, use_groups=True)
    assert clustered >= 0.88
    assert naive < 0.85 and naive < clustered - 0.1  # ignoring the groups makes intervals far too narrow


def test_group_codes_items_without_group_are_their_own_cluster():
    codes = group_codes(["a", None, "a", None], ["1", "2", "3", "4"])
    assert codes[0] == codes[2]
    assert len(set(codes.tolist())) == 3


def test_paired_difference_of_identical_runs_is_exactly_zero():
    rng = np.random.default_rng(0)
    y = rng.uniform(size=50)
    codes = group_codes([f"g{i % 7}" for i in range(50)], [str(i) for i in range(50)])
    st = ratio_stat(y, np.ones(50))
    d = paired_bootstrap({"m": st}, {"m": st}, codes, resamples=200)["m"]
    assert d.value == 0.0 and d.ci_low == 0.0 and d.ci_high == 0.0


def test_paired_is_tighter_than_unpaired_for_correlated_runs():
    rng = np.random.default_rng(1)
    base = rng.uniform(size=300)
    cand = base + 0.02 + rng.normal(0, 0.01, 300)
    codes = group_codes([None] * 300, [str(i) for i in range(300)])
    paired = paired_bootstrap({"m": ratio_stat(base, np.ones(300))}, {"m": ratio_stat(cand, np.ones(300))}, codes)
    assert paired["m"].value == pytest.approx(np.mean(cand - base))
    assert paired["m"].ci_low > 0  # the small shift is detectable because the item noise cancels


def test_same_seed_same_interval():
    y = np.arange(30, dtype=float)
    codes = group_codes([None] * 30, [str(i) for i in range(30)])
    a = bootstrap({"m": ratio_stat(y, np.ones(30))}, codes, 300, seed=5)["m"]
    b = bootstrap({"m": ratio_stat(y, np.ones(30))}, codes, 300, seed=5)["m"]
    assert (a.ci_low, a.ci_high) == (b.ci_low, b.ci_high)
