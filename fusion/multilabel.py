"""Multilabel fusion: a per-candidate classifier over the candidate pool.

Each candidate label of an item becomes one row of evidence features (``features.candidate_rows``);
the classifier gives P(label is right): small gradient-boosted trees (``FAMILY`` "trees", stored as
plain arrays, ``estimators.Trees``), or a logistic regression ("linear", artifacts fitted before). Labels at or above a decision threshold are the record's
value, at most ``max_labels``, and the best candidate is kept when none passes if that scored
higher on training folds. The threshold and that fallback are chosen by inner cross-validation
for micro-F1. The field's confidence is the isotonic-calibrated probability that the chosen set
contains a right label (the eval's ``hit``), from the mean probability of the chosen labels.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Annotated, Any, Literal

import numpy as np
from pydantic import ConfigDict, Discriminator, Field, Tag, field_validator, model_validator

from linernotes.fusion.estimators import ContextLogistic, Isotonic, Linear, Standardizer, Trees, logit
from linernotes.fusion.features import CANDIDATE_FEATURES, candidate_rows
from linernotes.fusion.index_size import SizeCalibration
from linernotes.fusion.observation import Observation
from linernotes.numbers import TextNumbers

ALBUM_MATCH = CANDIDATE_FEATURES.index("album_match")  # item-level: the same in every candidate row
BEST_SIMILARITY = CANDIDATE_FEATURES.index("neighbour_best_similarity")  # item-level too
MEAN_SIMILARITY = CANDIDATE_FEATURES.index("neighbour_mean_similarity")  # item-level too
VOTE_SHARE = CANDIDATE_FEATURES.index("vote_share")
# What the contextual calibrator reads about a chosen set, all known at tag time: the log-odds of
# its probability product, how close the nearest and the average labeled neighbour are (a
# sparser index has farther neighbours; artifacts fitted before the evidence carried the index
# size had only these to stand in for it: the size now keys the isotonic maps, ``index_size``), the weakest chosen label's 40-neighbour vote share, the gap between the
# weakest chosen label's probability and the best unchosen one's, and whether a neighbour is from
# the item's own album (the exemplar regime).
CONTEXT_FEATURES = ["score_logit", "best_similarity", "mean_similarity", "chosen_vote_share", "probability_gap",
                    "album_match"]
# How the field's confidence is calibrated: "inner_cv" picks, per fit, the candidate map
# (``CALIBRATIONS``) with the lowest cross-validated Brier score on the rows the calibrator is
# fitted on (the training part's inner out-of-fold chosen sets, folds grouped by the fit's groups);
# "isotonic" keeps the isotonic pair (same-album / new release) without trying the others.
# "isotonic" by default: with "inner_cv" the shipped recipe (300 items + exemplar pool, seeds 0
# and 1) chose the contextual logistic at both seeds (Brier 0.0737 vs 0.0771, 0.0825 vs 0.0843)
# but the album-held-out sample's ECE was 0.067 / 0.095 (isotonic pair 0.066 / 0.079), pool ECE
# at 1/9, 1/3, all of the index 0.052 / 0.036 / 0.026 and 0.064 / 0.025 / 0.069 (0.061 / 0.042 /
# 0.047, 0.028 / 0.048 / 0.054) and fewer album-held-out items auto-accepted (3.3% / 4.3% vs 5.7% /
# 23.7%): one linear map does not hold across index sizes (evals/reports/README.md).
CALIBRATION = "isotonic"
CALIBRATIONS = ("isotonic", "context", "context_isotonic")
CALIBRATION_FOLDS = 5
THRESHOLDS = np.round(np.arange(0.2, 0.81, 0.05), 2)
# scikit-learn's default regularisation; not tuned to the dev split. Choosing C by inner CV
# (one-SE rule over 0.03-1.0) was tried: it picked 0.03, which raised the album-held-out figure
# on the seed-0 dev sample but not on a second sample (seed 1), and cost the random split there.
C = 1.0
# The per-candidate model family: "linear" (logistic regression over the features, interactions
# hand-made as vote_x_* columns) or "trees" (gradient-boosted trees, which find the interactions).
# Trees, fitted with the exemplar pool's extra rows (evals.exemplar_pool), cross-fitted on the dev
# split (seeds 0 and 1, 300 and 1,000 items): album held out, record minus vote +0.013/+0.020 at
# 300 items (linear +0.016/+0.007) and +0.059/+0.046 at 1,000 (+0.048/+0.039), ECE 0.030/0.037
# at 1,000 (0.038/0.047); random split 0.991-0.993 (0.989-0.992). Trees without the pool: -0.001
# and +0.031 at 300 items (too few rows for trees); linear with the pool: no gain.
FAMILY = "trees"
# Small boosted trees: fixed, not searched on the dev split; early stopping off so a fit does not
# depend on a random validation cut; l2 and min leaf size keep leaves off single albums.
TREES = {"max_iter": 150, "max_leaf_nodes": 15, "learning_rate": 0.1, "l2_regularization": 1.0,
         "min_samples_leaf": 20, "early_stopping": False}


def _classifier_family(value: Any) -> str:
    """Which classifier a stored one is: trees say so (``kind``), a linear one (older artifacts)
    has no kind. Told apart before validating, so a damaged tree is refused with the tree's own
    reason ('depth ...', 'tree 3: a child index ...') rather than the linear model's missing keys."""
    kind = value.get("kind") if isinstance(value, dict) else getattr(value, "kind", None)
    return "trees" if kind == "trees" else "linear"


Classifier = Annotated[Annotated[Linear, Tag("linear")] | Annotated[Trees, Tag("trees")],
                       Discriminator(_classifier_family)]


class MultilabelModel(TextNumbers):
    model_config = ConfigDict(extra="forbid")  # a misspelt key in a hand-edited file is named, not dropped

    kind: Literal["multilabel"] = "multilabel"
    uses_draft: bool = Field(True, description="False: fitted without LLM drafts (too few); drafts ignored")
    features: list[str] = Field(default_factory=lambda: list(CANDIDATE_FEATURES))
    scaler: Standardizer
    classifier: Classifier
    threshold: float
    fallback_top1: bool
    max_labels: int
    calibrator: Isotonic
    calibrator_new_release: Isotonic | None = Field(
        None, description="the calibrator for an item with no same-album neighbour (album_match 0: a new "
        "release, or a catalog without its album's other tracks); None: ``calibrator`` for every item")
    calibrator_context: ContextLogistic | None = Field(
        None, description="a calibrator told the chosen set's context (``CONTEXT_FEATURES``); when set, it gives "
        "the field's confidence instead of ``calibrator`` / ``calibrator_new_release``; None in artifacts fitted "
        "before it or when inner cross-validation preferred the isotonic pair")
    calibrator_by_size: SizeCalibration | None = Field(
        None, description="per side, isotonic maps by exemplar-index size (``fusion.index_size``): an item whose "
        "evidence gives the size is calibrated by its side's class; None (artifacts fitted before it, or a fit "
        "whose rows had one size) or no size in the evidence: ``calibrator`` / ``calibrator_new_release``")
    calibration: dict[str, Any] = Field(default_factory=dict, description="which calibrator inner CV chose "
                                        "(``chosen``) and each candidate's cross-validated Brier score and log loss")
    prior: dict[str, float]
    regularisation: float = Field(C, gt=0, description="the logistic regression's C")
    requires_exemplars: bool = Field(False, description="fitted on items that all had labeled neighbours: "
                                     "its calibration says nothing about an item without any")

    @field_validator("features")
    @classmethod
    def _known(cls, v: list[str]) -> list[str]:
        unknown = [f for f in v if f not in CANDIDATE_FEATURES]
        if unknown:
            raise ValueError(f"unknown candidate features {unknown} (this linernotes computes {CANDIDATE_FEATURES})")
        return v

    @model_validator(mode="after")
    def _shapes(self) -> MultilabelModel:
        n = len(self.features)
        clf = self.classifier
        wrong = (any(len(r) != n for r in clf.coef) if isinstance(clf, Linear)
                 else any(f >= n or f < 0 for tree in clf.feature for f in tree))
        if len(self.scaler.mean) != n or len(self.scaler.scale) != n or wrong:
            raise ValueError(f"scaler/classifier sizes do not match the {n} features")
        return self

    def applies(self, obs: Observation) -> bool:
        return not self.requires_exemplars or bool(obs.evidence.get("exemplars"))

    def candidate_probs(self, obs: Observation) -> tuple[list[str], np.ndarray]:
        ids, p, _ = self._probs(obs)
        return ids, p

    def _probs(self, obs: Observation) -> tuple[list[str], np.ndarray, bool]:
        """(candidate ids, P(right) per candidate, whether a neighbour is from the item's album)."""
        ids, p, X = self._scored(obs)
        return ids, p, bool(len(ids) and X[0, ALBUM_MATCH])

    def _scored(self, obs: Observation) -> tuple[list[str], np.ndarray, np.ndarray]:
        """(candidate ids, P(right) per candidate, the candidates' rows of every CANDIDATE_FEATURES column)."""
        ids, X = candidate_rows(obs if self.uses_draft else obs.without_draft(), self.prior)
        if not ids:
            return [], np.zeros(0), X
        return ids, self.classifier.predict_proba(self.scaler.transform(X[:, self._columns()]))[:, 1], X

    def calibrate(self, score: float, same_album: bool, index_size: int | None = None) -> float:
        """The calibrated P(hit) of a chosen set whose probability product is ``score``, of an
        item tagged against an exemplar index of ``index_size`` items (None: unknown)."""
        return isotonic_confidence(score, same_album, index_size, self.calibrator, self.calibrator_new_release,
                                   self.calibrator_by_size)

    def _columns(self) -> list[int]:
        """The feature columns this model was fitted on, by name (an artifact fitted before a
        feature was added keeps reading its own columns)."""
        return [CANDIDATE_FEATURES.index(f) for f in self.features]

    def decide(self, obs: Observation) -> tuple[list[str], float, dict[str, float]]:
        """(labels, calibrated P(hit), every candidate's probability)."""
        ids, p, X = self._scored(obs)
        chosen = chosen_indices(p, self.threshold, self.fallback_top1, self.max_labels)
        labels = [ids[i] for i in chosen]
        if not labels:
            conf = 0.0
        elif self.calibrator_context is not None:
            conf = float(self.calibrator_context(context_row(p, chosen, X)[None, :])[0])
        else:
            conf = self.calibrate(float(np.prod(p[chosen])), bool(X[0, ALBUM_MATCH]), obs.index_size)
        return labels, conf, {i: round(float(x), 4) for i, x in zip(ids, p, strict=True)}


def isotonic_confidence(score: float, same_album: bool, index_size: int | None, pooled: Isotonic,
                        new_release: Isotonic | None, by_size: SizeCalibration | None) -> float:
    """P(hit) of a chosen set with probability product ``score`` from the isotonic calibrators: its
    side's map by index size when there is one and the size is known, else the side's size-free
    map (``new_release`` for an item without a same-album neighbour when fitted, else ``pooled``)."""
    side = by_size.side(same_album) if by_size is not None else None
    if side is not None and index_size is not None:
        return side(score, index_size)
    cal = pooled if same_album or new_release is None else new_release
    return float(cal(np.array([score]))[0])


def choose(ids: Sequence[str], p: np.ndarray, threshold: float, fallback: bool, max_labels: int
           ) -> tuple[list[str], float]:
    """Labels at or above ``threshold`` (best first, at most ``max_labels``) and the product of
    their probabilities (P(every chosen label is right) were they independent, the quantity the
    calibrator maps to the field's confidence); the best one alone when none passes and
    ``fallback``."""
    chosen = chosen_indices(p, threshold, fallback, max_labels)
    if not chosen:
        return [], 0.0
    return [ids[i] for i in chosen], float(np.prod(p[chosen]))


def chosen_indices(p: np.ndarray, threshold: float, fallback: bool, max_labels: int) -> list[int]:
    """The positions in ``p`` that ``choose`` picks, best first."""
    order = np.argsort(-p, kind="stable")
    chosen = [int(i) for i in order if p[i] >= threshold][:max_labels]
    if not chosen and fallback and len(order):
        chosen = [int(order[0])]
    return chosen


def context_row(p: np.ndarray, chosen: Sequence[int], X: np.ndarray) -> np.ndarray:
    """The ``CONTEXT_FEATURES`` of one item's chosen set, shape (len(CONTEXT_FEATURES),): ``p`` the
    candidates' probabilities, ``chosen`` their chosen positions (non-empty), ``X`` the candidates'
    rows of every ``CANDIDATE_FEATURES`` column (tag-time evidence only)."""
    chosen = list(chosen)
    rest = np.delete(p, chosen)
    weakest = float(p[chosen].min())
    return np.array([
        float(logit(np.array([np.prod(p[chosen])]))[0]), float(X[0, BEST_SIMILARITY]), float(X[0, MEAN_SIMILARITY]),
        float(X[chosen, VOTE_SHARE].min()), weakest - (float(rest.max()) if len(rest) else 0.0),
        float(X[0, ALBUM_MATCH]),
    ])


def _brier_logloss(p: np.ndarray, y: np.ndarray) -> tuple[float, float]:
    q = np.clip(p, 1e-4, 1 - 1e-4)
    return float(np.mean((p - y) ** 2)), float(-np.mean(y * np.log(q) + (1 - y) * np.log(1 - q)))


def _isotonic_pair(scores: np.ndarray, hits: np.ndarray, same: np.ndarray, by_release: bool, min_side: int
                   ) -> tuple[Isotonic, Isotonic | None]:
    """One isotonic map over every chosen set, or (``by_release``) one per side (same-album
    neighbour or not) for a side with at least ``min_side`` sets, else the pooled map."""
    pooled = Isotonic.fit(scores, hits) if len(scores) else Isotonic()
    if not by_release:
        return pooled, None
    side = {f: Isotonic.fit(scores[same == f], hits[same == f]) if (same == f).sum() >= min_side else pooled
            for f in (True, False)}
    return side[True], side[False]


def _pair_predict(pair: tuple[Isotonic, Isotonic | None], scores: np.ndarray, same: np.ndarray) -> np.ndarray:
    cal, new = pair
    out = cal(scores)
    if new is not None:
        out = np.where(same, out, new(scores))
    return out


def fit_calibration(scores: np.ndarray, hits: np.ndarray, same: np.ndarray, context: np.ndarray,
                    groups: Sequence[Any], by_release: bool, min_side: int, method: str = CALIBRATION,
                    seed: int = 0, audit: Any = None, rows: np.ndarray | None = None,
                    ) -> tuple[Isotonic, Isotonic | None, ContextLogistic | None, dict[str, Any]]:
    """The field's calibrator from chosen sets: ``scores`` their probability products,
    ``hits`` 1.0 when precise, ``same`` whether a neighbour is from the item's album,
    ``context`` their ``CONTEXT_FEATURES`` rows (shape (n, len(CONTEXT_FEATURES))), ``groups``
    the fold group of each set's item (sets of one group never sit on both sides of a CV fold).

    ``method`` "isotonic": the isotonic pair. "inner_cv": each of ``CALIBRATIONS`` (the
    isotonic pair; the contextual logistic; the contextual logistic with an isotonic map on top)
    is fitted on ``CALIBRATION_FOLDS`` - 1 grouped folds and scored on the last; the lowest
    summed Brier score wins (ties: the earlier, simpler one) and is refitted on all sets. A
    contextual map whose score coefficient comes out negative (not monotone in the score) is
    out in that fold. ``audit`` (``crossfit.Audit``) and ``rows`` (each set's item index):
    every CV fit and score is recorded, so a leak fails ``Audit.check``.

    Returns (calibrator, calibrator_new_release, contextual calibrator or None, figures:
    ``chosen`` and per candidate ``brier`` / ``log_loss`` over the folds)."""
    pair = _isotonic_pair(scores, hits, same, by_release, min_side)
    if method == "isotonic" or len(scores) < 2 * CALIBRATION_FOLDS or len(np.unique(hits)) < 2:
        return (*pair, None, {"chosen": "isotonic"})
    from sklearn.model_selection import GroupKFold

    codes = np.unique(np.asarray([str(g) for g in groups]), return_inverse=True)[1]
    k = min(CALIBRATION_FOLDS, len(np.unique(codes)))
    if k < 2:
        return (*pair, None, {"chosen": "isotonic"})
    pred = {name: np.full(len(scores), np.nan) for name in CALIBRATIONS}
    for tr, te in GroupKFold(n_splits=k).split(scores, groups=codes):
        if audit is not None and rows is not None:
            handle = audit.fitted("multilabel/calibrator", rows[tr])
            audit.scored(handle, rows[te])
        fold_pair = _isotonic_pair(scores[tr], hits[tr], same[tr], by_release, min_side)
        pred["isotonic"][te] = _pair_predict(fold_pair, scores[te], same[te])
        for name, two in (("context", False), ("context_isotonic", True)):
            cal = ContextLogistic.fit(CONTEXT_FEATURES, context[tr], hits[tr], two_stage=two, seed=seed)
            pred[name][te] = cal(context[te]) if cal.monotone else np.inf
    figures: dict[str, Any] = {}
    for name, p in pred.items():
        if np.isinf(p).any():
            continue
        brier, loss = _brier_logloss(p, hits)
        figures[name] = {"brier": round(brier, 5), "log_loss": round(loss, 5)}
    chosen = min(figures, key=lambda n: (figures[n]["brier"], CALIBRATIONS.index(n)))
    figures = {"chosen": chosen, **figures}
    if chosen == "isotonic":
        return (*pair, None, figures)
    cal = ContextLogistic.fit(CONTEXT_FEATURES, context, hits, two_stage=chosen == "context_isotonic", seed=seed)
    if not cal.monotone:  # refitted on every set it turned; keep the pair
        return (*pair, None, {**figures, "chosen": "isotonic"})
    return (*pair, cal, figures)


def precise(chosen: Sequence[str], gold: Sequence[str] | None) -> bool:
    """A multilabel field is right as a reviewer would accept it: at least one label chosen and
    none of them outside gold (a missing genre is a recall loss; a wrong one is a tag a listener
    sees). The one rule behind the calibrated genres confidence, ``liner fit``'s figures and
    ``evals.scoring.CORRECTNESS["multilabel"]`` (``evals.metrics.multilabel``'s item score)."""
    return bool(chosen) and set(chosen) <= set(gold or [])


def micro_f1(pred: Sequence[Sequence[str]], gold: Sequence[Sequence[str]]) -> float:
    tp = fp = fn = 0
    for p, g in zip(pred, gold, strict=True):
        ps, gs = set(p), set(g)
        tp += len(ps & gs)
        fp += len(ps - gs)
        fn += len(gs - ps)
    return 2 * tp / (2 * tp + fp + fn) if tp else 0.0


class Table:
    """All candidates of a set of items, stacked: rows, owning item, label id, target."""

    def __init__(self, obs: Sequence[Observation], gold: Sequence[Sequence[str]], prior: dict[str, float]) -> None:
        self.ids: list[list[str]] = []
        mats, owners, targets = [], [], []
        for i, (o, g) in enumerate(zip(obs, gold, strict=True)):
            ids, X = candidate_rows(o, prior)
            self.ids.append(ids)
            mats.append(X)
            owners += [i] * len(ids)
            targets += [float(c in set(g)) for c in ids]
        self.X = np.vstack(mats) if mats else np.zeros((0, len(CANDIDATE_FEATURES)))
        self.owner = np.asarray(owners, dtype=np.int64)
        self.y = np.asarray(targets)
        self.gold = [list(g) for g in gold]
        # each item's exemplar-index size (NaN: not in its evidence), for the calibrator by size
        self.size = np.array([np.nan if o.index_size is None else float(o.index_size) for o in obs])

    def same_album(self, item: int) -> bool:
        """Whether any of the item's neighbours is from its album (its rows' album_match)."""
        rows = np.flatnonzero(self.owner == item)
        return bool(len(rows) and self.X[rows[0], ALBUM_MATCH])

    def rows_of(self, items: np.ndarray) -> np.ndarray:
        return np.flatnonzero(np.isin(self.owner, items))


def fit_classifier(table: Table, items: np.ndarray, seed: int, c: float = C, family: str | None = None
                   ) -> tuple[Standardizer, Linear | Trees]:
    """The per-candidate classifier on ``items``' rows: a logistic regression (``c``) or, for
    ``family`` "trees" (default ``FAMILY``), boosted trees (``TREES``)."""
    from sklearn.linear_model import LogisticRegression

    rows = table.rows_of(items)
    scaler = Standardizer.fit(table.X[rows])
    y = table.y[rows]
    if len(np.unique(y)) < 2:  # degenerate fold: a constant model that predicts the base rate
        rate = float(np.clip(y.mean() if len(y) else 0.5, 1e-3, 1 - 1e-3))
        return scaler, Linear(coef=[[0.0] * table.X.shape[1]], intercept=[float(np.log(rate / (1 - rate)))],
                              classes=["0", "1"])
    if (family or FAMILY) == "trees":
        from sklearn.ensemble import HistGradientBoostingClassifier

        trees = HistGradientBoostingClassifier(**TREES, random_state=seed).fit(scaler.transform(table.X[rows]), y)
        return scaler, Trees.from_sklearn(trees)
    clf = LogisticRegression(C=c, max_iter=2000, random_state=seed).fit(scaler.transform(table.X[rows]), y)
    return scaler, Linear.from_sklearn(clf)


def item_probs(table: Table, model: tuple[Standardizer, Linear | Trees], items: np.ndarray) -> list[np.ndarray]:
    scaler, clf = model
    out = []
    for i in items:
        rows = np.flatnonzero(table.owner == i)
        out.append(clf.predict_proba(scaler.transform(table.X[rows]))[:, 1] if len(rows) else np.zeros(0))
    return out


def tune_decision(table: Table, items: np.ndarray, probs: list[np.ndarray], max_labels: int
                  ) -> tuple[float, bool, float]:
    """The threshold and fallback with the best micro-F1 on out-of-fold probabilities, and that
    micro-F1."""
    gold = [table.gold[i] for i in items]
    best = (-1.0, 0.5, True)
    for fallback in (True, False):
        for t in THRESHOLDS:
            pred = [choose(table.ids[i], p, float(t), fallback, max_labels)[0] for i, p in zip(items, probs, strict=True)]
            f1 = micro_f1(pred, gold)
            if f1 > best[0] + 1e-9:
                best = (f1, float(t), fallback)
    return best[1], best[2], best[0]
