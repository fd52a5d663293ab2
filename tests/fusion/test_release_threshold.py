"""The pooled genres combiner's one review threshold must hold in every side (same-album
neighbour or not) and every cohort (the exemplar pool's regime and index size, the sample): a
catalog of any of those sizes gets auto-accepted answers at least 95% precise."""

from __future__ import annotations

from linernotes.evals.fit import _by_index_size, _release_threshold


def _cohorts():
    # new releases: a small catalog's rows are right at 0.8 and above; a large catalog's are
    # over-confident: at 0.8 only 80 of 100 are right, at 0.95 all are
    conf = [0.8] * 100 + [0.95] * 100 + [0.8] * 100 + [0.95] * 100
    right = [True] * 100 + [True] * 100 + [True] * 80 + [False] * 20 + [True] * 100
    cohort = ["album@0.111"] * 200 + ["album@1"] * 200
    return conf, right, [False] * 400, cohort


def test_pooled_over_cohorts_the_large_catalog_would_fall_below_the_target():
    conf, right, same, _ = _cohorts()
    threshold, metrics = _release_threshold(conf, right, same)
    # pooled: 0.8 accepts 380 of 400 right (95%): the large catalog's answers at 0.8 are 80% right
    assert threshold == 0.8 and metrics["new_release.auto_accept_precision"] == 0.95


def test_every_cohort_holds_the_target_at_the_chosen_threshold():
    conf, right, same, cohort = _cohorts()
    threshold, metrics = _release_threshold(conf, right, same, cohort)
    assert threshold == 0.95 and metrics["threshold_cohorts"] == 2
    assert metrics["new_release.auto_accept_precision"] == 1.0
    assert metrics["new_release.auto_accept_coverage"] == 0.5


def test_a_cohort_too_small_to_judge_does_not_move_the_threshold():
    conf, right, same, cohort = _cohorts()
    # 5 wrong answers at 0.99 in a cohort of their own: never 20 accepted, so left out
    conf, right, same = conf + [0.99] * 5, right + [False] * 5, same + [False] * 5
    threshold, metrics = _release_threshold(conf, right, same, cohort + ["tiny"] * 5)
    assert threshold == 0.95
    # and the card names it: its auto-accepted answers are not held to the target
    assert metrics["threshold_cohorts_left_out"] == "new_release:tiny" and metrics["threshold_cohorts"] == 2


def test_per_size_figures_show_the_cohorts_calibration():
    conf, right, _, cohort = _cohorts()
    rows = [(c.split("@")[0], float(c.split("@")[1])) for c in cohort]
    out = _by_index_size(rows, conf, right, 0.95)
    assert out["pool.album@1.items"] == out["pool.album@0.111.items"] == 200
    assert out["pool.album@1.auto_accept_precision"] == 1.0 and out["pool.album@1.auto_accept_coverage"] == 0.5
    # large catalog: the 0.8 bin is 80% right, the 0.95 bin 100%: (0 + 100 x 0.05) / 200;
    # small catalog: both bins all right: (100 x 0.2 + 100 x 0.05) / 200
    assert out["pool.album@1.ece"] == 0.025 and out["pool.album@0.111.ece"] == 0.125
