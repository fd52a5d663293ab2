"""The genres confidence's contextual calibrator (#11): a logistic over the chosen set's score and
its evidence regime, stored as plain JSON, monotone in the score, chosen against the isotonic
pair by grouped inner CV only; artifacts fitted before it decide exactly as they did; every
calibrator fit is in the cross-fitting audit."""

from __future__ import annotations

import numpy as np
import pytest

from linernotes.fusion import multilabel as ml
from linernotes.fusion.artifact import default_fusion_dir, load_fusion
from linernotes.fusion.crossfit import Audit
from linernotes.fusion.estimators import ContextLogistic, logit
from linernotes.fusion.fitting import fit_multilabel
from linernotes.fusion.observation import Observation
from linernotes.schema import Item


def _regimes(n: int = 600, seed: int = 0):
    """Chosen sets whose reliability at one score differs by regime: with a same-album neighbour a
    set is right at about its score; without one, much less often (the album-held-out case)."""
    rng = np.random.default_rng(seed)
    score = rng.uniform(0.3, 0.99, n)
    same = rng.random(n) < 0.5
    p_right = np.where(same, score, score ** 3)
    hits = (rng.random(n) < p_right).astype(float)
    best = rng.uniform(0.5, 0.95, n)
    context = np.column_stack([logit(score), best, best - 0.1, rng.uniform(0.3, 1, n), rng.uniform(0, 0.5, n),
                               same.astype(float)])
    groups = [f"album {i // 3}" for i in range(n)]
    return score, hits, same, context, groups


def test_round_trip_through_json_gives_the_same_probabilities():
    score, hits, _, context, _ = _regimes()
    for two_stage in (False, True):
        cal = ContextLogistic.fit(ml.CONTEXT_FEATURES, context, hits, two_stage=two_stage)
        back = ContextLogistic.model_validate_json(cal.model_dump_json())
        assert back.model_dump() == cal.model_dump() and (back.isotonic is not None) == two_stage
        np.testing.assert_array_equal(back(context), cal(context))
        assert np.all((cal(context) >= 0) & (cal(context) <= 1))
    # sizes are checked on load: a truncated coefficient row is refused
    raw = cal.model_dump(mode="json")
    raw["linear"]["coef"][0] = raw["linear"]["coef"][0][:-1]
    with pytest.raises(ValueError, match="sizes"):
        ContextLogistic.model_validate(raw)


def test_monotone_in_the_score_at_fixed_context():
    score, hits, _, context, _ = _regimes()
    grid = np.linspace(-4, 6, 200)
    for two_stage in (False, True):
        cal = ContextLogistic.fit(ml.CONTEXT_FEATURES, context, hits, two_stage=two_stage)
        assert cal.monotone
        for row in context[:20]:
            X = np.tile(row, (len(grid), 1))
            X[:, 0] = grid
            assert np.all(np.diff(cal(X)) >= -1e-12)
    # a score that predicts the opposite is flagged, and the choice never takes such a map
    flipped = ContextLogistic.fit(ml.CONTEXT_FEATURES, context, 1.0 - hits)
    assert not flipped.monotone
    _, _, ctx, figures = ml.fit_calibration(score, 1.0 - hits, _regimes()[2], context, _regimes()[4], True, 50,
                                            method="inner_cv")
    assert ctx is None or ctx.monotone


def test_inner_cv_prefers_the_context_when_the_regime_moves_the_reliability():
    score, hits, same, context, groups = _regimes(1200)
    cal, new, ctx, figures = ml.fit_calibration(score, hits, same, context, groups, by_release=False, min_side=50,
                                                method="inner_cv")
    assert figures["chosen"] in ("context", "context_isotonic") and ctx is not None
    assert figures[figures["chosen"]]["brier"] < figures["isotonic"]["brier"]
    # the pooled isotonic map is off by regime; the contextual one is not
    for flag in (True, False):
        m = same == flag
        assert abs(ctx(context[m]).mean() - hits[m].mean()) < 0.03
    # "isotonic" (the default, ml.CALIBRATION) keeps the pair and tries nothing else
    for kwargs in ({"method": "isotonic"}, {}):
        _, _, none, only = ml.fit_calibration(score, hits, same, context, groups, True, 50, **kwargs)
        assert none is None and only == {"chosen": "isotonic"}


def _obs(i: int, regime: str) -> tuple[Observation, list[str]]:
    genre = "techno" if i % 3 else "house"
    album = f"album {i // 4}"
    near = [{"id": "s", "text": "t", "genres": [genre], "score": 0.9,
             "fields": {"album": album, "artist": "a", "label": "l"}}] if regime == "random" else []
    # some items whose evidence misleads: their gold is another genre
    wrong = i % 5 == 0 or (i % 3 == 1 and regime == "album")
    ev = {"genres": [{"id": genre, "label": genre, "score": 0.8, "vote": 0.6 + 0.01 * (i % 7), "votes": 30},
                     {"id": "dub", "label": "dub", "score": 0.3, "vote": 0.3, "votes": 8}],
          "exemplars": [*near, {"id": "y", "text": "u", "genres": [genre], "score": 0.4 + 0.05 * (i % 5)}]}
    return Observation(Item(id=str(i), title=f"track {i}", album=album), ev, None), ["ambient" if wrong else genre]


def _fit(calibration: str | None, n: int = 80):
    rows = [_obs(i, "random") for i in range(n)] + [_obs(i, "album") for i in range(n)]
    obs, gold = [r[0] for r in rows], [r[1] for r in rows]
    albums = [f"album {i // 4}" for i in range(n)] * 2
    audit = Audit()
    model, oof = fit_multilabel(obs, gold, albums, {}, 3, 4, 0, audit, keys=[str(i) for i in range(n)] * 2,
                                by_release=True, **({"calibration": calibration} if calibration else {}))
    return model, oof, audit, obs


def test_cross_fitting_never_scores_a_row_with_a_calibrator_fitted_on_it():
    model, oof, audit, obs = _fit("inner_cv")
    audit.check()
    names = {name for name, _ in audit.fits}
    assert "multilabel/calibrator" in names  # the outer calibrators and the choice's CV fits
    assert model.calibration["chosen"] in ml.CALIBRATIONS and "isotonic" in model.calibration  # CV ran
    assert sum(name == "multilabel/calibrator" for name, _ in audit.fits) > 4  # outer fits + CV folds
    # the audit sees a calibrator scoring a row of an item it was fitted on (pooled rows of one
    # item in two CV groups)
    score, hits, same, context, _ = _regimes(40)
    leak = Audit(keys=[str(i % 20) for i in range(40)])
    ml.fit_calibration(score, hits, same, context, [f"g{i}" for i in range(40)], True, 5, method="inner_cv",
                       audit=leak, rows=np.arange(40))
    with pytest.raises(AssertionError, match="calibrator"):
        leak.check()


def test_a_model_with_a_context_calibrator_decides_with_it_and_round_trips():
    model, _, _, obs = _fit("isotonic")
    assert model.calibrator_context is None and model.calibration == {"chosen": "isotonic"}
    score, hits, _, context, _ = _regimes()
    with_ctx = model.model_copy(update={"calibrator_context": ContextLogistic.fit(ml.CONTEXT_FEATURES, context, hits)})
    back = ml.MultilabelModel.model_validate_json(with_ctx.model_dump_json())
    for o in obs[:5] + obs[-5:]:
        labels, conf, probs = back.decide(o)
        ids, p, X = back._scored(o)
        chosen = ml.chosen_indices(p, back.threshold, back.fallback_top1, back.max_labels)
        want = float(back.calibrator_context(ml.context_row(p, chosen, X)[None, :])[0]) if chosen else 0.0
        assert conf == pytest.approx(want)
        assert (labels, probs) == model.decide(o)[::2]  # the labels never depend on the calibrator


def test_an_artifact_fitted_before_loads_and_decides_with_its_isotonic_pair():
    model, _, _, obs = _fit(None)  # the default recipe: the isotonic pair
    assert model.calibrator_context is None and model.calibration == {"chosen": "isotonic"}
    raw = model.model_dump(mode="json")
    del raw["calibrator_context"], raw["calibration"]
    old = ml.MultilabelModel.model_validate(raw)
    shipped = load_fusion(default_fusion_dir()).fields["genres"].model
    for m in (old, shipped):
        assert m.calibrator_context is None
        for o in obs[:4] + obs[-4:]:
            labels, conf, _ = m.decide(o)
            ids, p, same = m._probs(o)
            score = float(np.prod(sorted(p, reverse=True)[: len(labels)]))
            assert conf == (m.calibrate(score, same) if labels else 0.0)
    assert [old.decide(o) for o in obs] == [model.decide(o) for o in obs]
