"""Agreement metrics: a hand-checked Krippendorff's alpha, and what runs on which data."""

from __future__ import annotations

import itertools
import json
import random

import krippendorff
import numpy as np
import pytest

from linernotes.review.agreement import (
    coder_agreement,
    field_agreement,
    gold_agreement,
    reliability_matrix,
)
from linernotes.review.fields import FieldSpec

VALENCE = FieldSpec(name="valence", kind="interval", gold_key="mean", scale=4.0, ratings_key="ratings")
# Three tiny units with different rater counts, on VADER's -4..4 scale.
UNITS = [[1, 2, 3], [2, 2], [4, 5]]


def alpha_by_hand(units: list[list[float]]) -> float:
    """Interval alpha straight from the coincidence-matrix definition (Krippendorff 2011):
    D_o = 1/n Σ_u 1/(m_u-1) Σ_{i≠j in u} (v_i-v_j)², D_e = 1/(n(n-1)) Σ_{c≠k over all values} (v_c-v_k)²."""
    pairable = [u for u in units if len(u) >= 2]
    values = [v for u in pairable for v in u]
    n = len(values)
    d_o = sum(sum((a - b) ** 2 for a, b in itertools.permutations(u, 2)) / (len(u) - 1) for u in pairable) / n
    d_e = sum((a - b) ** 2 for a, b in itertools.permutations(values, 2)) / (n * (n - 1))
    return 1 - d_o / d_e


def test_hand_checked_interval_alpha():
    # By hand: n=7; D_o = (12/2 + 0 + 2/1)/7 = 8/7; Σv=19, Σv²=63, Σ_{c≠k}(v_c-v_k)² = 2·7·63 − 2·19² = 160,
    # D_e = 160/42; alpha = 1 − (8/7)/(160/42) = 0.7.
    assert alpha_by_hand(UNITS) == pytest.approx(0.7)
    m = reliability_matrix(UNITS)
    assert m.shape == (3, 3) and np.isnan(m[2, 1]) and np.isnan(m[2, 2])
    assert krippendorff.alpha(reliability_data=m, level_of_measurement="interval") == pytest.approx(0.7)
    ours = field_agreement([[v / 4 for v in u] for u in UNITS], VALENCE, coders=3)
    assert ours.alpha_interval == pytest.approx(0.7)  # interval alpha does not care about the scale
    assert ours.units == 3 and ours.values == 7


def test_alpha_ignores_rater_positions_because_it_only_pairs_within_units():
    """Why anonymous NaN-padded columns are valid for alpha: shuffling who sits in which column
    inside each unit cannot change it (it would change Cohen's kappa)."""
    rng = random.Random(7)
    units = [[rng.randint(-4, 4) / 4 for _ in range(rng.randint(2, 6))] for _ in range(40)]
    a = field_agreement(units, VALENCE, coders=6).alpha_interval
    shuffled = [rng.sample(u, len(u)) for u in units]
    assert field_agreement(shuffled, VALENCE, coders=6).alpha_interval == pytest.approx(a)
    assert alpha_by_hand(units) == pytest.approx(a)


def test_fleiss_runs_on_items_with_the_modal_rater_count():
    units = [[0.25, 0.25, 0.25]] * 4 + [[-1.0, 1.0, 0.0]] * 2 + [[0.5, 0.5]]
    fa = field_agreement(units, VALENCE, coders=3)
    assert (fa.fleiss_items, fa.fleiss_raters) == (6, 3)
    assert fa.fleiss_kappa is not None and -1 <= fa.fleiss_kappa < 1


def test_perfect_agreement_between_identified_coders():
    table = {f"i{n}": {"a": v, "b": v, "c": v} for n, v in enumerate([-1.0, -0.5, 0.0, 0.5, 1.0])}
    fa, pairs, people = coder_agreement(table, VALENCE, "t")
    assert fa.alpha_interval == pytest.approx(1.0)
    assert all(p.cohen_kappa == pytest.approx(1.0) for p in pairs) and len(pairs) == 3
    assert all(p.quality == 1.0 for p in people)


def test_per_annotator_quality_singles_out_the_outlier():
    rng = random.Random(3)
    truth = [rng.uniform(-1, 1) for _ in range(30)]
    table = {f"i{n}": {"a": t, "b": t, "noisy": -t} for n, t in enumerate(truth)}
    _, pairs, people = coder_agreement(table, VALENCE, "t")
    q = {p.annotator: p.quality for p in people}
    assert q["noisy"] < q["a"] and q["noisy"] < q["b"]
    kappa = {(p.a, p.b): p.cohen_kappa for p in pairs}
    assert kappa[("a", "b")] == pytest.approx(1.0) and kappa[("a", "noisy")] < 0


def test_gold_agreement_with_model_as_annotator(shared_data):
    rows = [json.loads(line) for line in (shared_data / "gold/vader-multirater.dev.jsonl").open()][:300]
    preds = {r["id"]: {"valence": max(-1, min(1, r["mean"] / 4 + 0.1))} for r in rows}
    rep = gold_agreement(rows, [VALENCE], preds)
    f = rep.fields[0]
    direct = krippendorff.alpha(reliability_data=reliability_matrix([[x / 4 for x in r["ratings"]] for r in rows]),
                                level_of_measurement="interval")
    assert f.alpha_interval == pytest.approx(direct) and 0.5 < f.alpha_interval < 1
    model = rep.annotators[0]
    assert model.annotator == "model" and model.n == 300 and model.quality > 0.9
    assert rep.pairs[0].cohen_kappa > 0.8


def test_hand_formula_matches_on_a_real_vader_subset(shared_data):
    rows = [json.loads(line) for line in (shared_data / "gold/vader-multirater.dev.jsonl").open()][:3]
    units = [r["ratings"] for r in rows]  # 20, 20 and 20 raters on -4..4
    by_hand = alpha_by_hand(units)
    assert field_agreement([[x / 4 for x in u] for u in units], VALENCE, coders=20).alpha_interval == pytest.approx(by_hand)
    assert krippendorff.alpha(reliability_data=reliability_matrix(units), level_of_measurement="interval") == \
        pytest.approx(by_hand)
