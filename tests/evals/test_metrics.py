"""Metric implementations against hand-computed values and scikit-learn / scipy."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats as sstats
from sklearn.metrics import (
    accuracy_score,
    confusion_matrix,
    f1_score,
    mean_absolute_error,
    precision_score,
    recall_score,
    roc_auc_score,
)
from sklearn.preprocessing import MultiLabelBinarizer

from linernotes.evals.metrics.calibration import (
    auroc_stat,
    ece_by_answer,
    ece_consistency,
    ece_stat,
    score_calibration,
)
from linernotes.evals.metrics.multilabel import score_multilabel
from linernotes.evals.metrics.singlelabel import score_flag_recall, score_singlelabel
from linernotes.evals.metrics.usage import quantile_stat
from linernotes.evals.metrics.valence import (
    alpha_columns,
    loo_moments,
    pearson_from,
    rater_columns,
    score_valence,
)

GOLD = [["techno"], ["house", "acid"], ["ambient"], ["techno", "dub-techno"]]
PRED = [["techno", "house"], ["house"], [], ["dub-techno"]]


def point(scored, name):
    return scored.stats[name].point()


def test_multilabel_hand_computed():
    s = score_multilabel("genres", GOLD, PRED)
    # tp: 1+1+0+1 = 3; fp: 1 (house on item 0); fn: 0+1+1+1 = 3
    assert point(s, "genres.micro_precision") == pytest.approx(3 / 4)
    assert point(s, "genres.micro_recall") == pytest.approx(3 / 6)
    assert point(s, "genres.micro_f1") == pytest.approx(2 * 3 / (2 * 3 + 1 + 3))
    # per class F1: techno 2/3, house 2/3 (tp1 fp1 fn0), acid 0, ambient 0, dub-techno 1
    assert point(s, "genres.macro_f1") == pytest.approx((2 / 3 + 2 / 3 + 0 + 0 + 1) / 5)
    assert s.item_scores["genres.f1"] == pytest.approx([2 / 3, 2 / 3, 0.0, 2 / 3])
    # a field is right ("precise") when something is predicted and nothing predicted is wrong:
    # item 0 has a wrong extra genre, item 2 predicts nothing; a missing genre (1, 3) is not wrong
    assert s.item_scores["genres.precise"] == [0.0, 1.0, 0.0, 1.0]
    assert s.item_scores["genres.hit"] == [1.0, 1.0, 0.0, 1.0]


def test_multilabel_matches_sklearn():
    rng = np.random.default_rng(3)
    labels = [f"g{k}" for k in range(8)]
    gold = [sorted(set(rng.choice(labels, rng.integers(1, 4)).tolist())) for _ in range(200)]
    pred = [sorted(set(rng.choice(labels, rng.integers(0, 4)).tolist())) for _ in range(200)]
    s = score_multilabel("g", gold, pred)
    mlb = MultiLabelBinarizer(classes=sorted({c for x in gold + pred for c in x}))
    yt, yp = mlb.fit_transform(gold), mlb.transform(pred)
    for avg in ("micro", "macro"):
        assert point(s, f"g.{avg}_f1") == pytest.approx(f1_score(yt, yp, average=avg, zero_division=0))
        assert point(s, f"g.{avg}_precision") == pytest.approx(precision_score(yt, yp, average=avg, zero_division=0))
        assert point(s, f"g.{avg}_recall") == pytest.approx(recall_score(yt, yp, average=avg, zero_division=0))


def test_hierarchical_f1_gives_partial_credit_for_parent():
    parents = {"detroit-techno": ["techno"], "techno": [], "house": []}
    s = score_multilabel("g", [["detroit-techno"]], [["techno"]], ancestors=lambda i: parents.get(i, []))
    assert point(s, "g.micro_f1") == 0.0
    # gold {detroit-techno, techno}, pred {techno}: tp 1, fp 0, fn 1
    assert point(s, "g.hier_f1") == pytest.approx(2 / 3)
    unrelated = score_multilabel("g", [["detroit-techno"]], [["house"]], ancestors=lambda i: parents.get(i, []))
    assert point(unrelated, "g.hier_f1") == 0.0


def test_items_without_gold_are_not_scored_but_empty_predictions_are():
    s = score_multilabel("g", [["a"], None, ["b"]], [["a"], ["zzz"], []])
    assert s.n["g.micro_f1"] == 2
    assert point(s, "g.micro_recall") == pytest.approx(0.5)
    assert s.item_scores["g.f1"][1] is None


def test_singlelabel_matches_sklearn():
    rng = np.random.default_rng(5)
    cats = ["insult", "threat", "profanity", "none"]
    gold = rng.choice(cats[:3], 150).tolist()
    pred = rng.choice(cats, 150).tolist()
    s = score_singlelabel("p", gold, pred)
    assert point(s, "p.accuracy") == pytest.approx(accuracy_score(gold, pred))
    assert point(s, "p.macro_f1") == pytest.approx(f1_score(gold, pred, average="macro", zero_division=0))
    assert point(s, "p.macro_recall") == pytest.approx(recall_score(gold, pred, average="macro", zero_division=0))
    labels = s.extras["p.confusion"]["labels"]
    assert s.extras["p.confusion"]["matrix"] == confusion_matrix(gold, pred, labels=labels).tolist()


def test_flag_recall_counts_unflagged_items():
    s = score_flag_recall("p", ["insult", "threat", None, "insult"], [True, False, True, False], "none")
    assert point(s, "p.flag_recall") == pytest.approx(1 / 3)
    assert s.n["p.flag_recall"] == 3


def test_valence_matches_scipy_and_sklearn():
    rng = np.random.default_rng(1)
    gold = rng.uniform(-1, 1, 80)
    pred = np.clip(gold + rng.normal(0, 0.3, 80), -1, 1)
    s = score_valence("v", gold.tolist(), pred.tolist(), [None] * 80, tolerance=0.25)
    assert point(s, "v.pearson") == pytest.approx(sstats.pearsonr(pred, gold).statistic, abs=1e-9)
    assert point(s, "v.mae") == pytest.approx(mean_absolute_error(gold, pred))
    assert point(s, "v.within_tol") == pytest.approx(np.mean(np.abs(pred - gold) <= 0.25))


def test_human_ceiling_is_leave_one_rater_out():
    # one item, raters [0, 0.5, 1]: leave-one-out means [0.75, 0.5, 0.25]
    m = loo_moments([0.0, 0.5, 1.0])
    assert m[0] == pytest.approx(0.5)
    assert m[1] == pytest.approx(0.5)
    assert m[6] == pytest.approx((0.75 + 0.0 + 0.75) / 3)
    assert loo_moments([0.3]) is None
    # two items with perfectly agreeing pairs of raters: ceiling r = 1, MAE = 0
    s = score_valence("v", [0.5, -0.5], [0.0, 0.0], [[0.5, 0.5], [-0.5, -0.5]], tolerance=0.25)
    assert point(s, "v.human_pearson") == pytest.approx(1.0)
    assert point(s, "v.human_mae") == pytest.approx(0.0)


def test_vectorised_rater_columns_equal_the_per_item_definitions():
    rng = np.random.default_rng(3)
    ratings = [None, [], [0.25]] + [list(rng.uniform(-1, 1, size=rng.integers(2, 12))) for _ in range(200)]
    human, alpha = rater_columns(ratings)
    for i, r in enumerate(ratings):
        loo = loo_moments(r) if r else None
        if loo is None:
            assert not human[i].any() and not alpha[i].any()
        else:
            assert human[i] == pytest.approx(loo)
            assert alpha[i] == pytest.approx(alpha_columns(r))


def test_human_ceiling_matches_pooled_pearson_on_equal_rater_counts():
    rng = np.random.default_rng(2)
    ratings = [rng.integers(-4, 5, 5) / 4 for _ in range(40)]
    xs, ys = [], []
    for r in ratings:
        for j in range(len(r)):
            xs.append(r[j])
            ys.append(np.delete(r, j).mean())
    s = score_valence("v", [float(r.mean()) for r in ratings], [0.0] * 40, [r.tolist() for r in ratings], 0.25)
    assert point(s, "v.human_pearson") == pytest.approx(sstats.pearsonr(xs, ys).statistic, abs=1e-9)
    assert point(s, "v.human_mae") == pytest.approx(np.mean(np.abs(np.array(xs) - np.array(ys))))


def test_raters_alpha_matches_krippendorff():
    import krippendorff

    rng = np.random.default_rng(6)
    truth = rng.uniform(-1, 1, 60)
    ratings = [np.clip(t + rng.normal(0, 0.3, rng.integers(2, 9)), -1, 1).tolist() for t in truth]
    s = score_valence("v", truth.tolist(), [0.0] * 60, ratings, 0.25)
    width = max(len(r) for r in ratings)
    table = np.full((width, len(ratings)), np.nan)  # coders x units, missing = nan
    for u, r in enumerate(ratings):
        table[: len(r), u] = r
    expected = krippendorff.alpha(reliability_data=table, level_of_measurement="interval")
    assert point(s, "v.raters_alpha") == pytest.approx(expected, abs=1e-9)


def test_pearson_from_moments_is_nan_without_variance():
    t = np.array([[2.0, 2.0, 2.0, 2.0, 2.0, 2.0]])
    assert np.isnan(pearson_from(t))[0]


def test_ece_hand_computed():
    conf = np.array([0.95, 0.95, 0.15, 0.55])
    correct = np.array([1.0, 0.0, 0.0, 1.0])
    # bins: 0.9-1.0 -> |1.9 - 1| = 0.9; 0.1-0.2 -> |0.15 - 0| = 0.15; 0.5-0.6 -> |0.55 - 1| = 0.45
    assert ece_stat(conf, correct, np.ones(4)).point() == pytest.approx((0.9 + 0.15 + 0.45) / 4)


def test_ece_consistency_tells_sampling_noise_from_miscalibration():
    rng = np.random.default_rng(7)
    conf = rng.uniform(0.4, 0.9, 300)
    calibrated = (rng.random(300) < conf).astype(float)
    c = ece_consistency(conf, calibrated)
    # the observed ECE equals the plug-in estimator; calibrated outcomes are not rejected, and
    # the reference ECE of perfect calibration on 300 items is far from 0 (estimator bias)
    assert c["ece"] == pytest.approx(ece_stat(conf, calibrated, np.ones(300)).point(), abs=1e-4)
    assert c["p_value"] > 0.05 and 0.02 < c["if_calibrated"] < 0.08 and c["n"] == 300
    # overconfident by 0.2: rejected, observed ECE far above the calibrated reference
    wrong = (rng.random(300) < conf - 0.2).astype(float)
    w = ece_consistency(conf, wrong)
    assert w["p_value"] < 0.01 and w["ece"] > w["if_calibrated_p95"]
    # more items, smaller reference: the bias shrinks like 1/sqrt(n)
    big = rng.uniform(0.4, 0.9, 30000)
    assert ece_consistency(big, (rng.random(30000) < big).astype(float))["if_calibrated"] < 0.01


def test_auroc_matches_sklearn_with_ties_and_weights():
    rng = np.random.default_rng(4)
    conf = np.round(rng.uniform(0, 1, 120), 1)  # many ties
    correct = (rng.uniform(0, 1, 120) < conf).astype(float)
    st = auroc_stat(conf, correct, np.ones(120))
    assert st.point() == pytest.approx(roc_auc_score(correct, conf))
    w = rng.integers(0, 4, 120).astype(float)  # a bootstrap resample is a weighting
    assert st.at(w)[0] == pytest.approx(roc_auc_score(correct, conf, sample_weight=w))


def test_calibration_skips_auroc_when_undefined_and_counts_auto_accept():
    s = score_calibration("g", [0.9, 0.8, None, 0.3], [1.0, 1.0, 1.0, 1.0], [True, True, None, False])
    assert "g.auroc" not in s.stats and "g.auroc" in s.skipped
    assert s.stats["g.auto_accept_share"].point() == pytest.approx(2 / 4)  # the error item is not accepted
    assert s.stats["g.auto_accept_accuracy"].point() == pytest.approx(1.0)


def test_quantile_point_is_exact_and_bootstrap_close():
    rng = np.random.default_rng(0)
    lat = rng.gamma(2.0, 2.0, 500)
    st = quantile_stat(lat, np.ones(500), 0.9)
    assert st.point() == pytest.approx(np.quantile(lat, 0.9, method="inverted_cdf"))
    assert st.at(np.ones(500))[0] == pytest.approx(st.point(), rel=0.01)


def test_ece_by_answer_tells_calibrated_flags_from_none_answers_a_set_of_unsafe_items_makes_wrong():
    """All items unsafe: the flags are calibrated (right as often as they say), the 'none' answers
    all wrong at 0.45: the pooled ECE is large, the flags' alone is sampling noise."""
    rng = np.random.default_rng(3)
    conf_f = rng.uniform(0.5, 0.95, 2000)
    right_f = (rng.random(2000) < conf_f).astype(float)
    conf_n = np.full(400, 0.45)
    conf = list(conf_f) + list(conf_n) + [None]
    correct = list(right_f) + [0.0] * 400 + [None]
    flagged = [True] * 2000 + [False] * 400 + [None]
    by = ece_by_answer(conf, correct, flagged)
    assert set(by) == {"flag", "none"} and by["flag"]["n"] == 2000 and by["none"]["n"] == 400
    assert by["flag"]["ece"] < 0.03 and by["flag"]["p_value"] > 0.01
    assert by["none"]["ece"] == pytest.approx(0.45) and by["none"]["accuracy"] == 0.0
    assert by["none"]["mean_confidence"] == pytest.approx(0.45)
    pooled = ece_consistency(np.array(conf[:-1]), np.array(correct[:-1]))
    assert pooled["ece"] > by["flag"]["ece"] + 0.02
    assert ece_by_answer([0.9], [1.0], [True]).keys() == {"flag"}  # a type no item gave is left out
