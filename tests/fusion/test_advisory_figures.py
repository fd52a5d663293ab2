"""A fitted field whose confidence reaches the target precision at no level is advisory: route never
sends it to review (agents.fields.low_confidence), so every answer is auto-accepted. The card's and
the fit summary's auto-accept figures must say that (share 1.0 at the field's accuracy), not 0.0."""

from __future__ import annotations

import pytest

from linernotes.evals.fit import _by_index_size, _release_threshold, _threshold_metrics


def _unreachable():
    # 60% right at every level: no threshold is 95% precise
    conf = [0.55] * 50 + [0.7] * 50
    right = ([True] * 30 + [False] * 20) * 2
    return conf, right


def test_a_scalar_field_no_threshold_reaches_auto_accepts_every_answer():
    """New-user QA (newuser16): `liner fit vader-valence` printed 'auto_accept_coverage 0.0' and the
    card 'review threshold: none (advisory ...)', 'auto_accept_coverage: 0.0', 'auto_accept_precision:
    None' next to the cv record's 'valence.auto_accept_share: 1.0': the tagger routes no valence."""
    conf, right = _unreachable()
    threshold, metrics = _threshold_metrics(conf, right, floor=0.0)
    assert threshold is None
    assert metrics["auto_accept_coverage"] == 1.0
    assert metrics["auto_accept_precision"] == pytest.approx(sum(right) / len(right))


def test_a_reached_threshold_keeps_its_figures():
    conf = [0.5] * 40 + [0.9] * 60
    right = [False] * 40 + [True] * 60
    threshold, metrics = _threshold_metrics(conf, right, floor=0.0)
    assert threshold == 0.9 and metrics == {"auto_accept_precision": 1.0, "auto_accept_coverage": 0.6}


def test_the_genres_cohort_figures_of_an_advisory_field_accept_everything():
    conf, right = _unreachable()
    threshold, metrics = _release_threshold(conf, right, [False] * 100)
    assert threshold is None
    assert metrics["auto_accept_coverage"] == metrics["new_release.auto_accept_coverage"] == 1.0
    assert metrics["auto_accept_precision"] == pytest.approx(0.6)
    out = _by_index_size([("album", 1.0)] * 100, conf, right, None)
    assert out["pool.album@1.auto_accept_coverage"] == 1.0 and out["pool.album@1.auto_accept_precision"] == 0.6
