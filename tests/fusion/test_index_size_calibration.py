"""The genres confidence calibrated by exemplar-index size (#11, session 16): the size is tag-time
evidence that reaches the calibrator; a size-keyed artifact gives two items that differ only in
index size different confidences; an artifact without the key (the shipped one) and an item
without a size decide exactly as before; a bad key is refused on load."""

from __future__ import annotations

import json

import numpy as np
import pytest

from linernotes.fusion import multilabel as ml
from linernotes.fusion.artifact import (
    FORMAT_SIZE_CALIBRATOR,
    FusionError,
    default_fusion_dir,
    load_fusion,
    save_fusion,
)
from linernotes.fusion.crossfit import Audit
from linernotes.fusion.estimators import Isotonic
from linernotes.fusion.fitting import calibration_rows, fit_multilabel
from linernotes.fusion.index_size import SizeCalibration, SizeClasses, fit_size_calibration, size_edges
from linernotes.fusion.observation import Observation
from linernotes.schema import Item

SMALL, LARGE = 150, 3000


def _obs(i: int, size: int | None) -> tuple[Observation, list[str]]:
    """An item whose evidence looks the same at both index sizes; at the small size its gold is
    more often another genre (a sparse catalog's votes mislead more)."""
    genre = "techno" if i % 3 else "house"
    wrong = i % 5 == 0 or (size == SMALL and i % 5 in (1, 2))
    ev = {"genres": [{"id": genre, "label": genre, "score": 0.8, "vote": 0.6 + 0.01 * (i % 7), "votes": 30},
                     {"id": "dub", "label": "dub", "score": 0.3, "vote": 0.3, "votes": 8}],
          "exemplars": [{"id": "y", "text": "u", "genres": [genre], "score": 0.4 + 0.05 * (i % 5)}]}
    if size is not None:
        ev["exemplar_index_size"] = size
    return Observation(Item(id=str(i), title=f"track {i}", album=f"album {i // 4}"), ev, None), \
        ["ambient" if wrong else genre]


def _fit(n: int = 120, min_size_class: int = 40):
    rows = [_obs(i, SMALL) for i in range(n)] + [_obs(i, LARGE) for i in range(n)]
    obs, gold = [r[0] for r in rows], [r[1] for r in rows]
    audit = Audit()
    model, oof = fit_multilabel(obs, gold, [f"album {i // 4}" for i in range(n)] * 2, {}, 3, 4, 0, audit,
                                keys=[str(i) for i in range(n)] * 2, by_release=True, min_size_class=min_size_class)
    return model, oof, audit, obs


@pytest.fixture(scope="module")
def fitted():
    return _fit()


def test_the_index_size_reaches_the_observation_the_calibrator_and_its_rows(fitted):
    model, oof, audit, obs = fitted
    audit.check()  # cross-fitting: no item scored by a model or calibrator fitted on it
    assert obs[0].index_size == SMALL and obs[-1].index_size == LARGE
    assert _obs(0, None)[0].index_size is None
    by_size = model.calibrator_by_size
    assert by_size is not None and by_size.new_release is not None  # no same-album neighbours here
    assert by_size.new_release.edges == [pytest.approx(np.sqrt(SMALL * LARGE))]
    # the out-of-fold rows say what each confidence was calibrated from
    assert {r.index_size for r in oof.rows.values()} == {SMALL, LARGE}
    keys = [o.item.id for o in obs]
    right = [ml.precise(oof.values[i], g) for i, g in enumerate(_obs(i % 120, s)[1] for s in (SMALL, LARGE)
                                                                 for i in range(120))]
    rows = calibration_rows(oof, keys, ["small"] * 120 + ["large"] * 120, right)
    assert len(rows) == len(oof.rows) and {r["index_size"] for r in rows} == {SMALL, LARGE}
    assert set(rows[0]["context"]) == set(ml.CONTEXT_FEATURES) and json.dumps(rows)
    assert all(r["confidence"] == round(oof.confidence[i], 6) for i, r in zip(sorted(oof.rows), rows, strict=True))


def test_two_items_that_differ_only_in_index_size_get_different_confidences(fitted):
    model, _, _, _ = fitted
    back = ml.MultilabelModel.model_validate_json(model.model_dump_json())  # plain JSON round trip
    gaps = []
    for i in range(1, 40):
        small, large, unknown = (back.decide(_obs(i, s)[0]) for s in (SMALL, LARGE, None))
        assert small[0] == large[0] == unknown[0] and small[2] == large[2]  # labels never depend on it
        gaps.append(large[1] - small[1])
        ids, p, same = back._probs(_obs(i, None)[0])
        score = float(np.prod(sorted(p, reverse=True)[: len(unknown[0])]))
        if unknown[0]:  # no size: the size-free map
            assert unknown[1] == back.calibrate(score, same)
            assert unknown[1] == float((back.calibrator_new_release or back.calibrator)(np.array([score]))[0])
    # the sparse catalog's sets are right less often: lower confidence at the same evidence
    assert np.mean(gaps) > 0.1 and min(gaps) >= 0


def test_an_artifact_without_a_size_key_decides_exactly_as_before(fitted):
    model, _, _, obs = fitted
    raw = model.model_dump(mode="json")
    del raw["calibrator_by_size"]
    old = ml.MultilabelModel.model_validate(raw)
    # the shipped combiner as an artifact fitted before the maps by size holds it: the same model without the key
    shipped = load_fusion(default_fusion_dir()).fields["genres"].model
    shipped = ml.MultilabelModel.model_validate({k: v for k, v in shipped.model_dump(mode="json").items()
                                                 if k != "calibrator_by_size"})
    for m in (old, shipped):
        assert m.calibrator_by_size is None
        for i in range(12):
            with_size = [m.decide(_obs(i, s)[0]) for s in (SMALL, LARGE)]
            assert with_size[0] == with_size[1] == m.decide(_obs(i, None)[0])
    assert [old.decide(_obs(i, None)[0]) for i in range(20)] == [model.decide(_obs(i, None)[0]) for i in range(20)]


def test_size_classes_cover_an_index_of_any_size():
    sizes = [130] * 300 + [140] * 300 + [420] * 500 + [1200] * 500 + [3000] * 200
    edges = size_edges(sizes, 3, 200)
    assert len(edges) == 2 and 140 < edges[0] < 420 < edges[1] < 1200
    cal = SizeClasses(edges=edges, maps=[Isotonic(x=[0, 1], y=[v, v]) for v in (0.1, 0.5, 0.9)])
    assert [cal(0.5, s) for s in (1, 140, 419, 421, 10**7)] == [0.1, 0.1, 0.5, 0.5, 0.9]
    assert size_edges([1279] * 1000) == []  # one size: nothing to key by
    # an empty index (size 0) has no log size: its sets are left out of the classes, not a NaN edge
    n = len(sizes) + 100
    scores, hits = np.linspace(0.1, 0.9, n), np.tile([0.0, 1.0], n // 2)
    cal = fit_size_calibration(scores, hits, np.zeros(n, bool), np.array([0.0] * 100 + sizes), True, 3, 200)
    assert cal.same_album is None and cal.new_release.edges == pytest.approx(edges)
    assert size_edges([1000 + i % 50 for i in range(1000)], 3, 100) == []  # a few percent apart: one size
    assert size_edges([100] * 50 + [1000] * 500, 3, 200) == []  # too few sets for a second class


@pytest.mark.parametrize(("bad", "reason"), [
    ({"edges": [500.0, 200.0], "maps": [{}, {}, {}]}, "edges must be positive, finite and increasing"),
    ({"edges": [500.0], "maps": [{}, {}, {}]}, "3 maps need 2 edges"),
    ({"edges": [], "maps": [{}]}, "at least 2 items"),
    ({"edges": [-1.0], "maps": [{}, {}]}, "edges must be positive"),
])
def test_a_bad_size_key_is_refused_on_load_naming_it(tmp_path, bad, reason):
    doc = json.loads((default_fusion_dir() / "fusion.json").read_bytes())
    doc["fields"]["genres"]["model"]["calibrator_by_size"] = {"new_release": bad}
    (tmp_path / "fusion.json").write_text(json.dumps(doc))
    with pytest.raises(FusionError) as err:
        load_fusion(tmp_path)
    msg = str(err.value)
    assert "fields.genres.model.multilabel.calibrator_by_size.new_release" in msg and reason in msg, msg


def test_a_size_keyed_artifact_is_format_4_and_round_trips(tmp_path, fitted):
    art = load_fusion(default_fusion_dir())
    art.fields["genres"].model = fitted[0]
    del art.fields["valence"]  # its negation-marked and character terms are format 5
    policy = art.fields["policy"]  # and the policy's fitted length is format 6 (test_policy_long_text)
    policy.model = policy.model.model_copy(update={"max_words": None})
    save_fusion(art, tmp_path)
    back = load_fusion(tmp_path)
    assert back.format == FORMAT_SIZE_CALIBRATOR
    assert back.fields["genres"].model.calibrator_by_size == fitted[0].calibrator_by_size
    assert isinstance(back.fields["genres"].model.calibrator_by_size, SizeCalibration)

