"""Cross-fitting never scores an item with a model trained on it (the audit would raise), and the
audit itself catches a leak."""

from __future__ import annotations

import numpy as np
import pytest

from linernotes.fusion.crossfit import Audit, FoldPlan, out_of_fold, plan_folds
from linernotes.fusion.fitting import fit_multilabel, fit_scalar, fit_single_label
from linernotes.fusion.observation import Observation
from linernotes.schema import Item

WORDS = {"good": 1.0, "great": 1.0, "bad": -1.0, "awful": -1.0, "fine": 0.3, "meh": -0.3}


def _obs(i: int, rng) -> tuple[Observation, float, list[str], str]:
    words = rng.choice(list(WORDS), size=4)
    text = " ".join(words) + f" item {i}"
    value = float(np.clip(np.mean([WORDS[w] for w in words]), -1, 1))
    genre = "techno" if i % 3 else "house"
    ev = {"genres": [{"id": genre, "label": genre, "score": 0.8, "vote": 0.9, "votes": 30},
                     {"id": "ambient", "label": "ambient", "score": 0.3, "vote": 0.1, "votes": 3}],
          "exemplars": [{"id": "x", "text": "t", "genres": [genre], "score": 0.9}],
          "lexical_valence": value / 2, "policy_hits": [], "clauses": []}
    label = "insult" if value < -0.3 else "none"
    return Observation(Item(id=str(i), description=text), ev, None), value, [genre], label


@pytest.fixture(scope="module")
def data():
    rng = np.random.default_rng(0)
    rows = [_obs(i, rng) for i in range(120)]
    groups = [f"g{i % 8}" for i in range(120)]
    return rows, groups


def test_multilabel_cross_fit_is_clean_and_learns(data):
    rows, groups = data
    audit = Audit()
    model, oof = fit_multilabel([r[0] for r in rows], [r[2] for r in rows], groups, {}, 3, 5, 0, audit)
    audit.check()
    assert len(oof.values) == 120 and oof.scheme.startswith("GroupKFold")
    right = np.mean([oof.values[i] == rows[i][2] for i in range(120)])
    assert right > 0.95
    # every fitted model scored only items outside its training set, and each item was scored
    # by exactly one outer model
    outer = [s for m, s in audit.scores if audit.fits[m][0] == "multilabel"]
    assert sorted(i for s in outer for i in s) == list(range(120))


def test_scalar_and_single_label_cross_fits_are_clean(data):
    rows, groups = data
    audit = Audit()
    _, oof = fit_scalar([r[0] for r in rows], np.array([r[1] for r in rows]), groups, 0.25, k=4, audit=audit)
    audit.check()
    pred = np.array([oof.values[i] for i in range(120)])
    assert np.corrcoef(pred, [r[1] for r in rows])[0, 1] > 0.5
    audit = Audit()
    _, oof = fit_single_label([r[0] for r in rows], [r[3] for r in rows], groups, ["profanity.insult"],
                              {"insult": "profanity.insult"}, k=4, audit=audit)
    audit.check()
    assert all(0 <= c <= 1 for c in oof.confidence.values())


def test_audit_catches_a_model_scoring_its_own_training_items():
    leaky = FoldPlan("leaky", [(np.arange(10), np.arange(5, 10))])
    audit = Audit()
    out_of_fold(leaky, lambda train: None, lambda m, test: [0.0] * len(test), audit, "leaky")
    with pytest.raises(AssertionError, match="scored 5 item"):
        audit.check()


def test_folds_fall_back_when_groups_cannot_hold_a_label_out():
    # every label lives in one group (policy categories each come from one source)
    labels = ["a"] * 20 + ["b"] * 20
    groups = ["s1"] * 20 + ["s2"] * 20
    plan = plan_folds(40, groups, k=5, strata=labels)
    assert plan.scheme.startswith("StratifiedKFold") and "one group" in plan.scheme
    for train, _test in plan.folds:
        assert {labels[i] for i in train} == {"a", "b"}
    assert plan_folds(40, [f"g{i % 10}" for i in range(40)], k=5).scheme.startswith("GroupKFold")
    assert plan_folds(40, ["x", "y", "z", "w"] * 10, k=5).scheme.startswith("KFold")


def test_multilabel_confidence_is_the_chance_that_no_chosen_genre_is_wrong():
    """Every item shows the same evidence for techno and ambient; half the gold sets hold both,
    half techno alone. The best micro-F1 picks both everywhere: every item has a right genre
    (a "hit"), but only half have no wrong one. The field's confidence must say ~0.5, not ~1."""
    ev = {"genres": [{"id": g, "label": g, "score": 0.8, "vote": 0.9, "votes": 30} for g in ("techno", "ambient")],
          "exemplars": [{"id": "x", "text": "t", "genres": ["techno", "ambient"], "score": 0.9}],
          "lexical_valence": 0.0, "policy_hits": [], "clauses": []}
    obs = [Observation(Item(id=str(i), description=f"track {i}"), ev, None) for i in range(200)]
    gold = [["techno", "ambient"] if i % 2 else ["techno"] for i in range(200)]
    _, oof = fit_multilabel(obs, gold, [f"g{i % 10}" for i in range(200)], {}, 3, 5, 0)
    conf = np.array([oof.confidence[i] for i in range(200)])
    precise = np.array([bool(oof.values[i]) and set(oof.values[i]) <= set(gold[i]) for i in range(200)])
    assert all(set(oof.values[i]) == {"techno", "ambient"} for i in range(200))
    assert precise.mean() == pytest.approx(0.5) and 0.35 < conf.mean() < 0.65


def test_ungrouped_folds_say_the_figures_may_flatter_new_groups():
    """QA session 24: a fit on 30 items of one source carried the card line 'KFold(k=5) (only 1
    groups for grouped folds)': nothing said what that does to the figures."""
    one = plan_folds(30, ["same"] * 30, k=5).scheme
    assert one == ("KFold(k=5) (only 1 group, 5 needed for grouped folds; an item is scored by combiners fitted on "
                   "other items of its group, so the figures may flatter new groups)")
    assert plan_folds(30, None, k=5).scheme == "KFold(k=5) (no group field for grouped folds)"
    confined = plan_folds(40, ["s1"] * 20 + ["s2"] * 20, k=5, strata=["a"] * 20 + ["b"] * 20).scheme
    assert confined.startswith("StratifiedKFold(k=5) by label (labels a, b occur in one group only, so no grouped "
                               "folds; an item is scored by combiners fitted on other items of its group")
