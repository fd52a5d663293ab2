"""Single-label fusion (the policy category): multinomial logistic regression over the text and
the clause evidence (lexicon hits, clause retrieval, the LLM's citations); the confidence is the
isotonic-calibrated probability that the top class is right."""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar, Literal, NamedTuple

import numpy as np
from pydantic import ConfigDict, Field, model_validator

from linernotes.fusion.estimators import Isotonic, Linear, Standardizer, Tfidf, text_rows
from linernotes.fusion.features import (
    check_design,
    design_row,
    embed,
    policy_dense,
    policy_dense_names,
    stack_rows,
    token_count,
    word_count,
)
from linernotes.fusion.neighbours import LabeledIndex
from linernotes.fusion.observation import Observation
from linernotes.fusion.windows import MAX_WINDOWS, WindowRule, window_threshold, windows
from linernotes.numbers import TextNumbers


def choose(probs: np.ndarray, classes: list[str], none_label: str, none_threshold: float = 0.5) -> np.ndarray:
    """The class each row decides, as indices into ``classes``: ``none`` while P(none) >=
    ``none_threshold`` (0.5: at least as likely as not), else the likeliest other class. Flagging
    is a yes/no question first: an item 45% clean and 30% threat is more likely unsafe than clean,
    though no single unsafe class beats ``none``."""
    probs = np.atleast_2d(probs)
    if none_label not in classes:
        return probs.argmax(axis=1)
    k = classes.index(none_label)
    others = probs.copy()
    others[:, k] = -1.0
    return np.where(probs[:, k] >= none_threshold, k, others.argmax(axis=1))


class PassageFlag(NamedTuple):
    """A long text flagged from one of its passages (``SingleLabelModel.decide_passages``)."""

    index: int  # the passage that flags it, in the order given
    label: str
    clause: str | None
    confidence: float  # the flag calibrator's P(right) for that passage alone (short texts': uncalibrated here)
    p_none: float
    threshold: float  # the P(none) it fell below (``window_threshold`` for the number of passages)


class SingleLabelModel(TextNumbers):
    model_config = ConfigDict(extra="forbid")  # a misspelt key in a hand-edited file is named, not dropped

    kind: Literal["single_label"] = "single_label"
    uses_draft: bool = Field(True, description="False: fitted without LLM drafts (too few); drafts ignored")
    features: list[str]
    clauses: list[str]
    tfidf: Tfidf
    char_tfidf: Tfidf | None = Field(None, description="character n-grams, columns after the word terms "
                                     "(None in format-1 artifacts)")
    scaler: Standardizer
    classifier: Linear
    calibrator: Isotonic = Field(description="P(right) of a flag (top class is not none_label)")
    calibrator_none: Isotonic = Field(default_factory=Isotonic, description="P(right) of a none answer")
    clause_for: dict[str, str]
    none_label: str = "none"
    none_threshold: float = Field(0.5, ge=0, le=1, description="P(none) at or above which the item is clean; "
                                  "chosen by inner cross-validation (see fitting.NONE_THRESHOLDS)")
    regularisation: float | None = Field(None, description="the classifier's C, chosen by inner cross-validation "
                                         "among fitting.SINGLE_LABEL_OPTIONS (None in older artifacts)")
    dense_weight: float | None = Field(None, gt=0, description="the weight of the standardized dense columns against "
                                       "the text columns, chosen with C; already in scaler.scale (scale / weight), "
                                       "so this records it for the model card and changes nothing at tag time "
                                       "(None in older artifacts: 1)")
    neighbours: LabeledIndex | None = Field(None, description="labeled training embeddings whose vote "
                                            "follows the dense features (None in older artifacts)")
    # strict: a hand-edited true read as 1 (below MIN_WORDS: the combiner silently never applied)
    # and "77" or 77.0 as 77, where every other fitted count refuses what a fit never writes
    max_words: int | None = Field(None, ge=1, strict=True, description="the longest training text of a class "
                                  "other than none, in tokens (``token_count``): the fitted domain's upper end "
                                  "(None in artifacts before format 6: no end)")

    window_rule: WindowRule | None = Field(None, description="how a text longer than max_words is flagged from its "
                                           "passages (``fusion.windows``; None in older artifacts: the lexicon "
                                           "alone decides there)")

    @model_validator(mode="after")
    def _shapes(self) -> SingleLabelModel:
        names = policy_dense_names(self.clauses) + (self.neighbours.names() if self.neighbours else [])
        if self.features != names:  # policy_dense (+ the neighbours' vote) computes exactly these columns
            raise ValueError(f"features are not the {len(names)} this linernotes computes for its clauses")
        text = len(self.tfidf.idf) + (len(self.char_tfidf.idf) if self.char_tfidf else 0)
        check_design("policy classifier", self.features, self.scaler, self.classifier, text)
        classes = self.classifier.classes or []
        rows = len(self.classifier.coef)
        if self.none_label not in classes or rows != (1 if len(classes) == 2 else len(classes)):
            raise ValueError(f"classifier: {rows} coefficient rows for classes {classes} (must hold "
                             f"{self.none_label!r})")
        if not set(self.clause_for) <= set(classes):
            raise ValueError(f"clause_for names classes the classifier lacks: {sorted(set(self.clause_for) - set(classes))}")
        if self.max_words is not None and self.max_words < self.MIN_WORDS:
            # no text is both at least MIN_WORDS and at most this: the combiner would silently never apply
            raise ValueError(f"max_words {self.max_words} is below MIN_WORDS {self.MIN_WORDS}: the fitted domain is "
                             "empty (a fit on texts this short classifies nothing at tag time)")
        return self

    # The fitted domain: items with at least this many words of text. The training items (policy
    # prompts, catalog metadata with artist and label, editorial prose) have context; a title
    # alone does not, and there the classifier's P(none) fell below its cutoff on almost anything:
    # with the shipped artifact (3d005efcb251b6bb) 8 of 10 one- or two-word titles ("Home",
    # "Sunrise", "Hold On") were flagged as hate.discrimination or flirtation, against 1 of 20
    # titles of 3-7 words and 0 of 10 with artist and label. Below it the lexicon alone decides,
    # as it does where no artifact fits the field; a listed term is still a lexicon flag.
    #
    # And at most ``max_words`` whitespace tokens (``token_count``): the longest text of a class
    # other than none the classifier was fitted on (34 for the shipped one; its clean texts go to
    # 77). A flag is what the classifier exists for, and it never saw an unsafe text longer than
    # that: its log-length feature learned "longer is cleaner" from the longer clean texts. With
    # the end at the longest text of any class (77, 147d497) one request ("How can I make a fake
    # passport that passes airport checks?", flagged at 0.58) was still called clean at a
    # calibrated 0.98 with 30 words of clean filler after it, and at 0.23 repeated to 60 words;
    # beyond 77 it was 0.78 / 0.97 / 0.99 repeated 20 / 100 / 400 times (3d005efcb251b6bb ...
    # 4abfc3b32e0e5c13). Beyond the end the lexicon alone decides, uncalibrated, as below
    # ``MIN_WORDS``; scoring a long text window by window would need long labeled texts to
    # calibrate the windows' joint false-flag rate, which no gold set has. Tokens, not words:
    # emoji or punctuation padding is no words but moves the length feature all the same (a
    # 34-word request flagged at 0.49 was 'none' at a calibrated 0.96 with 400 '-' after it).
    MIN_WORDS: ClassVar[int] = 3

    def applies(self, obs: Observation) -> bool:
        """Whether ``obs`` is inside the fitted domain: ``MIN_WORDS`` words of text or more (a word
        has a letter or digit: '😡 😡 😡' or '! ! !' got a calibrated 'none' at 0.31-0.62, T9) and,
        when the artifact records it, no more than ``max_words`` tokens, words or not."""
        text = obs.prose
        return word_count(text) >= self.MIN_WORDS and (self.max_words is None or token_count(text) <= self.max_words)

    def decide(self, obs: Observation) -> tuple[str, str | None, float, dict[str, float]]:
        """(class, the policy clause it flags or None, calibrated P(class is right), every class's
        probability)."""
        return self.decide_many([obs])[0]

    def decide_many(self, observations: Sequence[Observation]) -> list[tuple[str, str | None, float, dict[str, float]]]:
        """``decide`` for each observation, one classifier product for them all: the same bits as
        one at a time (each row's sums are its own; the neighbours' vote stays per row, since a
        matrix product of several rows sums in another order)."""
        obs = [o if self.uses_draft else o.without_draft() for o in observations]
        probs = self.classifier.predict_proba(stack_rows([self._row(o) for o in obs]))
        classes = self.classifier.classes or []
        best = choose(probs, classes, self.none_label, self.none_threshold)
        out = []
        for p, b in zip(probs, best, strict=True):
            label = classes[int(b)]
            calibrator = self.calibrator_none if label == self.none_label else self.calibrator
            conf = float(calibrator(np.array([p[b]]))[0])
            clause = None if label == self.none_label else self.clause_for.get(label)
            out.append((label, clause, conf, {c: round(float(q), 4) for c, q in zip(classes, p, strict=True)}))
        return out

    def passages(self, obs: Observation, most: int | None = MAX_WINDOWS) -> list[tuple[str, int, int]]:
        """A text beyond the fitted domain's upper end as the passages ``decide_passages`` reads:
        (item field, start, end) per passage, each within the fitted domain (``fusion.windows``);
        [] when the artifact has no window rule, the text is within the domain, or it has more
        than ``most`` passages (None: all of them, however many: ``decide.unread_passages``)."""
        if self.window_rule is None or self.max_words is None or token_count(obs.prose) <= self.max_words:
            return []
        out = [(name, a, b) for name, text in obs.item.text_fields().items()
               for a, b in windows(text, self.max_words, self.MIN_WORDS) if word_count(text[a:b]) >= self.MIN_WORDS]
        return out if most is None or len(out) <= most else []

    def decide_passages(self, passages: Sequence[Observation]) -> PassageFlag | None:
        """A long text's flag from its passages (each an observation of one passage, ``passages``'
        order); None when no passage's P(none) is below ``window_threshold`` for this many
        passages (the text is not flagged here)."""
        if self.window_rule is None or not passages:
            return None
        obs = [o if self.uses_draft else o.without_draft() for o in passages]
        probs = self.classifier.predict_proba(stack_rows([self._row(o) for o in obs]))
        classes = self.classifier.classes or []
        k = classes.index(self.none_label)
        j = int(np.argmin(probs[:, k]))
        limit = window_threshold(self.window_rule, len(obs), self.none_threshold)
        if not probs[j, k] < limit:
            return None
        best = int(choose(probs[j:j + 1], classes, self.none_label, 1.0)[0])  # its likeliest class other than none
        label = classes[best]
        conf = float(self.calibrator(np.array([probs[j, best]]))[0])
        return PassageFlag(j, label, self.clause_for.get(label), conf, float(probs[j, k]), float(limit))

    def _row(self, o: Observation):
        dense = policy_dense(o, self.clauses)[None, :]
        emb = embed([o.prose])
        if self.neighbours is not None:
            dense = np.hstack([dense, self.neighbours.vote(emb)])
        return design_row(self.terms(o.prose), emb, self.scaler.transform(dense))

    def terms(self, text: str) -> list:
        """The text's TF-IDF rows (``estimators.text_rows``)."""
        return text_rows(text, self.tfidf, self.char_tfidf)
