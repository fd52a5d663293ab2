"""Scalar fusion (valence-like fields): ridge regression over the text (TF-IDF word terms with
negation scopes marked, character n-grams, the WordLlama embedding), lexicon scores and the LLM's
level; its confidence is P(|error| <= tolerance) from a small logistic model of how hard the item
looks."""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar, Literal

import numpy as np
from pydantic import ConfigDict, Field, model_validator

from linernotes.fusion.estimators import Linear, Standardizer, Tfidf, text_rows
from linernotes.fusion.features import (
    SCALAR_FEATURES,
    check_design,
    design_row,
    embed,
    scalar_dense,
    stack_rows,
    word_count,
)
from linernotes.fusion.observation import Observation
from linernotes.numbers import TextNumbers

CONFIDENCE_FEATURES = ["value", "abs_value", "gap_textblob", "gap_afinn", "gap_llm", "log_words", "textblob_found",
                       "afinn_found", "has_draft"]
_F = {name: i for i, name in enumerate(SCALAR_FEATURES)}


def confidence_rows(pred: np.ndarray, dense: np.ndarray) -> np.ndarray:
    """How hard an item looks, from its predicted value and its dense features: shape (n, 9)."""
    dense = np.atleast_2d(dense)
    tb, tb_found = dense[:, _F["textblob"]], dense[:, _F["textblob_found"]]
    af, af_found = dense[:, _F["afinn_mean"]], dense[:, _F["afinn_found"]]
    llm, has_draft = dense[:, _F["llm_level"]], dense[:, _F["has_draft"]]
    return np.column_stack([pred, np.abs(pred), np.abs(pred - tb) * tb_found, np.abs(pred - af) * af_found,
                            np.abs(pred - llm) * has_draft, dense[:, _F["log_words"]], tb_found, af_found, has_draft])


class ScalarModel(TextNumbers):
    model_config = ConfigDict(extra="forbid")  # a misspelt key in a hand-edited file is named, not dropped

    kind: Literal["scalar"] = "scalar"
    uses_draft: bool = Field(True, description="False: fitted without LLM drafts (too few); drafts ignored")
    features: list[str]
    tfidf: Tfidf
    char_tfidf: Tfidf | None = Field(None, description="character n-grams, columns after the word terms "
                                     "(None in artifacts before format 5)")
    scaler: Standardizer
    regressor: Linear
    regularisation: float | None = Field(None, gt=0, description="the ridge's alpha, chosen by inner cross-validation "
                                         "among fitting.SCALAR_OPTIONS (None in older artifacts)")
    block_weights: list[float] | None = Field(None, min_length=4, max_length=4, description="the weights of the "
                                              "word, character, embedding and dense blocks the regressor was fitted "
                                              "with, chosen with the alpha (fitting.BlockWeights): already folded "
                                              "into the regressor's coefficients and the scaler, so this records "
                                              "them for the model card and changes nothing at tag time (None in "
                                              "older artifacts: all 1)")
    tolerance: float
    range: list[float]
    confidence_scaler: Standardizer
    confidence: Linear

    @model_validator(mode="after")
    def _shapes(self) -> ScalarModel:
        if self.features != SCALAR_FEATURES:  # scalar_dense computes exactly these columns
            raise ValueError(f"features {self.features} are not the {len(SCALAR_FEATURES)} this linernotes computes")
        text = len(self.tfidf.idf) + (len(self.char_tfidf.idf) if self.char_tfidf else 0)
        check_design("valence regressor", self.features, self.scaler, self.regressor, text)
        check_design("valence confidence model", CONFIDENCE_FEATURES, self.confidence_scaler, self.confidence,
                     text_columns=0, embedding=0)  # its rows are confidence_rows: dense columns only
        if len(self.range) != 2 or not self.range[0] < self.range[1] or not self.tolerance > 0:
            raise ValueError(f"range {self.range} must be [low, high] with low < high, tolerance > 0")
        return self

    # The fitted domain: items with some text. Every gold item it was fitted on has words; with
    # none, every text feature is zero and the regression returns its intercept (valence -0.03)
    # at a "calibrated" 0.68 that no fitted item stands behind. There the hand-set rules decide
    # and say they are uncalibrated. A word has a letter or digit: emoji or punctuation alone
    # ('😡', '?!...') also left every lexicon feature at zero and got ~+0.05 at a 'calibrated'
    # 0.70 (no gold item has an emoji), unless a lexicon scores a token (':)', '<3', '♥').
    MIN_WORDS: ClassVar[int] = 1

    def applies(self, obs: Observation) -> bool:
        """Whether ``obs`` is inside the fitted domain: ``MIN_WORDS`` words (whitespace tokens with
        a letter or digit) or more, or a token the features' lexicons score (TextBlob's
        ``lexical_valence`` evidence, AFINN's terms: the emoticons)."""
        prose = obs.prose
        if word_count(prose) >= self.MIN_WORDS:
            return True
        from linernotes.tools.text.valence import afinn_terms

        return obs.evidence.get("lexical_valence") is not None or bool(afinn_terms(prose))

    def terms(self, text: str) -> list:
        """The text's TF-IDF rows (``estimators.text_rows``)."""
        return text_rows(text, self.tfidf, self.char_tfidf)

    def decide(self, obs: Observation) -> tuple[float, float]:
        """(value in ``range``, calibrated P(|value - truth| <= tolerance))."""
        return self.decide_many([obs])[0]

    def decide_many(self, observations: Sequence[Observation]) -> list[tuple[float, float]]:
        """``decide`` for each observation, one TF-IDF row each and one regression product for
        them all: the same bits as one at a time (a sparse product sums each row on its own)."""
        obs = [o if self.uses_draft else o.without_draft() for o in observations]
        dense = np.vstack([scalar_dense(o) for o in obs])
        scaled = self.scaler.transform(dense)
        X = stack_rows([design_row(self.terms(o.prose), embed([o.prose]), scaled[i:i + 1])
                        for i, o in enumerate(obs)])
        values = np.clip(self.regressor.predict(X), *self.range)
        z = self.confidence_scaler.transform(confidence_rows(values, dense))
        # the confidence product row by row: a dense product of several rows (BLAS gemv) sums in
        # another order than one row's, and changed ~1 value in 5 in its last bits
        return [(float(v), float(self.confidence.predict_proba(z[i:i + 1])[0, 1])) for i, v in enumerate(values)]
