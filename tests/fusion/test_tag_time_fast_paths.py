"""The tag-time fast paths of fusion compute the same floats as the scikit-learn / SciPy calls
they replace (bit for bit, so records stay byte-identical): the TF-IDF row (no input
validation) and the design row (no ``sparse.hstack``), with the shipped artifact's vocabularies
on the bundled example's and synthetic catalog texts."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
from scipy import sparse

from linernotes.fusion.estimators import Tfidf
from linernotes.fusion.features import design_row, embed

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "catalog.jsonl"


def _texts() -> list[str]:
    texts = []
    for line in EXAMPLE.read_text(encoding="utf-8").splitlines():
        row = json.loads(line)
        texts.append(" \n".join(str(v) for k, v in row.items() if isinstance(v, str) and k not in ("id", "audio_path")))
    texts += ["", "a", "The the THE the", "é ünïcode — “quotes” 123 456", "x " * 400, "sad sad sad happy\nangry"]
    return texts


def _same(a, b) -> None:
    a, b = sparse.csr_matrix(a), sparse.csr_matrix(b)
    assert a.shape == b.shape and a.dtype == b.dtype
    assert np.array_equal(a.indptr, b.indptr) and np.array_equal(a.indices, b.indices)
    assert a.data.tobytes() == b.data.tobytes()  # bitwise, not approximately


def _models(art):
    return [f.model for f in art.fields.values() if hasattr(f.model, "tfidf")]


def test_tfidf_rows_equal_scikit_learn_bit_for_bit(artifact):
    models = _models(artifact)
    assert models, "the shipped artifact has TF-IDF combiners"
    for tfidf in [t for m in models for t in (m.tfidf, getattr(m, "char_tfidf", None)) if t is not None]:
        reference = tfidf.vectorizer()
        for text in _texts():
            _same(tfidf.transform([text]), reference.transform([text]))
        _same(tfidf.transform(_texts()), reference.transform(_texts()))


def test_tfidf_fast_path_on_a_fitted_vectorizer():
    texts = ["a happy sunny song", "a sad rainy song", "angry loud noise", "calm sunny morning"] * 3
    for params in ({"min_df": 1}, {"min_df": 1, "analyzer": "char_wb", "ngram_range": (2, 5)}):  # words, char n-grams
        tfidf, _ = Tfidf.fit(texts, **params)
        reference = tfidf.vectorizer()
        for t in [*texts, "sunny sunny sunny rain", "nothing known"]:
            _same(tfidf.transform([t]), reference.transform([t]))


def test_design_row_equals_hstack_and_gives_the_same_predictions(artifact):
    for m in _models(artifact):
        for text in _texts():
            # a policy model's text row is its word terms then its character n-grams
            t = m.terms(text) if hasattr(m, "terms") else [m.tfidf.transform([text])]
            e = embed([text])
            dense = m.scaler.transform(np.linspace(-1.0, 1.0, len(m.scaler.mean))[None, :] * (len(text) % 3))
            old = sparse.hstack([*t, e, dense]).tocsr()
            new = design_row(t, e, dense)
            _same(new, old)
            coef = getattr(m, "regressor", None) or m.classifier
            assert coef.decision(new).tobytes() == coef.decision(old).tobytes()


def test_embed_of_one_text_is_cached_and_read_only():
    a, b = embed(["a calm piano piece"]), embed(["a calm piano piece"])
    assert a is b and not a.flags.writeable
    assert np.array_equal(embed(["a calm piano piece", "x"])[0], a[0])


def test_estimators_read_their_converted_arrays_without_pydantics_getattr(monkeypatch):
    """Each tag-time call reads the arrays its estimator converted once (a TF-IDF vectorizer, a
    scaler's and a linear model's arrays, the trees' packed nodes): read from the instance's
    private dict, not through pydantic's ``BaseModel.__getattr__`` (~3.2 us a read, 12.5 reads an
    item under ``--llm always``). The same values either way."""
    from pydantic import BaseModel
    from sklearn.ensemble import HistGradientBoostingClassifier
    from sklearn.linear_model import LogisticRegression

    from linernotes.fusion.estimators import Linear, Standardizer, Trees

    texts = ["a happy sunny song", "a sad rainy song", "calm sunny morning", "sad quiet night"]
    X = np.array([[0.0, 1.0], [1.0, 0.5], [2.0, 0.0], [3.0, 1.5]] * 5)
    y = np.array([0, 0, 1, 1] * 5)
    tfidf = Tfidf.fit(texts, min_df=1)[0]
    scaler = Standardizer.fit(X)
    linear = Linear.from_sklearn(LogisticRegression().fit(X, y))
    trees = Trees.from_sklearn(HistGradientBoostingClassifier(max_iter=3, min_samples_leaf=2).fit(X, y))
    first = (tfidf.transform(texts[:1]).toarray(), scaler.transform(X), linear.predict_proba(X), trees.predict_proba(X))
    reads: list[str] = []
    original = BaseModel.__getattr__

    def spy(self, name):  # test double: counts the reads that take pydantic's slow path
        reads.append(f"{type(self).__name__}.{name}")
        return original(self, name)

    monkeypatch.setattr(BaseModel, "__getattr__", spy)
    again = (tfidf.transform(texts[:1]).toarray(), scaler.transform(X), linear.predict_proba(X), trees.predict_proba(X))
    assert reads == []
    assert all(np.array_equal(a, b) for a, b in zip(first, again, strict=True))
