"""Genres on the album-held-out split: the combiner is held out by album like the exemplars (no
item scored by a model fitted on a track of its release), the candidate features that compare a
candidate with the item's other candidates, and the stored regularisation."""

from __future__ import annotations

import json

import numpy as np
import pytest

from linernotes.evals.fit import fold_groups
from linernotes.evals.gold import load_gold, norm_key
from linernotes.evals.spec import load_spec, resolve_data
from linernotes.fusion import multilabel as ml
from linernotes.fusion.crossfit import Audit
from linernotes.fusion.features import CANDIDATE_FEATURES, candidate_rows
from linernotes.fusion.fitting import fit_multilabel
from linernotes.fusion.multilabel import MultilabelModel
from linernotes.fusion.observation import Observation
from linernotes.schema import Item


def _sample(name: str, shared_data):
    spec = load_spec(name)
    return spec, load_gold(spec, resolve_data(spec, shared_data / "gold" / "bandcamp-tracks.dev.jsonl"), 120, 0)


def test_album_spec_folds_by_album_and_random_spec_by_label(shared_data):
    spec, gold = _sample("bandcamp-genres-album", shared_data)
    groups = fold_groups(spec, gold.items)
    assert groups == [norm_key(g.inputs.get("album")) for g in gold.items]
    assert len(set(groups)) > len({g.group for g in gold.items})  # albums, not labels
    spec, gold = _sample("bandcamp-genres", shared_data)
    assert fold_groups(spec, gold.items) == [g.group for g in gold.items]


def _obs(i: int, album: str) -> tuple[Observation, list[str]]:
    genre = "techno" if i % 3 else "house"
    ev = {"genres": [{"id": genre, "label": genre, "score": 0.8, "vote": 0.7 + 0.01 * (i % 5), "votes": 30},
                     {"id": "ambient", "label": "ambient", "score": 0.3, "vote": 0.2, "votes": 8}],
          "exemplars": [{"id": "x", "text": "t", "genres": [genre], "score": 0.9},
                        {"id": "y", "text": "u", "genres": ["ambient"], "score": 0.4}]}
    return Observation(Item(id=str(i), title=f"track {i}", album=album, year=2000 + i % 20), ev, None), [genre]


def test_no_item_is_scored_by_a_model_fitted_on_its_album():
    albums = [f"album {i // 4}" for i in range(80)]  # 20 releases of 4 tracks
    rows = [_obs(i, a) for i, a in enumerate(albums)]
    audit = Audit()
    model, oof = fit_multilabel([r[0] for r in rows], [r[1] for r in rows], albums, {}, 3, 5, 0, audit)
    audit.check()
    assert len(oof.values) == 80 and "over 20 groups" in oof.scheme
    # outer and inner models alike: the albums a model was fitted on never meet the ones it scored
    for handle, scored in audit.scores:
        trained = {albums[i] for i in audit.fits[handle][1]}
        assert not trained & {albums[i] for i in scored}, audit.fits[handle][0]
    assert model.regularisation == ml.C
    assert np.mean([oof.values[i] == rows[i][1] for i in range(80)]) > 0.95


def test_relative_features_compare_a_candidate_with_the_items_others():
    obs, _ = _obs(7, "a")  # year 2007; votes: techno 0.72, ambient 0.2
    ids, X = candidate_rows(obs, {})
    col = {f: X[:, CANDIDATE_FEATURES.index(f)] for f in CANDIDATE_FEATURES}
    assert ids == ["techno", "ambient"]
    assert col["vote_rank"].tolist() == [0.0, 0.1]
    assert col["vote_gap"] == pytest.approx([0.0, 0.2 - 0.72])
    assert col["vote_majority"].tolist() == [1.0, 0.0]
    assert col["vote_majority_labels"].tolist() == [0.2, 0.2]  # one majority candidate, / 5
    assert col["fewshot_rank"].tolist() == [0.0, 0.1]
    assert col["vote_x_fewshot"] == pytest.approx(col["vote_share"] * col["fewshot_weighted_share"])
    assert col["year"] == pytest.approx([-0.3, -0.3])
    bare = Observation(obs.item.model_copy(update={"year": None}), obs.evidence, None)
    assert candidate_rows(bare, {})[1][:, CANDIDATE_FEATURES.index("year")].tolist() == [0.0, 0.0]


def test_a_multilabel_model_saved_before_the_regularisation_field_still_loads():
    obs = [_obs(i, f"a{i}")[0] for i in range(20)]
    gold = [_obs(i, f"a{i}")[1] for i in range(20)]
    model, _ = fit_multilabel(obs, gold, [f"a{i}" for i in range(20)], {}, 3, 2, 0)
    old = json.loads(model.model_dump_json())
    old.pop("regularisation")
    assert MultilabelModel.model_validate(old).regularisation == ml.C


def test_train_only_rows_join_every_fit_but_are_never_scored_nor_tuned_on():
    albums = [f"album {i // 4}" for i in range(60)]
    rows = [_obs(i, a) for i, a in enumerate(albums)]
    extra = [_obs(100 + i, f"pool album {i // 4}") for i in range(80)]
    obs, gold = [r[0] for r in rows + extra], [r[1] for r in rows + extra]
    audit = Audit()
    with_pool, oof = fit_multilabel(obs, gold, albums + [f"pool album {i // 4}" for i in range(80)], {}, 3, 5, 0,
                                    audit, train_only=len(extra))
    audit.check()
    assert sorted(oof.values) == list(range(60)) and "over 15 groups" in oof.scheme
    assert all(i < 60 for _, scored in audit.scores for i in scored)  # a pool row is never scored
    alone, _ = fit_multilabel(obs[:60], gold[:60], albums, {}, 3, 5, 0)
    assert with_pool.classifier != alone.classifier  # the pool rows did train it


@pytest.mark.parametrize("family", ["linear", "trees"])
def test_either_family_fits_saves_and_loads(family, monkeypatch):
    monkeypatch.setattr(ml, "FAMILY", family)
    albums = [f"album {i // 4}" for i in range(80)]
    rows = [_obs(i, a) for i, a in enumerate(albums)]
    model, oof = fit_multilabel([r[0] for r in rows], [r[1] for r in rows], albums, {}, 3, 5, 0)
    again = MultilabelModel.model_validate_json(model.model_dump_json())
    assert type(again.classifier) is type(model.classifier)
    assert again.decide(rows[0][0]) == model.decide(rows[0][0])
    assert np.mean([oof.values[i] == rows[i][1] for i in range(80)]) > 0.95
