"""Fit one combiner per field kind with cross-fitting, and score it out of fold.

``fit_kind`` runs the same recipe for every kind: outer folds (``crossfit.plan_folds``); inside
each, a model is fitted on the training folds with its decision threshold / calibrator tuned on
inner out-of-fold predictions, then scores the held-out fold. The final model repeats that on all
items. The out-of-fold outputs are what ``liner fit`` reports, so no reported figure comes from
a model that saw the item.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from linernotes.fusion import multilabel as ml
from linernotes.fusion.crossfit import (
    Audit,
    FoldPlan,
    nested,
    nested_choice,
    plan_folds,
    subplan,
)
from linernotes.fusion.estimators import Isotonic, Linear, Standardizer, Tfidf, calibrator
from linernotes.fusion.features import (
    SCALAR_FEATURES,
    embed,
    policy_dense,
    policy_dense_names,
    scalar_dense,
    token_count,
)
from linernotes.fusion.index_size import SizeCalibration, fit_size_calibration
from linernotes.fusion.neighbours import LabeledIndex
from linernotes.fusion.observation import Observation
from linernotes.fusion.scalar import ScalarModel, confidence_rows
from linernotes.fusion.singlelabel import SingleLabelModel
from linernotes.fusion.singlelabel import choose as choose_label
from linernotes.fusion.windows import WindowRule, clean_tail

# Inner folds (threshold and calibrator tuning inside each outer training part). The calibrators
# learn how wrong an inner model is, then apply that to a model trained on the whole outer part:
# with 3 inner folds the inner models saw 2/3 of it and the data-hungry text models were clearly
# worse, so valence came out underconfident (ECE 0.148 on the dev sample vs 0.053 with 5).
INNER_FOLDS = 5
# The fewest chosen sets a calibrator of one side (same-album neighbour or not) is fitted on.
MIN_CALIBRATION = 50
# P(none) thresholds tried for the clean/flag decision, and the false-flag rate a threshold may
# cost on every source of clean text (each group of clean items with at least MIN_SOURCE_ITEMS of
# them, inner out of fold). Per source: pooled, thousands of metadata rows that are never flagged
# hid 8.5% false flags on edited prose. The limit is the 5%, held by the one-sided 95%
# Wilson upper bound of each source's rate (``false_flag_bound``), not by the point rate: a fit's
# clean sources are samples of a few hundred to a few thousand texts, and a point rate just
# under 5% on 800 of them is above 5% on the next sample about half the time. The margin this
# buys scales with the source's size (at 1,600 texts a point rate of 4.06% is the most that
# passes, at 800 3.6%), where the fixed 3% point budget before it (sessions 9-21) was
# stricter than the data needed on large sources and looser on small ones.
# Measured (scripts/policy_lab, the shipped recipe at C = 16 / dense weight 0.05, 983 prompts +
# 6,000 negatives of 4 sources, 5-fold nested cross-fit, seeds 0 / 1; session 22): 3% point
# budget on the 0.1 grid -> this rule on the 0.05 grid: every fold's threshold 0.8 -> 0.85,
# category accuracy on all 983 prompts 0.579 / 0.591 -> 0.592 / 0.601 (300-item samples 0.587 /
# 0.573 -> 0.610 / 0.587), flag recall 0.851 / 0.852 -> 0.875 / 0.877, out-of-fold false flags on
# NYT editorial prose 2.5% / 2.1% -> 3.4% / 3.1%, Amazon reviews 1.9% / 1.6% -> 2.3% / 1.9%, film
# reviews 0.7% / 0.8% -> 1.0% / 0.9%, Bandcamp metadata 0% / 0% -> 0% / 0.07%; ECE on the samples
# 0.074 / 0.085 -> 0.070 / 0.075. The 0.05 grid alone (3% point budget) changed no threshold; a
# 5% point budget took 0.9 in most folds (NYT 4.0% / 4.4%: no margin left).
NONE_THRESHOLDS = tuple(round(0.05 * k, 2) for k in range(1, 20))  # 0.05, 0.1, ..., 0.95
MAX_FALSE_FLAGS = 0.05
FALSE_FLAG_CONFIDENCE = 0.95  # one-sided, of the Wilson upper bound MAX_FALSE_FLAGS is held to
# The false-flag budget per clean text of a long text read passage by passage (``fusion.windows``,
# ``window_rule``). The reference scores are the fit's clean texts (catalog metadata, sentences
# of editorial prose), and catalog passages (lyrics lines, show notes, podcast blurbs) are
# flaggier: with the budget at MAX_FALSE_FLAGS the shipped combiner false-flagged 18 of 99
# hand-written clean long catalog texts and 4.0% of 1,000 paragraphs of held-out NYT sentences.
# At 0.5%: 1 of 99 and 1 of 400 (1 of 400 at 1%: 4 of 99), with 154 of 400 padded dev prompts
# flagged against 267 at 3% (in-sample; 2 of the 20 hand-written requests in long text against 5).
# A flag read in a passage should mean something: the budget is a sixth of the short texts'.
PASSAGE_FALSE_FLAGS = 0.005
# A source is checked on its own from this many clean texts: below 52 even no false flag at all
# has a Wilson bound above MAX_FALSE_FLAGS (0 of 50: 5.1%), so no threshold could pass on it.
MIN_SOURCE_ITEMS = 60
# Neighbours in the single-label label vote (fusion.neighbours; 0: no vote). Off: on the policy
# fit (983 prompts + 3,500 clean texts, cross-fitted, seeds 0 and 1) the vote of the 10 nearest
# unsafe training prompts, leave-one-out for training rows, lowered category accuracy on all 983
# prompts from 0.561 / 0.559 to 0.540 / 0.537 (Do-Not-Answer part 0.820 -> 0.793 with seed 0).
NEIGHBOURS_K = 0
# Regularisation strengths of the single-label classifier, chosen per fit by inner cross-validation.
# Class weights stay unweighted: class_weight="balanced" as a candidate (scripts/policy_lab, the
# nested recipe, 983 prompts + 3,500 negatives, seeds 0 / 1) lost in every outer fold's inner CV
# (right unsafe answers within the budget 379-390 vs 408-426, seed 0) and cross-fitted: sample
# accuracy 0.583 / 0.563 -> 0.523 / 0.517, ECE 0.060 / 0.063 -> 0.088 / 0.075; it pushed P(none)
# down so far that every fold's threshold sat on the grid floor (0.1).
# C in (4, 16) by this inner CV (retune-free lab runs, seeds 0 / 1): 16 won 4 of 5 outer folds at
# both seeds, sample accuracy 0.583 / 0.563 -> 0.593 / 0.563 but ECE 0.060 / 0.063 -> 0.068 /
# 0.068. A two-stage model (P(flagged), then the category among unsafe items, each a logistic
# regression at C=4) lost: accuracy 0.543 / 0.540, ECE 0.071 / 0.066; inner CV kept the
# multinomial in 10 of 10 folds.
# (C, dense weight) options of the single-label classifier, chosen per fit by that inner CV.
# The dense weight multiplies the standardized clause-evidence columns (lexicon hits, clause
# retrieval, LLM citations; ``Standardizer.weighted``) against the text columns. Our reading
# (not tested further): standardized, a rare lexicon column reaches ~10 and takes the L2
# penalty's budget from the text columns, which are what separates the categories (Do-Not-
# Answer's risk areas, RealToxicityPrompts' attributes). Scratch comparison (session 21, /work/scratch/me21/pol/joint.py: 983 prompts + 3,500
# negatives, 5-fold out of fold, the threshold with the most right unsafe answers within 3% false
# flags per clean source; seeds 0 / 1): category accuracy on all 983 prompts 0.547 / 0.553 at
# (4, 1) -> 0.576 / 0.574 at (4, 0.1), 0.588 / 0.596 at (16, 0.05); weight 0 (no clause evidence)
# 0.583 / 0.580, so the evidence still adds a little at a small weight.
SINGLE_LABEL_OPTIONS = ((4.0, 1.0), (16.0, 0.05))
# The scalar's confidence model learns from inner models' errors. 10 inner folds instead of 5
# (inner models on 9/10 of the part, closer to the model they stand in for) were tried on the
# dev fit: ECE 0.0528 vs 0.0525 at twice the fit time (36 min on a loaded box), so 5 stay. Part
# of the sample's ECE is its own noise: its 300 items are within tolerance 64.7% of the time, the
# whole pool out of fold 62.2% (``liner fit`` reports the pool's ECE as ``ece_all_items``).
SCALAR_INNER_FOLDS = INNER_FOLDS
# Ridge strengths of the scalar regressor, chosen per fit by inner cross-validation (least squared
# error). Scratch comparison on the VADER dev gold (14,221 sentences, 5-fold out of fold, Pearson
# as the mean over the four sources; seeds 0 / 1): alpha 1 with plain word terms 0.680 / 0.681;
# negation-marked words + character n-grams at alpha 1 / 3 / 10: 0.684 / 0.695 / 0.690 (seed 1).
SCALAR_ALPHAS = (1.0, 3.0, 10.0)
# (SCALAR_OPTIONS, below BlockWeights: these alphas unweighted, and one weighted design.)


@dataclass
class OutOfFold:
    """Per item (by index): the fused value and its calibrated confidence, from models that
    never saw the item; ``scheme`` says how folds were formed."""

    values: dict[int, Any] = field(default_factory=dict)
    confidence: dict[int, float] = field(default_factory=dict)
    scheme: str = ""
    # multilabel: per item with a chosen set, what its confidence was calibrated from
    # (``CalibrationRow``), so calibration variants can be re-analysed without refitting
    rows: dict[int, CalibrationRow] = field(default_factory=dict)


@dataclass(frozen=True)
class CalibrationRow:
    """One out-of-fold chosen set as the calibrator saw it: the outer ``fold`` that scored it,
    its probability product ``score``, whether a neighbour is from the item's album, the item's
    exemplar-index size (None: not in its evidence) and its ``ml.CONTEXT_FEATURES`` row."""

    fold: int
    score: float
    same_album: bool
    index_size: int | None
    context: list[float]


def _outer(n: int, groups: Sequence[str | None] | None, k: int, seed: int, strata: Sequence[Any] | None,
           run_fold: Any, audit: Audit, inner_folds: int = INNER_FOLDS) -> OutOfFold:
    plan = plan_folds(n, groups, k, seed, strata)
    oof = OutOfFold(scheme=plan.scheme)
    for fold, (train, test) in enumerate(plan.folds):
        inner = subplan(train, groups, inner_folds, seed, strata)
        for i, (value, conf, *row) in run_fold(train, test, inner).items():
            oof.values[i], oof.confidence[i] = value, conf
            if row and row[0] is not None:  # multilabel: (score, same_album, index size, context)
                oof.rows[i] = CalibrationRow(fold, *row[0])
    audit.check()
    return oof


# -- multilabel ---------------------------------------------------------------------------------

def fit_multilabel(obs: Sequence[Observation], gold: Sequence[Sequence[str]], groups: Sequence[str | None] | None,
                   prior: dict[str, float], max_labels: int = 3, k: int = 5, seed: int = 0,
                   audit: Audit | None = None, train_only: int = 0, keys: Sequence[Any] | None = None,
                   by_release: bool = False, calibration: str = ml.CALIBRATION, by_size: bool = True,
                   min_size_class: int | None = None) -> tuple[ml.MultilabelModel, OutOfFold]:
    """Per-candidate classifier (``ml.FAMILY``); inside each outer training part, inner
    out-of-fold predictions choose the threshold/fallback and fit the calibrator.

    ``train_only``: the last that many observations (e.g. ``evals.exemplar_pool`` rows, tagged
    against other indexes than the sample) join every classifier fit as training rows only: they
    are never scored, and the threshold and calibrator are tuned on the other items alone, so
    the confidence describes items like the sample. ``OutOfFold`` covers the other items.

    ``keys``: the item each observation belongs to (default: each its own). Rows of one item
    (pooled exemplar regimes) must share ``groups``, and a training-only row must not belong to a
    scored item: the audit checks by item, so either raises ``AssertionError``.

    ``by_release``: two calibrators, one for items with a same-album neighbour and one for items
    without (``MultilabelModel.calibrator_new_release``): pooled over both exemplar regimes, one
    curve was right on neither (album held out: ECE 0.13 on 1,000 dev items). A side with fewer
    than ``MIN_CALIBRATION`` chosen sets uses the pooled curve.

    ``calibration``: "inner_cv" lets grouped CV over the same chosen sets pick between that
    isotonic pair and a contextual logistic (``ml.CONTEXT_FEATURES``, with or without an isotonic
    map on top) by Brier score (``ml.fit_calibration``); "isotonic" (default, ``ml.CALIBRATION``:
    why there) keeps the pair. Every calibrator (and every CV fit inside the choice) is in the
    audit.

    ``by_size``: also isotonic maps per side and exemplar-index size class (``fusion.index_size``,
    classes of at least ``min_size_class`` chosen sets, default ``MIN_CLASS_ROWS``), fitted on
    the same chosen sets; they give the confidence of an item whose evidence carries its index
    size (unless the contextual map was chosen). The out-of-fold ``rows`` record each scored
    chosen set (``CalibrationRow``)."""
    audit = audit or Audit()
    table = ml.Table(obs, gold, prior)
    n = len(obs) - train_only
    extra = np.arange(n, len(obs))
    if keys is not None:
        audit.keys = list(keys)
    audit.always = frozenset(int(i) for i in extra)
    groups = list(groups)[:n] if groups is not None else None

    def predict(model: Any, items: np.ndarray) -> list[np.ndarray]:
        return ml.item_probs(table, model, items)

    def tune(items: np.ndarray, oof: dict[int, Any], track: bool = True) -> tuple[float, bool, Calibration]:
        probs = [oof[int(i)] for i in items]
        t, fb, _ = ml.tune_decision(table, items, probs, max_labels)
        scores, hits, same, context, owners, sizes = [], [], [], [], [], []
        for i, p in zip(items, probs, strict=True):
            chosen = ml.chosen_indices(p, t, fb, max_labels)
            if chosen:
                labels = [table.ids[i][j] for j in chosen]
                scores.append(float(np.prod(p[chosen])))
                hits.append(float(ml.precise(labels, table.gold[i])))
                same.append(table.same_album(int(i)))
                context.append(ml.context_row(p, chosen, table.X[table.owner == i]))
                owners.append(int(i))
                sizes.append(table.size[i])
        width = len(ml.CONTEXT_FEATURES)
        cal, new, ctx, figures = ml.fit_calibration(
            np.array(scores), np.array(hits), np.array(same, dtype=bool),
            np.array(context) if context else np.zeros((0, width)),
            [groups[i] if groups is not None else i for i in owners], by_release, MIN_CALIBRATION,
            calibration, seed, audit if track else None, np.array(owners, dtype=np.int64))
        size_cal = (fit_size_calibration(np.array(scores), np.array(hits), np.array(same, dtype=bool),
                                         np.array(sizes, dtype=np.float64), by_release, **size_rows)
                    if by_size and scores else None)
        return t, fb, Calibration(cal, new, ctx, figures, size_cal)

    size_rows = {} if min_size_class is None else {"min_rows": min_size_class}

    def fit(items: np.ndarray) -> Any:
        return ml.fit_classifier(table, np.concatenate([items, extra]) if len(extra) else items, seed)

    def run_fold(train: np.ndarray, test: np.ndarray, inner: FoldPlan) -> dict[int, tuple[list[str], float]]:
        model, (t, fb, cal) = nested(train, inner, fit, predict, tune, audit, "multilabel")
        handle = audit.fitted("multilabel", train)
        calibrator_handle = audit.fitted("multilabel/calibrator", train)  # fitted on train's inner out-of-fold sets
        out = {}
        for i, p in zip(test, predict(model, test), strict=True):
            chosen = ml.chosen_indices(p, t, fb, max_labels)
            labels = [table.ids[i][j] for j in chosen]
            X = table.X[table.owner == i]
            size = None if np.isnan(table.size[i]) else int(table.size[i])
            row = ((float(np.prod(p[chosen])), bool(X[0, ml.ALBUM_MATCH]), size,
                    [round(float(v), 6) for v in ml.context_row(p, chosen, X)]) if labels else None)
            out[int(i)] = (labels, cal(p, chosen, X, size) if labels else 0.0, row)
        audit.scored(handle, test)
        audit.scored(calibrator_handle, test)
        return out

    oof = _outer(n, groups, k, seed, None, run_fold, audit)
    everyone = np.arange(n)
    (scaler, clf), (t, fb, cal) = nested(everyone, plan_folds(n, groups, INNER_FOLDS, seed), fit, predict,
                                         lambda items, oof: tune(items, oof, track=False))
    with_neighbours = sum(bool(o.evidence.get("exemplars")) for o in obs)
    model = ml.MultilabelModel(scaler=scaler, classifier=clf, threshold=t, fallback_top1=fb, max_labels=max_labels,
                               calibrator=cal.isotonic, calibrator_new_release=cal.new_release,
                               calibrator_context=cal.context, calibrator_by_size=cal.by_size,
                               calibration=cal.figures, prior=prior,
                               requires_exemplars=with_neighbours >= 0.9 * len(obs), regularisation=ml.C)
    return model, oof


@dataclass
class Calibration:
    """A multilabel fit's calibrator (``ml.fit_calibration``): the isotonic pair, the contextual
    map when inner CV chose it (it then gives every confidence), and the CV figures."""

    isotonic: Isotonic
    new_release: Isotonic | None
    context: Any  # ml.ContextLogistic | None
    figures: dict[str, Any]
    by_size: SizeCalibration | None = None

    def __call__(self, p: np.ndarray, chosen: list[int], X: np.ndarray, index_size: int | None = None) -> float:
        """Calibrated P(hit) of one item's chosen set (``p`` its candidates' probabilities,
        ``X`` their rows of every candidate feature, ``index_size`` its exemplar index's items
        or None), as ``MultilabelModel.decide`` computes it."""
        if self.context is not None:
            return float(self.context(ml.context_row(p, chosen, X)[None, :])[0])
        return ml.isotonic_confidence(float(np.prod(p[chosen])), bool(X[0, ml.ALBUM_MATCH]), index_size,
                                      self.isotonic, self.new_release, self.by_size)


def calibration_rows(oof: OutOfFold, keys: Sequence[str], cohort: Sequence[str], right: Sequence[bool]
                     ) -> list[dict[str, Any]]:
    """A multilabel fit's out-of-fold calibration rows as JSON objects, one per observation with a
    chosen set, in order: ``item`` (its key, e.g. gold id), ``cohort`` (the sample, or the pool's
    regime and index-size fraction), ``fold``, ``index_size``, ``same_album``, ``score`` (the chosen
    set's probability product), ``hit`` (``right``), ``confidence`` (as calibrated) and ``context``
    (``ml.CONTEXT_FEATURES`` by name). Enough to refit a calibrator variant per outer fold on the
    other folds' rows without re-running the fit."""
    out = []
    for i, row in sorted(oof.rows.items()):
        out.append({"item": keys[i], "cohort": cohort[i], "fold": row.fold, "index_size": row.index_size,
                    "same_album": row.same_album, "score": round(row.score, 6), "hit": bool(right[i]),
                    "confidence": round(float(oof.confidence[i]), 6),
                    "context": dict(zip(ml.CONTEXT_FEATURES, row.context, strict=True))})
    return out


# -- text representation shared by scalar and single-label kinds --------------------------------

# Character n-grams (within word boundaries) for the single-label kind: toxic prompts spell
# words apart ("f*ck", "a$$") and prompts differ from edited prose in punctuation, which word
# terms do not see. 20000 columns keep the artifact a few MB.
CHAR_TFIDF = {"analyzer": "char_wb", "ngram_range": (2, 5), "min_df": 3, "max_features": 20000}


@dataclass(frozen=True)
class BlockWeights:
    """How much each block of a text combiner's design row weighs against the others (all > 0).
    An L2-penalised linear model's columns compete for one penalty, so a block's weight is how
    cheaply the model can use it. ``dense`` goes into the stored scaler
    (``Standardizer.weighted``); the text blocks' weights are folded into the fitted coefficients
    (``fold``), so an artifact is applied at tag time exactly as before, with no new field."""

    words: float = 1.0
    chars: float = 1.0
    embedding: float = 1.0
    dense: float = 1.0

    def fold(self, model: Linear, terms: list[Tfidf]) -> Linear:
        """``model``, fitted on rows weighted by these weights, as a model of unweighted text
        columns: each text column's coefficients times its block's weight (the dense columns'
        weight is already in the scaler). Columns: [word terms, char terms, embedding, dense]."""
        coef = np.array(model.coef, dtype=np.float64)
        widths = [len(t.idf) for t in terms]
        scale = np.ones(coef.shape[1])
        at = 0
        for width, w in zip(widths, (self.words, self.chars), strict=False):
            scale[at:at + width] = w
            at += width
        from linernotes.fusion.features import EMBED_DIM

        scale[at:at + EMBED_DIM] = self.embedding
        return Linear(coef=(coef * scale).tolist(), intercept=list(model.intercept), classes=model.classes)


UNWEIGHTED = BlockWeights()
# The scalar's (ridge alpha, block weights) options, chosen per fit by inner CV (least squared
# error): SCALAR_ALPHAS with every block at 1, and word terms at 1.5 with the embedding at 0.5 and
# alpha 5. Scratch comparison of block weights (session 19, /work/scratch/me19/val/blocks2.py: the
# VADER dev gold, 14,221 sentences, 5-fold out of fold, Pearson as the mean over the four sources,
# seeds 0 / 1): alpha 3 all 1 0.6955 / 0.6950; words 1.5, embedding 0.5, alpha 5 0.7015 / 0.7008;
# the embedding at 0 0.6967 / 0.6950, the dense block at 0 0.6567 / 0.6545, words at 2 0.6936.
SCALAR_OPTIONS: tuple[tuple[float, BlockWeights], ...] = (
    *((a, UNWEIGHTED) for a in SCALAR_ALPHAS), (5.0, BlockWeights(words=1.5, embedding=0.5)))


class TextBlock:
    """Dense features + WordLlama embedding + TF-IDF for a fixed list of observations: word
    terms, plus character n-grams when ``char``. Columns: [word terms, char terms, embedding,
    standardized dense], each block times its ``BlockWeights`` weight."""

    def __init__(self, obs: Sequence[Observation], dense: np.ndarray, char: bool = False,
                 negation: bool = False) -> None:
        self.texts = [o.prose for o in obs]
        self.emb = embed(self.texts)
        self.dense = dense
        self.char = char
        self.negation = negation  # word terms in a negation scope marked (tools.text.negation)

    def fit(self, items: np.ndarray, dense: np.ndarray | None = None,
            weights: BlockWeights = UNWEIGHTED) -> tuple[list[Tfidf], Standardizer, Any]:
        """``dense``: these items' dense rows when they depend on the fit (neighbour votes), else
        the block's own. The returned scaler carries ``weights.dense``."""
        texts = [self.texts[i] for i in items]
        dense = self.dense[items] if dense is None else dense
        fitted = ([Tfidf.fit(texts, **({"negation": True} if self.negation else {}))]
                  + ([Tfidf.fit(texts, **CHAR_TFIDF)] if self.char else []))
        scaler = Standardizer.fit(dense).weighted(weights.dense)
        terms = [t for t, _ in fitted]
        return terms, scaler, self._stack([m for _, m in fitted], items, scaler, dense, weights)

    def transform(self, terms: list[Tfidf], scaler: Standardizer, items: np.ndarray,
                  dense: np.ndarray | None = None, weights: BlockWeights = UNWEIGHTED) -> Any:
        texts = [self.texts[i] for i in items]
        dense = self.dense[items] if dense is None else dense
        return self._stack([t.transform(texts) for t in terms], items, scaler, dense, weights)

    def _stack(self, text: list[Any], items: np.ndarray, scaler: Standardizer, dense: np.ndarray,
               weights: BlockWeights) -> Any:
        from scipy import sparse

        text = [m * w if w != 1.0 else m for m, w in zip(text, (weights.words, weights.chars), strict=False)]
        emb = self.emb[items] if weights.embedding == 1.0 else self.emb[items] * weights.embedding
        return sparse.hstack(text + [emb, scaler.transform(dense)]).tocsr()


# -- scalar -----------------------------------------------------------------------------------

def fit_scalar(obs: Sequence[Observation], target: np.ndarray, groups: Sequence[str | None] | None,
               tolerance: float, value_range: tuple[float, float] = (-1.0, 1.0),
               options: Sequence[tuple[float, BlockWeights]] = SCALAR_OPTIONS, k: int = 5, seed: int = 0,
               audit: Audit | None = None) -> tuple[ScalarModel, OutOfFold]:
    """Ridge regression on text (word terms with negation scopes marked, character n-grams, the
    embedding) + lexicon + LLM features; confidence = P(|error| <= tolerance) from a logistic
    regression on how hard the item looks, fitted on inner out-of-fold errors.

    ``options``: the (ridge alpha, block weights) pairs tried (``SCALAR_OPTIONS``); with more than
    one, each fit (outer and final) takes the one whose inner out-of-fold predictions have the
    least squared error (ties: the earlier option), and the model stores the alpha
    (``ScalarModel.regularisation``) and the weights (``block_weights``; folded into its
    coefficients, ``BlockWeights.fold``)."""
    from sklearn.linear_model import LogisticRegression, Ridge

    audit = audit or Audit()
    block = TextBlock(obs, np.vstack([scalar_dense(o) for o in obs]), char=True, negation=True)
    lo, hi = value_range

    def fit(items: np.ndarray, option: tuple[float, BlockWeights] = options[0]) -> Any:
        alpha, weights = option
        terms, scaler, X = block.fit(items, weights=weights)
        reg = Ridge(alpha=alpha).fit(X, target[items])
        return terms, scaler, Linear.from_sklearn(reg), option

    def predict(model: Any, items: np.ndarray) -> np.ndarray:
        terms, scaler, reg, (_, weights) = model
        return np.clip(reg.predict(block.transform(terms, scaler, items, weights=weights)), lo, hi)

    def tune(items: np.ndarray, oof: dict[int, Any]) -> tuple[Standardizer, Linear]:
        pred = np.array([oof[int(i)] for i in items])
        rows = confidence_rows(pred, block.dense[items])
        ok = (np.abs(pred - target[items]) <= tolerance).astype(float)
        scaler = Standardizer.fit(rows)
        if len(np.unique(ok)) < 2:
            rate = float(np.clip(ok.mean(), 1e-3, 1 - 1e-3))
            return scaler, Linear(coef=[[0.0] * rows.shape[1]], intercept=[float(np.log(rate / (1 - rate)))],
                                  classes=["0", "1"])
        clf = LogisticRegression(C=1.0, max_iter=2000).fit(scaler.transform(rows), ok)
        return scaler, Linear.from_sklearn(clf)

    def minus_squared_error(train: np.ndarray, oof: dict[int, Any]) -> float:
        return -float(sum((oof[int(i)] - target[int(i)]) ** 2 for i in train))

    def selected(train: np.ndarray, inner: FoldPlan, name: str | None) -> tuple[Any, Any]:
        """``nested`` with the ridge's alpha and block weights chosen on the inner folds (see the
        docstring)."""
        return nested_choice(train, inner, options, fit, predict, tune, minus_squared_error,
                             audit if name else None, name or "model")

    def run_fold(train: np.ndarray, test: np.ndarray, inner: FoldPlan) -> dict[int, tuple[float, float]]:
        model, (cscaler, cclf) = selected(train, inner, "scalar")
        handle = audit.fitted("scalar", train)
        pred = predict(model, test)
        conf = cclf.predict_proba(cscaler.transform(confidence_rows(pred, block.dense[test])))[:, 1]
        audit.scored(handle, test)
        return {int(i): (float(v), float(c)) for i, v, c in zip(test, pred, conf, strict=True)}

    oof = _outer(len(obs), groups, k, seed, None, run_fold, audit, SCALAR_INNER_FOLDS)
    everyone = np.arange(len(obs))
    (terms, scaler, reg, (alpha, weights)), (cscaler, cclf) = selected(
        everyone, plan_folds(len(obs), groups, SCALAR_INNER_FOLDS, seed), None)
    model = ScalarModel(features=SCALAR_FEATURES, tfidf=terms[0], char_tfidf=terms[1], scaler=scaler,
                        regressor=weights.fold(reg, terms), regularisation=alpha,
                        block_weights=[weights.words, weights.chars, weights.embedding, weights.dense],
                        tolerance=tolerance, range=[lo, hi], confidence_scaler=cscaler, confidence=cclf)
    return model, oof


# -- single label -----------------------------------------------------------------------------

def false_flag_bound(flagged: int, clean: int, confidence: float = FALSE_FLAG_CONFIDENCE) -> float:
    """The one-sided ``confidence`` upper bound of a false-flag rate, ``flagged`` of ``clean``
    texts: Wilson's score interval (Wilson 1927; ``statsmodels.stats.proportion.proportion_confint``,
    two-sided at 2 x (1 - confidence)). 1.0 for no clean text. Why Wilson: it stays inside [0, 1]
    and is not degenerate at 0 flags, where the normal approximation's bound is 0."""
    from statsmodels.stats.proportion import proportion_confint

    if clean <= 0:
        return 1.0
    return float(proportion_confint(flagged, clean, alpha=2 * (1 - confidence), method="wilson")[1])


def pick_none_threshold(rows: Sequence[tuple[float, int, float]], budget: float = MAX_FALSE_FLAGS) -> float:
    """From (P(none) threshold, right answers on unsafe items, worst false-flag bound over the
    clean sources, ``false_flag_bound``) rows: the threshold with the most right answers among
    those within ``budget`` (ties: the lower threshold, fewer flags); when none is, the one with
    the lowest worst bound."""
    within = [r for r in rows if r[2] <= budget]
    if within:
        return max(within, key=lambda r: (r[1], -r[0]))[0]
    return min(rows, key=lambda r: (r[2], -r[1], r[0]))[0]


def checked_sources(clean: np.ndarray, source: Sequence[str | None] | None) -> list[np.ndarray]:
    """The positions of the clean rows the false-flag budget is checked on, one array per source
    with ``MIN_SOURCE_ITEMS`` clean rows or more (``source``: per row; None: one source); all clean
    rows together when no source has that many."""
    per_source: dict[str, list[int]] = {}
    for j in np.flatnonzero(clean):
        per_source.setdefault(str(source[j]) if source is not None else "", []).append(int(j))
    return [np.array(js) for js in per_source.values() if len(js) >= MIN_SOURCE_ITEMS] or (
        [np.flatnonzero(clean)] if clean.any() else [])


def fit_single_label(obs: Sequence[Observation], labels: Sequence[str], groups: Sequence[str | None] | None,
                     clauses: Sequence[str], clause_for: dict[str, str], none_label: str = "none",
                     options: Sequence[tuple[float, float]] = SINGLE_LABEL_OPTIONS, k: int = 5, seed: int = 0,
                     audit: Audit | None = None,
                     neighbours: int = NEIGHBOURS_K,
                     sources: Sequence[str | None] | None = None) -> tuple[SingleLabelModel, OutOfFold]:
    """Multinomial logistic regression over text + clause evidence (+ the label vote of the
    ``neighbours`` nearest labeled training items other than ``none``, ``fusion.neighbours``; 0:
    none); confidence = isotonic- calibrated P(the top class is right) from its probability,
    tuned on inner out-of-fold predictions.

    ``options``: the (regularisation C, dense-block weight) pairs tried (``SINGLE_LABEL_OPTIONS``);
    with more than one, each fit (outer and final) takes the one whose inner out-of-fold answers
    are right on the most unsafe items at their own best P(none) threshold within the false-flag
    budget (``pick_none_threshold``; ties: the earlier option), and the model stores it
    (``SingleLabelModel.regularisation`` and ``dense_weight``; the weight is in its scaler).

    ``sources``: per row, the clean source a ``none`` row comes from (e.g. catalog metadata,
    editorial prose): the false-flag budget must hold on each source of ``MIN_SOURCE_ITEMS`` rows
    or more. Without it, the fold ``groups`` stand in, and a source split into small groups (a
    catalog's albums) is never checked on its own.

    Every fitted model (inner, outer, final) carries the index of its own training items; a
    training item's vote leaves its own row out, an item it scores is not in it, as at tag time."""
    from sklearn.linear_model import LogisticRegression

    audit = audit or Audit()
    by_source = sources if sources is not None else groups
    block = TextBlock(obs, np.vstack([policy_dense(o, clauses) for o in obs]), char=True)
    y = np.asarray(labels)
    voted = sorted(set(y) - {none_label})

    def index_of(items: np.ndarray) -> LabeledIndex | None:
        keep = items[y[items] != none_label]
        if not neighbours or not len(keep):
            return None
        return LabeledIndex.build(block.emb[keep], list(y[keep]), voted, neighbours)

    def dense_of(index: LabeledIndex | None, train: np.ndarray, items: np.ndarray) -> np.ndarray | None:
        if index is None:
            return None
        keep = train[y[train] != none_label]  # the index rows, in order
        row = {int(i): r for r, i in enumerate(keep)}
        exclude = [row.get(int(i), -1) for i in items]
        return np.hstack([block.dense[items], index.vote(block.emb[items], exclude)])

    def fit(items: np.ndarray, option: tuple[float, float] = options[0]) -> Any:
        C, weight = option
        index = index_of(items)
        terms, scaler, X = block.fit(items, dense_of(index, items, items), BlockWeights(dense=weight))
        clf = LogisticRegression(C=C, max_iter=3000).fit(X, y[items])
        return terms, scaler, Linear.from_sklearn(clf), index, items, option

    def predict(model: Any, items: np.ndarray) -> np.ndarray:
        terms, scaler, clf, index, train, _ = model
        return clf.predict_proba(block.transform(terms, scaler, items, dense_of(index, train, items)))

    def top(model: Any, probs: np.ndarray, t: float) -> tuple[np.ndarray, np.ndarray]:
        classes = list(model[2].classes)
        best = choose_label(probs, classes, none_label, t)
        return np.asarray(classes)[best], probs[np.arange(len(probs)), best]

    def tune(items: np.ndarray, oof: dict[int, Any]) -> tuple[float, Isotonic, Isotonic, WindowRule | None]:
        """The P(none) threshold, then two calibrators: for a flag (top class not ``none``) and for
        ``none``. The threshold is the one with the most right answers on unsafe items whose
        false-flag rate stays within ``MAX_FALSE_FLAGS`` on every source of clean items (inner
        out-of-fold, by its upper bound ``false_flag_bound``); when none does, the one with the
        lowest worst bound. Clean items far
        outnumber flagged ones, so one calibrator would be fitted mostly on confident ``none``
        answers and miscalibrate the flags. Both calibrators weigh clean and unsafe items
        equally in total: how many negatives a fit adds is the fitter's choice (800 or 3000
        sentences of prose), and a confidence should not move with it. Last, the clean texts'
        lowest scores for long texts read passage by passage (``window_rule``)."""
        best_t = pick_none_threshold(threshold_rows(items, oof))
        probs = [oof[int(i)] for i in items]
        clean = np.array([y[i] == none_label for i in items])
        labels = inner_labels(items, oof, best_t)
        picks = [int(choose_label(oof[int(i)], list(inner_classes[int(i)]), none_label, best_t)[0]) for i in items]
        best = np.array([p[j] for p, j in zip(probs, picks, strict=True)])
        right = np.array([float(lab == y[i]) for i, lab in zip(items, labels, strict=True)])
        none = np.array([lab == none_label for lab in labels])
        n_clean, n_unsafe = int(clean.sum()), int((~clean).sum())
        weight = np.where(clean, n_unsafe / n_clean if n_clean and n_unsafe else 1.0, 1.0)

        def fit_or_empty(m):  # isotonic or Platt, whichever cross-validates better on these pairs
            return calibrator(best[m], right[m], seed=seed, weights=weight[m])[0] if m.any() else Isotonic()
        return best_t, fit_or_empty(~none), fit_or_empty(none), window_rule(items, oof)

    def window_rule(items: np.ndarray, oof: dict[int, Any]) -> WindowRule | None:
        """How unseen clean texts score: per clean source checked for the budget, the lowest inner
        out-of-fold P(none) (``fusion.windows``: a long text's passages are held to the budget
        with them); None without clean items."""
        clean = np.array([y[i] == none_label for i in items])
        names = [str(by_source[i]) if by_source is not None else "" for i in items]
        p_none = np.array([oof[int(i)][list(inner_classes[int(i)]).index(none_label)] for i in items])
        tails = [clean_tail(names[js[0]] if len(set(names[j] for j in js)) == 1 else "clean", p_none[js],
                            PASSAGE_FALSE_FLAGS)
                 for js in checked_sources(clean, names if by_source is not None else None)]
        return WindowRule(budget=PASSAGE_FALSE_FLAGS, tails=tails) if tails else None

    def threshold_rows(items: np.ndarray, oof: dict[int, Any]) -> list[tuple[float, int, float]]:
        """(P(none) threshold, right answers on unsafe items, worst false-flag bound over the clean
        sources, ``false_flag_bound``) for every threshold of ``NONE_THRESHOLDS``, from inner
        out-of-fold answers."""
        clean = np.array([y[i] == none_label for i in items])
        checked = checked_sources(clean, [by_source[i] for i in items] if by_source is not None else None)
        rows = []
        for t in NONE_THRESHOLDS:
            labels = inner_labels(items, oof, t)
            flagged = np.array([lab != none_label for lab in labels])
            right = sum(lab == y[i] for i, lab, c in zip(items, labels, clean, strict=True) if not c)
            rows.append((float(t), right, max((false_flag_bound(int(flagged[js].sum()), len(js)) for js in checked),
                                              default=0.0)))
        return rows

    def within_budget_then_right(train: np.ndarray, oof: dict[int, Any]) -> tuple[bool, int]:
        """(the false-flag budget holds at the best P(none) threshold, right unsafe answers there)."""
        rows = threshold_rows(train, oof)
        t = pick_none_threshold(rows)
        row = next(r for r in rows if r[0] == t)
        return row[2] <= MAX_FALSE_FLAGS, row[1]

    def selected(train: np.ndarray, inner: FoldPlan, name: str | None) -> tuple[Any, Any]:
        """``nested`` with the regularisation chosen on the inner folds (see the docstring)."""
        return nested_choice(train, inner, options, fit, predict_tracked, tune, within_budget_then_right,
                             audit if name else None, name or "model")

    inner_classes: dict[int, np.ndarray] = {}

    def predict_tracked(model: Any, items: np.ndarray) -> list[np.ndarray]:
        probs = predict(model, items)
        for i in items:
            inner_classes[int(i)] = np.asarray(model[2].classes)
        return list(probs)

    def inner_labels(items: np.ndarray, oof: dict[int, Any], t: float) -> list[str]:
        out = []
        for i in items:
            classes = list(inner_classes[int(i)])
            out.append(classes[int(choose_label(oof[int(i)], classes, none_label, t)[0])])
        return out

    def run_fold(train: np.ndarray, test: np.ndarray, inner: FoldPlan) -> dict[int, tuple[str, float]]:
        model, (t, cal_flag, cal_none, _) = selected(train, inner, "single_label")
        handle = audit.fitted("single_label", train)
        lab, p = top(model, predict(model, test), t)
        audit.scored(handle, test)
        return {int(i): (str(a), float((cal_none if a == none_label else cal_flag)(np.array([b]))[0]))
                for i, a, b in zip(test, lab, p, strict=True)}

    oof = _outer(len(obs), groups, k, seed, y, run_fold, audit)
    everyone = np.arange(len(obs))
    (terms, scaler, clf, index, _, (C, weight)), (t, cal_flag, cal_none, rule) = selected(
        everyone, plan_folds(len(obs), groups, INNER_FOLDS, seed, y), None)
    model = SingleLabelModel(features=policy_dense_names(clauses) + (index.names() if index else []),
                             clauses=list(clauses), tfidf=terms[0], char_tfidf=terms[1], scaler=scaler,
                             classifier=clf, calibrator=cal_flag, calibrator_none=cal_none, clause_for=clause_for,
                             none_label=none_label, none_threshold=t, neighbours=index, regularisation=C,
                             dense_weight=weight,
                             max_words=fitted_end(block.texts, y, none_label), window_rule=rule)
    return model, oof


def fitted_end(texts: Sequence[str], labels: Sequence[str], none_label: str) -> int:
    """The single-label combiner's fitted end (``SingleLabelModel.max_words``): the longest text,
    in whitespace tokens, of a class other than ``none_label`` (every text when there is none of
    them), at least ``SingleLabelModel.MIN_WORDS`` so the domain is never empty."""
    flagged = [t for t, lab in zip(texts, labels, strict=True) if lab != none_label] or list(texts)
    return max([SingleLabelModel.MIN_WORDS, *(token_count(t) for t in flagged)])
