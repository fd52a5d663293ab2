"""Cross-fitting: every out-of-fold number comes from models that never saw the item.

Folds are grouped by the spec's group field (``GroupKFold``) when there are at least ``k``
groups, so items sharing a label/source never sit on both sides; with fewer groups (VADER has 4
sources, the policy set 2) grouped folds cannot be formed and items are split by stratified or
plain ``KFold`` instead, and the fit report says which (``FoldPlan.scheme``).

``Audit`` records, for every fitted model, the items it was trained on and the items it scored;
``Audit.check`` raises if any item was ever scored by a model trained on it (tests rely on it).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np


@dataclass
class FoldPlan:
    scheme: str
    folds: list[tuple[np.ndarray, np.ndarray]]


def plan_folds(n: int, groups: Sequence[str | None] | None, k: int = 5, seed: int = 0,
               strata: Sequence[Any] | None = None) -> FoldPlan:
    """``k`` folds over ``n`` items (indices), grouped when the groups allow it."""
    from sklearn.model_selection import GroupKFold, KFold, StratifiedKFold

    idx = np.arange(n)
    distinct = {g for g in (groups or []) if g is not None}
    confined = _confined(groups, strata) if groups is not None and strata is not None else []
    if groups is not None and len(distinct) >= k and not confined:
        # an item without a group is a group of its own; codes are stable across processes
        keys = [f"g:{g}" if g is not None else f"i:{i}" for i, g in enumerate(groups)]
        codes = np.unique(np.asarray(keys), return_inverse=True)[1]
        splitter = GroupKFold(n_splits=k)
        return FoldPlan(f"GroupKFold(k={k}) over {len(distinct)} groups",
                        [(tr, te) for tr, te in splitter.split(idx, groups=codes)])
    note = (f"only {len(distinct)} group{'s' if len(distinct) != 1 else ''}, {k} needed for grouped folds"
            if groups is not None else "no group field for grouped folds")
    if confined:
        note = (f"labels {', '.join(confined[:3])}{' ...' if len(confined) > 3 else ''} occur in one group only, "
                "so no grouped folds")
    # a card reader must know the figures were not held out by group (QA session 24: 30 items of
    # one source read 'KFold(k=5) (only 1 groups for grouped folds)' and nothing more)
    caveat = "; an item is scored by combiners fitted on other items of its group, so the figures may flatter new groups"
    if strata is not None:
        labels = np.asarray([str(s) for s in strata])
        _, counts = np.unique(labels, return_counts=True)
        if counts.min() >= k:
            splitter = StratifiedKFold(n_splits=k, shuffle=True, random_state=seed)
            return FoldPlan(f"StratifiedKFold(k={k}) by label ({note}{caveat if groups is not None else ''})",
                            list(splitter.split(idx, labels)))
    splitter = KFold(n_splits=k, shuffle=True, random_state=seed)
    return FoldPlan(f"KFold(k={k}) ({note}{caveat if groups is not None else ''})", list(splitter.split(idx)))


def _confined(groups: Sequence[str | None], strata: Sequence[Any]) -> list[str]:
    """Labels whose items all share one group: grouped folds would hold every example out at once
    (policy categories are each from one source), so the classifier could never learn them."""
    seen: dict[str, set] = {}
    for g, s in zip(groups, strata, strict=True):
        seen.setdefault(str(s), set()).add(g)
    return sorted(label for label, gs in seen.items() if len(gs) < 2)


def subplan(train: np.ndarray, groups: Sequence[str | None] | None, k: int, seed: int,
            strata: Sequence[Any] | None = None) -> FoldPlan:
    """Inner folds over the training part of an outer fold, as indices into the full set."""
    sub_groups = [groups[i] for i in train] if groups is not None else None
    sub_strata = [strata[i] for i in train] if strata is not None else None
    inner = plan_folds(len(train), sub_groups, k, seed, sub_strata)
    return FoldPlan(inner.scheme, [(train[a], train[b]) for a, b in inner.folds])


@dataclass
class Audit:
    """Which items each fitted model was trained on and which it scored.

    Rows are indices; ``keys`` (optional, one per row) names the item a row belongs to, so an item
    with several rows (the same track tagged in two exemplar regimes and pooled into one fit) is
    one item: scoring any of its rows with a model fitted on any other of its rows is a leak.
    ``always``: rows that join every fit (training-only rows such as the exemplar pool's), so a
    scored item must not own one of them either."""

    fits: list[tuple[str, frozenset[Any]]] = field(default_factory=list)
    scores: list[tuple[int, frozenset[Any]]] = field(default_factory=list)
    keys: Sequence[Any] | None = None
    always: frozenset[int] = frozenset()

    def _items(self, rows: Any) -> frozenset[Any]:
        rows = {int(i) for i in rows}
        return frozenset(rows if self.keys is None else (self.keys[i] for i in rows))

    def fitted(self, name: str, train: np.ndarray) -> int:
        self.fits.append((name, self._items({int(i) for i in train} | self.always)))
        return len(self.fits) - 1

    def scored(self, model: int, items: np.ndarray) -> None:
        self.scores.append((model, self._items(items)))

    def check(self) -> None:
        for model, items in self.scores:
            name, trained = self.fits[model]
            leaked = items & trained
            if leaked:
                raise AssertionError(f"{name}: scored {len(leaked)} item(s) it was trained on, "
                                     f"e.g. {min(leaked, key=str)}")


def out_of_fold(plan: FoldPlan, fit: Callable[[np.ndarray], Any],
                predict: Callable[[Any, np.ndarray], Sequence[Any]], audit: Audit | None = None,
                name: str = "model") -> dict[int, Any]:
    """Out-of-fold predictions by item index: for each fold, ``fit(train)`` then
    ``predict(model, test)`` (a sequence aligned with ``test``)."""
    out: dict[int, Any] = {}
    for train, test in plan.folds:
        model = fit(train)
        handle = audit.fitted(name, train) if audit is not None else -1
        pred = predict(model, test)
        if audit is not None:
            audit.scored(handle, test)
        out.update(zip((int(i) for i in test), pred, strict=True))
    return out


def nested(train: np.ndarray, inner: FoldPlan, fit: Callable[[np.ndarray], Any],
           predict: Callable[[Any, np.ndarray], Sequence[Any]], tune: Callable[[np.ndarray, dict[int, Any]], Any],
           audit: Audit | None = None, name: str = "model") -> tuple[Any, Any]:
    """Fit on ``train`` with its decision/calibration parameters tuned on inner out-of-fold
    predictions (``tune(train, oof)``), so those parameters never see their own fit's output.
    Returns (model, params)."""
    oof = out_of_fold(inner, fit, predict, audit, f"{name}/inner")
    params = tune(train, oof)
    return fit(train), params


def nested_choice(train: np.ndarray, inner: FoldPlan, options: Sequence[Any],
                  fit: Callable[[np.ndarray, Any], Any], predict: Callable[[Any, np.ndarray], Sequence[Any]],
                  tune: Callable[[np.ndarray, dict[int, Any]], Any],
                  score: Callable[[np.ndarray, dict[int, Any]], Any], audit: Audit | None = None,
                  name: str = "model") -> tuple[Any, Any]:
    """``nested`` with one setting (a regularisation strength, say) chosen among ``options`` on the
    same inner folds: each option's inner out-of-fold predictions get ``score(train, oof)``
    (higher is better; an earlier option keeps a tie), then ``fit(train, best)`` and the
    parameters tuned on the best option's out-of-fold predictions. One option: nothing is scored.
    Returns (model, params)."""
    best: tuple[Any, Any, dict[int, Any]] | None = None
    for option in options:
        oof = out_of_fold(inner, lambda items, o=option: fit(items, o), predict, audit, f"{name}/inner")
        if len(options) == 1:
            best = (None, option, oof)
            break
        value = score(train, oof)
        if best is None or value > best[0]:
            best = (value, option, oof)
    if best is None:
        raise ValueError("nested_choice: no option to choose from")
    _, option, oof = best
    return fit(train, option), tune(train, oof)
