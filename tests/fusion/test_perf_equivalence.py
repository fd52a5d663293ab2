"""Session 10's tag-time cuts compute what they replace, bit for bit (records must not change):
the sparse design row's product with a model's weights (``estimators._csr_times_dense`` against
SciPy's own ``X @ W``), the character n-gram columns kept per word (against scikit-learn's
``transform`` with repeated and fresh words, through a full cache), and ``word_count``."""

from __future__ import annotations

import numpy as np
from scipy import sparse

from linernotes.fusion import estimators
from linernotes.fusion.estimators import Linear, Tfidf
from linernotes.fusion.features import design_row, embed, word_count

TEXTS = ["", "a", "The the THE the", "é ünïcode — “quotes” 123 456", "x " * 400, "sad sad sad happy\nangry",
         "kill them all, every one of them", "a calm piano piece for a rainy sunday", "😡 😡 😡", "I  love\t\tthis  song",
         "Buy cheap pills now!!! http://spam.example", "an ode to joy and sorrow and joy again"]


def test_linear_decision_on_a_csr_row_is_scipys_product(artifact):
    """One output (the valence regressor: SciPy's one-vector routine) and several (the policy
    classifier: its multi-vector routine), on the shipped models' real design rows."""
    for field in ("valence", "policy"):
        m = artifact.fields[field].model
        lin = getattr(m, "regressor", None) or m.classifier
        for text in TEXTS:
            terms = m.terms(text) if hasattr(m, "terms") else [m.tfidf.transform([text])]
            dense = m.scaler.transform(np.linspace(-1.0, 1.0, len(m.scaler.mean))[None, :] * (len(text) % 3))
            row = design_row(terms, embed([text]), dense)
            W_t, b = np.asarray(lin.coef).T.copy(), np.asarray(lin.intercept)
            want = np.asarray(sparse.csr_matrix.__matmul__(row, W_t)) + b
            got = lin.decision(row)
            assert got.shape == want.shape and got.dtype == want.dtype and got.tobytes() == want.tobytes()
    # anything but a float64 CSR matrix takes ``X @ W`` itself
    lin = Linear(coef=[[0.5, -1.0, 2.0], [1.0, 1.0, 1.0]], intercept=[0.1, -0.2])
    X = np.array([[1.0, 2.0, 3.0]])
    assert lin.decision(X).tobytes() == (X @ np.array(lin.coef).T + np.array(lin.intercept)).tobytes()
    assert estimators._csr_times_dense(sparse.csr_array(X), np.ones((3, 2))) is None
    assert estimators._csr_times_dense(sparse.csr_matrix(X.astype(np.float32)), np.ones((3, 2))) is None


def test_char_ngram_columns_kept_per_word_are_sklearns(artifact, monkeypatch):
    """The policy combiner's character rows, built from columns kept per word, equal scikit-learn's
    rows on texts that repeat words, share words with earlier texts, and after the per-word cache
    has been cleared mid-text (a cap of 3 words)."""
    char = artifact.fields["policy"].model.char_tfidf
    assert char is not None and char.params["analyzer"] == "char_wb"
    monkeypatch.setattr(estimators, "_WORD_CACHE_MAX", 3)
    for tfidf in (Tfidf.model_validate(char.model_dump()),
                  Tfidf.fit(["a happy sunny song", "a sad rainy song", "sunny sad"] * 2, min_df=1,
                            analyzer="char_wb", ngram_range=(2, 5))[0]):
        reference = tfidf.vectorizer()
        for text in [*TEXTS, *TEXTS[::-1], "sunny sunny sunny rain rain", "rain sunny"]:
            got, want = tfidf.transform([text]), reference.transform([text])
            assert np.array_equal(got.indices, want.indices) and got.indices.dtype == want.indices.dtype
            assert got.data.tobytes() == want.data.tobytes(), text


def test_word_count_counts_tokens_with_a_letter_or_digit():
    old = lambda text: sum(any(ch.isalnum() for ch in token) for token in text.split())  # noqa: E731
    for text in [*TEXTS, "! ! !", "a_b ²³ Ⅻ x² ٣", "it's co-op ¡hola!", "\u00a0a\u2003b", "  "]:
        assert word_count(text) == old(text), text
