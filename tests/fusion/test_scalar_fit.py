"""The scalar combiner's text: negated words as their own terms, character n-grams, and the ridge's
alpha and block weights chosen by inner cross-validation (the weights folded into the stored
coefficients); the artifact that carries them is format 5."""

from __future__ import annotations

import numpy as np
import pytest

from linernotes.fusion.artifact import (
    FORMAT_SCALAR_TEXT,
    FieldFusion,
    FusionArtifact,
    load_fusion,
    save_fusion,
)
from linernotes.fusion.crossfit import Audit
from linernotes.fusion.fitting import UNWEIGHTED, BlockWeights, fit_scalar
from linernotes.fusion.observation import Observation
from linernotes.schema import Item

POLARITY = {"good": 1.0, "great": 1.0, "lovely": 0.8, "bad": -1.0, "awful": -1.0, "dull": -0.8}


def _data(n: int = 160):
    """Sentences of one polar word, half of them negated ("not good"): the value flips with the
    negation, which a bag of plain words cannot see ("good" is in both)."""
    rng = np.random.default_rng(3)
    obs, target = [], []
    for i in range(n):
        word = str(rng.choice(list(POLARITY)))
        negated = i % 2 == 1
        text = f"the show was {'not ' if negated else ''}really {word} tonight"
        obs.append(Observation(Item(id=str(i), description=text), {"lexical_valence": None, "policy_hits": []}, None))
        target.append(-POLARITY[word] * 0.5 if negated else POLARITY[word] * 0.8)
    return obs, np.array(target)


@pytest.fixture(scope="module")
def fitted():
    obs, target = _data()
    audit = Audit()
    model, oof = fit_scalar(obs, target, None, 0.25, options=((1e6, UNWEIGHTED), (1.0, UNWEIGHTED)), k=4, seed=0,
                            audit=audit)
    return obs, target, model, oof, audit


def test_negated_words_are_learned_apart_and_cross_fitting_stays_clean(fitted):
    obs, target, model, oof, audit = fitted
    audit.check()  # no item scored by a model (inner or outer, any alpha) trained on it
    pred = np.array([oof.values[i] for i in range(len(obs))])
    negated = np.arange(len(obs)) % 2 == 1
    # out of fold, "not good" comes out negative and "not bad" positive: the sign follows the negation
    assert np.corrcoef(pred, target)[0, 1] > 0.9
    assert np.all(np.sign(pred[negated]) == np.sign(target[negated]))
    assert model.tfidf.params.get("negation") is True and "neg_good" in model.tfidf.vocabulary
    assert model.char_tfidf is not None and model.char_tfidf.params["analyzer"] == "char_wb"
    (not_good, _), (good, _) = model.decide_many([Observation(Item(id="a", description="the show was not really good tonight"),
                                                              {"lexical_valence": None, "policy_hits": []}, None),
                                                  Observation(Item(id="b", description="the show was really good tonight"),
                                                              {"lexical_valence": None, "policy_hits": []}, None)])
    assert not_good < 0 < good


def test_the_alpha_is_chosen_by_inner_cross_validation_stored_and_used(fitted):
    """An alpha so large that every coefficient is ~0 predicts the mean for every item; the inner
    folds must see its error and pick the usable one, and the final regressor is fitted with it."""
    obs, target, model, _, _ = fitted
    assert model.regularisation == 1.0
    only, _ = fit_scalar(obs, target, None, 0.25, options=((1.0, UNWEIGHTED),), k=4, seed=0)
    assert np.allclose(model.regressor.coef, only.regressor.coef)
    flat, _ = fit_scalar(obs, target, None, 0.25, options=((1e6, UNWEIGHTED),), k=4, seed=0)
    assert flat.regularisation == 1e6 and np.abs(np.asarray(flat.regressor.coef)).max() < 1e-3


def test_an_artifact_with_the_new_text_features_is_format_5_and_round_trips(fitted, tmp_path):
    obs, _, model, _, _ = fitted
    art = FusionArtifact(fields={"valence": FieldFusion(field="valence", kind="scalar", model=model, threshold=None,
                                                        card={}, trained_on=[])})
    save_fusion(art, tmp_path)
    back = load_fusion(tmp_path)
    assert back.format == FORMAT_SCALAR_TEXT
    assert back.fields["valence"].model.decide_many(obs[:6]) == model.decide_many(obs[:6])


def test_block_weights_are_folded_into_the_stored_regressor(fitted):
    """Weighted blocks (words 1.5, characters 0.5, embedding 0.25, dense 2) are fitted on the
    weighted design, and the artifact applies the same function to the unweighted tag-time row:
    its predictions equal a ridge fitted on the weighted design by scikit-learn, and differ from
    the unweighted fit's."""
    from scipy import sparse
    from sklearn.linear_model import Ridge
    from sklearn.preprocessing import StandardScaler

    from linernotes.fusion.features import embed, scalar_dense

    obs, target, _, _, _ = fitted
    w = BlockWeights(words=1.5, chars=0.5, embedding=0.25, dense=2.0)
    model, _ = fit_scalar(obs, target, None, 0.25, options=((1.0, w),), k=4, seed=0)
    plain, _ = fit_scalar(obs, target, None, 0.25, options=((1.0, UNWEIGHTED),), k=4, seed=0)
    assert model.block_weights == [1.5, 0.5, 0.25, 2.0] and plain.block_weights == [1.0, 1.0, 1.0, 1.0]
    texts = [o.prose for o in obs]
    X = sparse.hstack([model.tfidf.transform(texts) * 1.5, model.char_tfidf.transform(texts) * 0.5,
                       embed(texts) * 0.25,
                       StandardScaler().fit_transform(np.vstack([scalar_dense(o) for o in obs])) * 2.0]).tocsr()
    reference = np.clip(Ridge(alpha=1.0).fit(X, target).predict(X), -1, 1)
    got = np.array([v for v, _ in model.decide_many(obs)])
    assert np.allclose(got, reference, atol=1e-6)
    other = np.array([v for v, _ in plain.decide_many(obs)])
    assert not np.allclose(got, other, atol=1e-3)
