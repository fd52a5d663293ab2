"""Fitted models for declared signals (``liner fit SPEC --signals S.yaml``): the per-kind fusion of
a declared signal, learned from its gold, cross-fitted, with a calibrated confidence.

Kinds fitted: ``boolean`` and ``single_label`` (a standardised multinomial logistic regression).
Features come only from what the tagger saw (``SignalValue.evidence`` and the LLM's verified
answer): every numeric audio feature (plus a missing flag), each vocabulary entry's shortlist
score, the number of lexicon hits, and the LLM's answer one-hot. ``multilabel``, ``scalar`` and
``text`` signals are not fitted yet (they keep the hand-set rules of ``signals.decide``).

Out-of-fold (``folds``, grouped by the gold spec's ``group_field`` when it has one) the model's
decisions are written into a copy of the eval record and scored like any run; the threshold is
the lowest confidence whose auto-accepted items are >= 95% right out of fold (at least 10 of
them), else none (the spec's ``review_threshold`` then routes). The fitted model lands in
``FUSION_DIR/signals/<name>.json`` with the spec's content hash: a run loads it (``--fusion
FUSION_DIR``) only for a spec with the same hash.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import numpy as np
from pydantic import BaseModel, Field

from linernotes.signals.decide import SignalDecision
from linernotes.signals.evidence import AUDIO_KEYS
from linernotes.signals.spec import SignalSpec

FITTABLE = ("boolean", "single_label")
NUMERIC_AUDIO = tuple(k for k in AUDIO_KEYS if k not in ("key", "mode"))
TARGET_PRECISION = 0.95
MIN_ACCEPTED = 10


def features(spec: SignalSpec, evidence: dict[str, Any], answer: Any) -> tuple[list[str], list[float]]:
    """(names, values) of one item's features; the same list for every item of a spec."""
    names: list[str] = []
    values: list[float] = []
    if "audio" in spec.evidence:
        audio = evidence.get("audio") or {}
        for k in NUMERIC_AUDIO:
            v = audio.get(k)
            ok = isinstance(v, int | float) and not isinstance(v, bool) and math.isfinite(v)
            names += [f"audio.{k}", f"audio.{k}.missing"]
            values += [float(v) if ok else 0.0, 0.0 if ok else 1.0]
    if "shortlist" in spec.evidence:
        scores = {c["id"]: float(c["score"]) for c in evidence.get("shortlist") or []}
        for i in spec.ids:
            names.append(f"shortlist.{i}")
            values.append(scores.get(i, 0.0))
    if "lexicon" in spec.evidence:
        names.append("lexicon.hits")
        values.append(float(len(evidence.get("lexicon") or [])))
    shown = "" if answer is None else str(answer).lower() if isinstance(answer, bool) else str(answer)
    for i in spec.ids:
        names.append(f"llm.{i}")
        values.append(1.0 if shown == i else 0.0)
    return names, values


class SignalModel(BaseModel):
    """A fitted signal model as stored (JSON); ``apply`` needs no sklearn."""

    name: str
    kind: str
    spec_hash: str
    classes: list[str]
    feature_names: list[str]
    mean: list[float]
    scale: list[float]
    coef: list[list[float]] = Field(description="classes x features (binary: 1 x features, for classes[1])")
    intercept: list[float]
    threshold: float | None = None
    figures: dict[str, Any] = Field(default_factory=dict)

    def proba(self, x: list[float]) -> np.ndarray:
        z = (np.asarray(x) - np.asarray(self.mean)) / np.asarray(self.scale)
        logits = np.asarray(self.coef) @ z + np.asarray(self.intercept)
        if len(self.classes) == 2 and len(logits) == 1:
            p1 = 1.0 / (1.0 + math.exp(-float(logits[0])))
            return np.array([1.0 - p1, p1])
        e = np.exp(logits - logits.max())
        return e / e.sum()

    def predict(self, spec: SignalSpec, evidence: dict[str, Any], answer: Any) -> tuple[str, float]:
        _, x = features(spec, evidence, answer)
        p = self.proba(x)
        k = int(np.argmax(p))
        return self.classes[k], float(p[k])

    def threshold_or(self, default: float) -> float:
        return self.threshold if self.threshold is not None else default

    def apply_to(self, spec: SignalSpec, d: SignalDecision, evidence: dict[str, Any]) -> SignalDecision:
        """The fitted value and its calibrated confidence, from the evidence and the LLM's answer."""
        answer = d.value if d.source == "llm" else None
        value, conf = self.predict(spec, evidence, answer)
        out: Any = (value == "true") if spec.kind == "boolean" else value
        return SignalDecision(value=out, confidence=round(conf, 4), source="fitted", problems=d.problems)


def load_models(folder: Path, specs: list[SignalSpec]) -> dict[str, Any]:
    """``{name: SignalModel}`` for the specs whose fitted model (same content hash) is in ``folder``."""
    out: dict[str, Any] = {}
    for spec in specs:
        path = Path(folder) / "signals" / f"{spec.name}.json"
        if not path.is_file():
            continue
        model = SignalModel.model_validate_json(path.read_text(encoding="utf-8"))
        if model.spec_hash == spec.content_hash:
            out[spec.name] = model
    return out


def _choose_threshold(conf: list[float], correct: list[bool]) -> float | None:
    pairs = sorted(zip(conf, correct, strict=True), key=lambda x: -x[0])
    best, right = None, 0
    for n, (c, ok) in enumerate(pairs, 1):
        right += int(ok)
        if n < len(pairs) and pairs[n][0] == c:
            continue
        if n >= MIN_ACCEPTED and right / n >= TARGET_PRECISION:
            best = float(c)
    return best


def fit_signal(spec: SignalSpec, rows: list[tuple[dict[str, Any], Any, Any, str]], folds: int = 5, seed: int = 0
               ) -> tuple[SignalModel, list[tuple[str, float] | None]]:
    """Fit on ``rows`` = [(evidence, llm answer or None, gold, group)]; returns the model on all
    rows and each row's out-of-fold (value, confidence). Raises ValueError when it cannot fit."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import GroupKFold, StratifiedKFold

    if spec.kind not in FITTABLE:
        raise ValueError(f"signal {spec.name}: {spec.kind} signals are not fittable yet (only {', '.join(FITTABLE)})")
    x = np.array([features(spec, ev, ans)[1] for ev, ans, _, _ in rows], dtype=float)
    y = np.array([str(g).lower() if isinstance(g, bool) else str(g) for _, _, g, _ in rows])
    groups = np.array([grp for *_, grp in rows])
    classes = sorted(set(y))
    if len(classes) < 2:
        raise ValueError(f"signal {spec.name}: gold has one class only ({classes}); nothing to learn")
    names = features(spec, rows[0][0], rows[0][1])[0]

    def train(idx: np.ndarray) -> SignalModel:
        mean = x[idx].mean(axis=0)
        scale = x[idx].std(axis=0)
        scale[scale == 0] = 1.0
        lr = LogisticRegression(C=1.0, max_iter=2000)
        lr.fit((x[idx] - mean) / scale, y[idx])
        return SignalModel(name=spec.name, kind=spec.kind, spec_hash=spec.content_hash,
                           classes=[str(c) for c in lr.classes_], feature_names=names, mean=mean.tolist(),
                           scale=scale.tolist(), coef=lr.coef_.tolist(), intercept=lr.intercept_.tolist())

    n_groups = len(set(groups))
    splitter = (GroupKFold(n_splits=min(folds, n_groups)) if n_groups >= folds
                else StratifiedKFold(n_splits=min(folds, int(min(np.unique(y, return_counts=True)[1]))),
                                     shuffle=True, random_state=seed))
    oof: list[tuple[str, float] | None] = [None] * len(rows)
    split = splitter.split(x, y, groups) if isinstance(splitter, GroupKFold) else splitter.split(x, y)
    for tr, te in split:
        if len(set(y[tr])) < 2:
            continue
        m = train(tr)
        for i in te:
            p = m.proba(x[i].tolist())
            k = int(np.argmax(p))
            oof[i] = (m.classes[k], float(p[k]))
    model = train(np.arange(len(rows)))
    scored = [(o[1], o[0] == y[i]) for i, o in enumerate(oof) if o is not None]
    model.threshold = _choose_threshold([c for c, _ in scored], [ok for _, ok in scored])
    model.figures = {"items": len(rows), "out_of_fold_accuracy": round(float(np.mean([ok for _, ok in scored])), 4)
                     if scored else None, "folds": folds, "grouped": isinstance(splitter, GroupKFold)}
    return model, oof


def save_model(model: SignalModel, folder: Path) -> Path:
    path = Path(folder) / "signals" / f"{model.name}.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(model.model_dump(mode="json"), indent=1) + "\n", encoding="utf-8")
    return path
