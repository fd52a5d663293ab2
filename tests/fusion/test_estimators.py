"""The JSON-safe estimators reproduce scikit-learn's predictions after a JSON round trip."""

from __future__ import annotations

import numpy as np
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.isotonic import IsotonicRegression
from sklearn.linear_model import LogisticRegression, Ridge

from linernotes.fusion.estimators import Isotonic, Linear, Standardizer, Tfidf

TEXTS = ["a happy sunny song", "a sad rainy song", "angry loud noise", "calm sunny morning", "sad quiet night",
         "happy loud party", "rainy sad blues", "sunny happy day"]


def _roundtrip(model):
    return type(model).model_validate_json(model.model_dump_json())


def test_linear_regression_matches_ridge():
    rng = np.random.default_rng(0)
    X, y = rng.normal(size=(50, 4)), rng.normal(size=50)
    ridge = Ridge(alpha=0.7).fit(X, y)
    ours = _roundtrip(Linear.from_sklearn(ridge))
    assert np.allclose(ours.predict(X), ridge.predict(X))


def test_binary_and_multinomial_probabilities_match_logistic_regression():
    rng = np.random.default_rng(1)
    X = rng.normal(size=(90, 3))
    y2 = (X[:, 0] + X[:, 1] > 0).astype(int)
    y3 = np.array(["a", "b", "c"])[np.argmax(X, axis=1)]
    for y in (y2, y3):
        clf = LogisticRegression(max_iter=1000).fit(X, y)
        ours = _roundtrip(Linear.from_sklearn(clf))
        assert ours.classes == [str(c) for c in clf.classes_]
        assert np.allclose(ours.predict_proba(X), clf.predict_proba(X), atol=1e-9)


def test_tfidf_matches_sklearn_and_drops_unseen_terms():
    ours, matrix = Tfidf.fit(TEXTS, min_df=1)
    ref = TfidfVectorizer(ngram_range=(1, 2), min_df=1, sublinear_tf=True, max_features=30000).fit(TEXTS)
    again = _roundtrip(ours)
    probe = ["happy sunny blues", "words nobody used"]
    assert np.allclose(again.transform(probe).toarray(), ref.transform(probe).toarray())
    assert np.allclose(matrix.toarray(), ref.transform(TEXTS).toarray())
    assert again.transform(["words nobody used"]).nnz == 0


def test_isotonic_matches_sklearn_and_clips():
    rng = np.random.default_rng(2)
    s = rng.uniform(size=200)
    y = (rng.uniform(size=200) < s).astype(float)
    ref = IsotonicRegression(y_min=0, y_max=1, out_of_bounds="clip").fit(s, y)
    ours = _roundtrip(Isotonic.fit(s, y))
    probe = np.array([-1.0, 0.0, 0.3, 0.77, 2.0])
    assert np.allclose(ours(probe), ref.predict(probe))
    assert Isotonic()(np.array([0.2])).tolist() == [0.5]


def test_standardizer_handles_constant_columns():
    X = np.array([[1.0, 5.0], [3.0, 5.0]])
    z = _roundtrip(Standardizer.fit(X)).transform(X)
    assert np.allclose(z[:, 0], [-1, 1]) and np.allclose(z[:, 1], 0)


def test_boosted_trees_match_sklearn_after_a_json_round_trip():
    from sklearn.ensemble import HistGradientBoostingClassifier

    from linernotes.fusion.estimators import Trees

    rng = np.random.default_rng(3)
    X = rng.normal(size=(600, 5))
    X[rng.random(X.shape) < 0.05] = np.nan  # missing values: some splits send them one way, with an infinite cut
    y = ((np.nan_to_num(X[:, 0]) * np.nan_to_num(X[:, 1]) > 0) | (X[:, 2] > 1)).astype(int)
    hgb = HistGradientBoostingClassifier(max_iter=40, max_leaf_nodes=15, early_stopping=False,
                                         random_state=0).fit(X, y)
    ours = _roundtrip(Trees.from_sklearn(hgb))
    test = rng.normal(size=(300, 5))
    test[rng.random(test.shape) < 0.1] = np.nan
    assert ours.classes == ["0", "1"] and ours.depth >= 3
    assert np.allclose(ours.predict_proba(test), hgb.predict_proba(test), atol=1e-12)
    assert np.allclose(ours.predict_proba(test[:1]), hgb.predict_proba(test[:1]), atol=1e-12)


def test_trees_with_a_child_outside_the_tree_do_not_load():
    import pytest
    from pydantic import ValidationError

    from linernotes.fusion.estimators import Trees

    tree = {"baseline": 0.0, "feature": [[0, 0, 0]], "threshold": [[0.5, 0.0, 0.0]], "missing_left": [[True] * 3],
            "left": [[1, 1, 2]], "right": [[2, 1, 2]], "value": [[0.0, -1.0, 1.0]], "depth": 1}
    assert Trees.model_validate(tree).predict_proba(np.array([[0.0], [1.0]]))[:, 1].round(3).tolist() == [0.269, 0.731]
    with pytest.raises(ValidationError, match="child index outside"):
        Trees.model_validate({**tree, "right": [[7, 1, 2]]})


def test_trees_whose_depth_is_not_their_deepest_leafs_do_not_load():
    """QA session 24: a hand-edited ``depth`` (10**9) loaded, and every item with exemplars then
    walked its genre trees 10**9 steps: liner tag spun for 10 minutes and SIGTERM could not stop
    it. A smaller depth stops the walk on a test node (value 0): a wrong probability, silently."""
    import pytest
    from pydantic import ValidationError

    from linernotes.fusion.estimators import Trees

    tree = {"baseline": 0.0, "feature": [[0, 0, 0, 0, 0]], "threshold": [[0.5, 0.2, 0.0, 0.0, 0.0]],
            "missing_left": [[True] * 5], "left": [[1, 3, 2, 3, 4]], "right": [[2, 4, 2, 3, 4]],
            "value": [[0.0, 0.0, 1.0, -1.0, -2.0]], "depth": 2}
    assert Trees.model_validate(tree).depth == 2
    for depth in (10**9, 3, 1):
        with pytest.raises(ValidationError, match=f"depth {depth}: the trees' deepest leaf is 2 steps from its root"):
            Trees.model_validate({**tree, "depth": depth})
    with pytest.raises(ValidationError, match="tree 0: its children form a loop"):
        Trees.model_validate({**tree, "left": [[1, 0, 2, 3, 4]]})  # node 1 sends its left child back to the root


def test_one_text_tfidf_rows_are_sklearns_bit_for_bit(shared_data):
    """Tag time transforms one text at a time by its own path (``estimators._tfidf_one``): the
    same CSR row as scikit-learn's ``transform``, bit for bit, for the shipped word and character
    vocabularies, on real gold texts, texts with no known n-gram and an empty one; the n-gram
    counts one analyzer shares between vocabularies never leak from one text into the next."""
    import json

    from linernotes.fusion.artifact import default_fusion_dir, load_fusion

    art = load_fusion(default_fusion_dir())
    valence = art.fields["valence"].model
    shipped = [art.fields["policy"].model.tfidf, art.fields["policy"].model.char_tfidf, valence.tfidf,
               *([valence.char_tfidf] if valence.char_tfidf is not None else [])]
    texts = ["", "zzqx vvkj", "Ünïcödé CAFÉ fête!!", "the the the the"]
    for name in ("bandcamp-tracks.dev.jsonl", "policy-prompts.dev.jsonl", "vader-multirater.dev.jsonl"):
        for line in (shared_data / "gold" / name).read_text().splitlines()[:150]:
            d = json.loads(line)
            texts.append(" \n".join(v for v in (d.get("item") or d).values() if isinstance(v, str)))
    fresh = [_roundtrip(t) for t in (*shipped, Tfidf.fit(TEXTS, min_df=1)[0], Tfidf.fit(TEXTS, min_df=1, negation=True)[0])]
    sklearn_own = [t.vectorizer() for t in fresh]
    for text in texts:
        for ours, vec in zip(fresh, sklearn_own, strict=True):  # alternating vocabularies, as an item does
            got = ours.transform([text])
            ref = vec.transform([text])
            assert got.shape == ref.shape and got.dtype == ref.dtype and got.indices.dtype == ref.indices.dtype
            assert np.array_equal(got.indices, ref.indices) and np.array_equal(got.indptr, ref.indptr)
            assert np.array_equal(got.data.view(np.int64), ref.data.view(np.int64)), text
            # the row built without the constructor's checks (``_csr_row``) is the same object
            assert type(got) is type(ref) and set(vars(got)) == set(vars(ref)) and got.maxprint == ref.maxprint
