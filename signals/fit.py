"""Fitted models for declared signals (``liner fit SPEC --signals S.yaml``): the per-kind fusion of
a declared signal, learned from its gold, cross-fitted, with a calibrated confidence.

Kinds fitted:

- ``boolean`` and ``single_label``: a standardised multinomial logistic regression. Features come
  only from what the tagger saw (``SignalValue.evidence`` and the LLM's verified answer): every
  numeric audio feature (plus a missing flag), each vocabulary entry's shortlist score, the
  number of lexicon hits, and the LLM's answer one-hot.
- ``multilabel`` and ``scalar``: the built-ins' per-kind combiners (``fusion.fitting.fit_multilabel``
  and ``fit_scalar``, the path ``liner fit`` takes for genres and valence), on an ``Observation``
  built from the signal's evidence (``signal_observation``): multilabel candidates are the
  signal's shortlist and the LLM's picks (no exemplar labels: the exemplar index carries genres,
  not this vocabulary), confidence the isotonic P(the chosen set holds a right label); scalar is
  the ridge over the item's text (TF-IDF, WordLlama embedding, lexicon scores) and the LLM's
  value, on the range mapped to [-1, 1] and back, confidence P(|error| <= tolerance). Audio
  features are not among the scalar combiner's features (an audio-driven scalar keeps its LLM
  value as the only non-text input).
- ``text`` signals are not fitted (they keep the hand-set rules of ``signals.decide``).

Confidence: boolean / single_label models store a calibrator (isotonic or Platt, the built-ins'
``fusion.estimators.calibrator``) fitted on inner out-of-fold top answers; the combiners calibrate
their own. Fitted on fewer than ``fusion.fitting.MIN_CALIBRATION`` gold items, a model is marked
uncalibrated (``is_calibrated``): its confidence is the raw probability, records say
``calibrated: false`` with the reason, and no threshold is fitted.

Out-of-fold (``folds``, grouped by the gold spec's ``group_field`` when it has one) the model's
decisions are written into a copy of the eval record and scored like any run; the threshold is
the built-ins' (``review_threshold``: the lowest calibrated confidence, at least 0.5, whose
auto-accepted items are >= 95% right out of fold, at least 20 of them), else none (the spec's
``review_threshold`` then routes). The fitted model lands in
``FUSION_DIR/signals/<name>.json`` with the spec's content hash: a run loads it (``--fusion
FUSION_DIR``) only for a spec with the same hash, and each record's
``signals.<name>.provenance.model_hash`` is the model file's own content hash (sha256 of its
bytes, 16 hex digits, as ``provenance.fusion`` is the built-ins' artifact's). A model fitted on
another version of the spec is not applied (its calibration says nothing about this definition):
``open_models`` reports it as ``StaleModel`` so the run can warn and mark the value uncalibrated.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from pydantic import ConfigDict, Field, PrivateAttr

from linernotes.digest import short_digest
from linernotes.files import read_regular
from linernotes.fusion.estimators import Isotonic
from linernotes.numbers import TextNumbers
from linernotes.signals.decide import SignalDecision
from linernotes.signals.evidence import AUDIO_KEYS
from linernotes.signals.spec import SignalSpec

FITTABLE = ("boolean", "single_label", "multilabel", "scalar")
FUSED = ("multilabel", "scalar")  # fitted by the built-ins' per-kind combiners (fusion.fitting)
NUMERIC_AUDIO = tuple(k for k in AUDIO_KEYS if k not in ("key", "mode"))
TRAINED_ON = ("id digests (fusion.artifact.id_digest) of the gold items it was fitted on: a run scored on "
              "them is in-sample (liner eval warns, liner gate says so); [] in models fitted before")


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


def threshold_problem(threshold: float | None) -> str | None:
    """Why a stored review threshold cannot be a confidence level, or None. A fit writes a level in
    [0, 1] or none; a NaN (JSON takes it), -3 or 5 read from a stranger's fusion folder silently
    stopped routing the signal to review (nothing is below NaN or -3) or routed every item."""
    if threshold is None or (math.isfinite(threshold) and 0.0 <= threshold <= 1.0):
        return None
    return f"threshold {threshold} is not a confidence level in [0, 1] (or null: the spec's review_threshold)"


class SignalModel(TextNumbers):
    """A fitted signal model as stored (JSON); ``apply`` needs no sklearn."""

    model_config = ConfigDict(extra="forbid")  # a misspelt key in a hand-edited file is named, not dropped

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
    calibration: Isotonic | None = Field(None, description=(
        "P(the top answer is right) as a monotone map of the top class's probability (fusion.estimators."
        "calibrator, isotonic or Platt), fitted on inner out-of-fold predictions; None: uncalibrated (fewer than "
        "fusion.fitting.MIN_CALIBRATION gold items, or a model fitted before calibration was stored)"))
    figures: dict[str, Any] = Field(default_factory=dict)
    trained_on: list[str] = Field(default_factory=list, description=TRAINED_ON)
    content_hash: str = Field("", exclude=True, description="sha256 of the stored file's bytes (set on load/save)")

    def is_calibrated(self) -> bool:
        """Whether ``predict``'s confidence is a calibrated probability (else the raw top probability)."""
        return self.calibration is not None

    def uncalibrated_note(self) -> str:
        """Why the confidence is not calibrated (for a record's provenance)."""
        return uncalibrated_note(self.figures)

    def mismatch(self, spec: SignalSpec) -> str | None:
        """Why this model cannot score items of ``spec`` (kind, classes, array shapes), else None."""
        names = features(spec, {}, None)[0]
        rows = 1 if len(self.classes) == 2 else len(self.classes)
        if self.kind != spec.kind:
            return f"kind {self.kind!r}, the spec's is {spec.kind!r}"
        if not set(self.classes) <= set(spec.ids) or len(set(self.classes)) < 2 or \
                len(set(self.classes)) != len(self.classes):  # ['true', 'true'] answered true for every item
            return f"classes {self.classes} are not two or more different ones of the spec's {spec.ids}"
        if self.feature_names != names:
            return f"features {self.feature_names} are not the spec's {names}"
        if len(self.mean) != len(names) or len(self.scale) != len(names):
            return f"mean/scale hold {len(self.mean)}/{len(self.scale)} values for {len(names)} features"
        if len(self.coef) != rows or any(len(r) != len(names) for r in self.coef) or len(self.intercept) != rows:
            return f"coef/intercept are not {rows} x {len(names)} / {rows}"
        if not all(math.isfinite(v) for v in [*self.mean, *self.scale, *self.intercept, *sum(self.coef, [])]):
            return "a coefficient is not a finite number"
        if any(v <= 0 for v in self.scale):  # features are divided by it: a 0 made every item's confidence NaN
            return f"scale {self.scale} holds a value that is not above 0 (a fit's scale is positive)"
        return threshold_problem(self.threshold)

    def proba(self, x: list[float]) -> np.ndarray:
        z = (np.asarray(x) - np.asarray(self.mean)) / np.asarray(self.scale)
        logits = np.asarray(self.coef) @ z + np.asarray(self.intercept)
        if len(self.classes) == 2 and len(logits) == 1:
            p1 = 1.0 / (1.0 + math.exp(-float(logits[0])))
            return np.array([1.0 - p1, p1])
        e = np.exp(logits - logits.max())
        return e / e.sum()

    def predict(self, spec: SignalSpec, evidence: dict[str, Any], answer: Any) -> tuple[str, float]:
        """(top class, confidence): the calibrated P(it is right), or the raw top probability when
        the model holds no calibrator (``is_calibrated``)."""
        _, x = features(spec, evidence, answer)
        p = self.proba(x)
        k = int(np.argmax(p))
        conf = float(p[k]) if self.calibration is None else float(self.calibration(np.array([p[k]]))[0])
        return self.classes[k], conf

    def threshold_or(self, default: float) -> float:
        """The fitted review threshold; ``default`` (the spec's) when none was chosen or the
        confidence is uncalibrated (a level is only a precision on calibrated confidences)."""
        return self.threshold if self.threshold is not None and self.is_calibrated() else default

    def apply_to(self, spec: SignalSpec, d: SignalDecision, evidence: dict[str, Any], item: Any = None
                 ) -> SignalDecision:
        """The fitted value and its confidence (calibrated when ``is_calibrated``), from the evidence
        and the LLM's answer."""
        answer = d.value if d.source == "llm" else None
        value, conf = self.predict(spec, evidence, answer)
        out: Any = (value == "true") if spec.kind == "boolean" else value
        return SignalDecision(value=out, confidence=round(conf, 4), source="fitted", problems=d.problems)


def _unit(spec: SignalSpec, v: float) -> float:
    """A scalar signal's value on [-1, 1] (the scale the scalar combiner's lexicon features use)."""
    lo, hi = spec.range or (-1.0, 1.0)
    return 2.0 * (float(v) - lo) / (hi - lo) - 1.0


def _from_unit(spec: SignalSpec, z: float) -> float:
    lo, hi = spec.range or (-1.0, 1.0)
    return lo + (float(z) + 1.0) / 2.0 * (hi - lo)


def signal_observation(spec: SignalSpec, item: Any, evidence: dict[str, Any], answer: Any) -> Any:
    """The ``fusion.Observation`` a built-in combiner reads, from a declared signal's evidence and
    the LLM's verified answer (None: not consulted). Multilabel: the shortlist as the candidate
    pool and the answer as the picks; scalar: the answer as the nearest valence level of its
    value on [-1, 1] (the combiner's LLM feature is that level)."""
    from linernotes.fusion.observation import Observation
    from linernotes.vocabulary import VALENCE_SCALE

    if spec.kind == "multilabel":
        ev = {"genres": [{"id": c["id"], "score": float(c.get("score", 0.0))} for c in evidence.get("shortlist") or []]}
        draft = None if answer is None else {"genres": [str(x) for x in answer]}
        return Observation(item=item, evidence=ev, draft=draft)
    if spec.kind == "scalar":
        draft = None
        if isinstance(answer, int | float) and not isinstance(answer, bool):
            z = _unit(spec, answer)
            draft = {"valence": min(VALENCE_SCALE, key=lambda k: abs(VALENCE_SCALE[k] - z))}
        return Observation(item=item, evidence={}, draft=draft)
    raise ValueError(f"signal {spec.name}: {spec.kind} signals have no built-in combiner")


class FusedSignalModel(TextNumbers):
    """A declared multilabel or scalar signal fitted by the built-ins' per-kind combiner (JSON,
    no pickle): ``model`` is a ``fusion`` MultilabelModel or ScalarModel; a scalar's model works on
    the spec's range mapped to [-1, 1]."""

    model_config = ConfigDict(extra="forbid")  # a misspelt key in a hand-edited file is named, not dropped

    name: str
    kind: str
    spec_hash: str
    model: dict[str, Any] = Field(description="the fusion combiner as fusion.artifact stores one")
    threshold: float | None = None
    calibrated: bool | None = Field(None, description=(
        "whether the combiner's confidence counts as calibrated: fitted on at least fusion.fitting.MIN_CALIBRATION "
        "gold items; None (models fitted before it was stored): judged by figures.items"))
    figures: dict[str, Any] = Field(default_factory=dict)
    trained_on: list[str] = Field(default_factory=list, description=TRAINED_ON)
    content_hash: str = Field("", exclude=True, description="sha256 of the stored file's bytes (set on load/save)")

    _combiner: Any = PrivateAttr(None)

    def is_calibrated(self) -> bool:
        """Whether the confidence is a calibrated probability: the combiner's calibrators (inner out
        of fold) were fitted on enough gold items."""
        from linernotes.fusion.fitting import MIN_CALIBRATION

        if self.calibrated is not None:
            return self.calibrated
        return int(self.figures.get("items") or 0) >= MIN_CALIBRATION

    def uncalibrated_note(self) -> str:
        """Why the confidence is not calibrated (for a record's provenance)."""
        return uncalibrated_note(self.figures)

    def combiner(self) -> Any:
        """The validated fusion model (validated once: an item's apply must not re-parse it)."""
        from pydantic import TypeAdapter

        from linernotes.fusion.artifact import Model

        if self._combiner is None:
            self._combiner = TypeAdapter(Model).validate_python(self.model)
        return self._combiner

    def threshold_or(self, default: float) -> float:
        """The fitted review threshold; ``default`` (the spec's) when none was chosen or the
        confidence is uncalibrated (a level is only a precision on calibrated confidences)."""
        return self.threshold if self.threshold is not None and self.is_calibrated() else default

    def mismatch(self, spec: SignalSpec) -> str | None:
        """Why this model cannot score items of ``spec``, else None (raises ValidationError when the
        stored combiner is not a fusion model)."""
        if self.kind != spec.kind:
            return f"kind {self.kind!r}, the spec's is {spec.kind!r}"
        self.combiner()
        return threshold_problem(self.threshold)

    def apply_to(self, spec: SignalSpec, d: SignalDecision, evidence: dict[str, Any], item: Any = None
                 ) -> SignalDecision:
        """The combiner's value and calibrated confidence from the evidence and the LLM's answer."""
        answer = d.value if d.source == "llm" else None
        obs = signal_observation(spec, item, evidence, answer)
        if self.kind == "multilabel":
            labels, conf, _ = self.combiner().decide(obs)
            return SignalDecision(value=list(labels), confidence=round(conf, 4), source="fitted", problems=d.problems)
        z, conf = self.combiner().decide(obs)
        return SignalDecision(value=round(_from_unit(spec, z), 6), confidence=round(conf, 4), source="fitted",
                              problems=d.problems)


def gold_problem(spec: SignalSpec, golds: list[Any], tolerance: float) -> str | None:
    """Why the gold values ``golds`` (one per item with a value; a boolean's as its ids 'true' /
    'false') leave a fit of ``spec`` nothing to learn, else None. A scalar gold no wider than twice
    ``tolerance`` (the signal's units): its middle is within tolerance of every item, so 'right'
    (what the confidence is calibrated on) says nothing and the fit learns a constant answered with
    full confidence (QA session 25: tempo_feel 5.0 on all 15 items of a 0-10 signal fitted with
    exit 0, within_tol 1.0; every track was then tagged 5.0 at calibrated 0.999, auto-accepted).
    A boolean / single_label gold with fewer than two of the spec's labels: one class."""
    if spec.kind == "scalar":
        values = [float(g) for g in golds]
        if not values:
            return None
        lo, hi = min(values), max(values)
        if hi - lo <= 2 * tolerance:
            return (f"the {len(values)} items' gold spans {lo:g} to {hi:g}, no wider than twice the tolerance "
                    f"{tolerance:g}: answering {(lo + hi) / 2:g} for every item would be within tolerance of all "
                    "of them, so there is nothing to learn and no way to tell a right answer from a wrong one; "
                    f"label items across the range {spec.range[0]:g} to {spec.range[1]:g}")
    elif spec.kind in ("boolean", "single_label") and golds:
        ids = set(spec.ids)
        classes = sorted({v for g in golds if (v := str(g).lower() if isinstance(g, bool) else str(g)) in ids})
        if len(classes) < 2:
            outside = sum((str(g).lower() if isinstance(g, bool) else str(g)) not in ids for g in golds)
            return (f"gold has one class of its labels only ({classes}"
                    f"{f'; {outside} gold value(s) outside its labels' if outside else ''}); nothing to learn")
    return None


def fit_fused(spec: SignalSpec, rows: list[tuple[Any, dict[str, Any], Any, Any, str]], tolerance: float,
              uses_draft: bool, folds: int = 5, seed: int = 0) -> tuple[FusedSignalModel, list[tuple[Any, float]]]:
    """Fit a multilabel/scalar signal with the built-ins' combiner on ``rows`` = [(tagger Item,
    evidence, llm answer or None, gold, group)]; ``tolerance`` in the signal's units (scalar: what
    counts as right). Returns the model on all rows and each row's out-of-fold (value, confidence).
    ``uses_draft`` False: fitted without the LLM's answers (too few to learn a weight from)."""
    from linernotes.fusion.fitting import MIN_CALIBRATION, fit_multilabel, fit_scalar
    from linernotes.signals.answer import MAX_LABELS

    if spec.kind not in FUSED:
        raise ValueError(f"signal {spec.name}: {spec.kind} is not fitted by a built-in combiner")
    obs = [signal_observation(spec, item, ev, ans) for item, ev, ans, _, _ in rows]
    if not uses_draft:
        obs = [o.without_draft() for o in obs]
    if spec.kind == "multilabel":
        from linernotes.fusion.features import candidate_pool

        if not any(candidate_pool(o) for o in obs):
            raise ValueError(f"signal {spec.name}: no item has a candidate label (no shortlist scores"
                             f"{'' if uses_draft else ', LLM answers not used'}); nothing to learn: add "
                             "evidence: [shortlist] or tag the sample with the LLM")
    elif not any(o.prose.strip() for o in obs):
        raise ValueError(f"signal {spec.name}: the items carry no text; the scalar combiner reads text")
    if (why := gold_problem(spec, [g for *_, g, _ in rows], tolerance)) is not None:
        raise ValueError(f"signal {spec.name}: {why}")
    groups = [grp for *_, grp in rows]
    _check_enough(spec, groups, folds, seed)
    if spec.kind == "multilabel":
        gold = [sorted({str(x) for x in (g if isinstance(g, list) else [g])}) for _, _, _, g, _ in rows]
        most = max(MAX_LABELS, max((len(g) for g in gold), default=1))
        # label prior {}: a declared vocabulary has no labeled exemplar index to count labels in
        model, oof = fit_multilabel(obs, gold, groups, {}, most, folds, seed)
        values = [list(oof.values[i]) for i in range(len(rows))]
        right = [bool(set(v) & set(g)) for v, g in zip(values, gold, strict=True)]
    else:
        target = np.array([_unit(spec, float(g)) for _, _, _, g, _ in rows])
        lo, hi = spec.range or (-1.0, 1.0)
        unit_tol = 2.0 * tolerance / (hi - lo)
        model, oof = fit_scalar(obs, target, groups, unit_tol, k=folds, seed=seed)
        values = [round(_from_unit(spec, oof.values[i]), 6) for i in range(len(rows))]
        right = [abs(float(oof.values[i]) - target[i]) <= unit_tol for i in range(len(rows))]
    model.uses_draft = uses_draft
    conf = [float(oof.confidence[i]) for i in range(len(rows))]
    # the combiner's calibrators (inner out of fold) are fitted on the training rows: too few, and
    # its confidence is marked uncalibrated with no threshold, as a declared single_label's is
    calibrated = len(rows) >= MIN_CALIBRATION
    threshold, precision, coverage = review_threshold(conf, right, calibrated)
    figures = {"items": len(rows), "out_of_fold_accuracy": round(float(np.mean(right)), 4), "folds": oof.scheme,
               "uses_draft": uses_draft, "auto_accept_precision": None if precision != precision else round(precision, 4),
               "auto_accept_coverage": round(coverage, 4), "calibrated": calibrated}
    fused = FusedSignalModel(name=spec.name, kind=spec.kind, spec_hash=spec.content_hash,
                             model=model.model_dump(mode="json"), threshold=threshold, calibrated=calibrated,
                             figures=figures)
    return fused, list(zip(values, conf, strict=True))


def _check_enough(spec: SignalSpec, groups: list[Any], folds: int, seed: int) -> None:
    """Raise ValueError (naming the counts and what to do) when the built-in combiner's nested
    cross-fitting cannot run on these items: every training part of the ``folds`` outer folds is
    split again into ``INNER_FOLDS`` inner folds, so it needs at least that many items. Without
    this check sklearn's 'Cannot have number of splits n_splits=5 greater than the number of
    samples: n_samples=4' was the whole message, and lowering ``--folds`` (the obvious remedy)
    makes the training parts smaller."""
    from linernotes.fusion.crossfit import plan_folds
    from linernotes.fusion.fitting import INNER_FOLDS

    n = len(groups)
    k = max(folds, 2)  # the CLI's floor; one fold has no held-out part
    need = next(m for m in range(max(k, INNER_FOLDS), 10_000) if m - math.ceil(m / k) >= INNER_FOLDS)
    smallest = min((len(tr) for tr, _ in plan_folds(n, groups, folds, seed).folds), default=0) if n >= folds else 0
    if n < need or smallest < INNER_FOLDS:
        raise ValueError(f"signal {spec.name}: {n} gold item(s) with a value; fitting a {spec.kind} signal with "
                         f"{folds} folds needs at least {need} (each outer training part, here as small as "
                         f"{smallest}, is cross-validated again in {INNER_FOLDS} inner folds): label more items "
                         "(liner review build --signals ... --sample N)")


def _digest(blob: bytes) -> str:
    return short_digest(blob)


@dataclass(frozen=True)
class StaleModel:
    """A fitted model in the fusion folder whose spec hash is not the run's spec's: it was fitted
    on another definition of the signal, so it is not applied and the value is uncalibrated."""

    name: str
    path: str
    model_hash: str
    fitted_spec_hash: str
    spec_hash: str

    def message(self) -> str:
        return (f"signal {self.name}: the fitted model {self.path} (model {self.model_hash}) was fitted on spec "
                f"{self.fitted_spec_hash}, but --signals gives spec {self.spec_hash}; it is not applied and "
                f"{self.name}'s confidence is uncalibrated (refit: liner fit ... --signals)")

    def note(self) -> str:
        """What the record's provenance says (``uncalibrated``)."""
        return f"fitted model {self.model_hash} is for spec {self.fitted_spec_hash}, not {self.spec_hash}"


def open_models(folder: Path, specs: list[SignalSpec]) -> tuple[dict[str, Any], dict[str, StaleModel]]:
    """(``{name: SignalModel | FusedSignalModel}`` for the specs whose fitted model in
    ``folder/signals/`` has the same content hash, ``{name: StaleModel}`` for those whose model
    was fitted on another spec hash). Each model's ``content_hash`` is its file's."""
    from linernotes.fusion.artifact import MAX_FUSION_BYTES, FusionError

    models: dict[str, Any] = {}
    stale: dict[str, StaleModel] = {}
    for spec in specs:
        path = Path(folder) / "signals" / f"{spec.name}.json"
        if not path.exists():
            continue
        blob = read_regular(path, FusionError, ": a fitted signal model is a JSON file", limit=MAX_FUSION_BYTES,
                            what="a fitted signal model")
        model = _read_model(path, blob, spec)
        model.content_hash = _digest(blob)
        if model.spec_hash == spec.content_hash:
            models[spec.name] = model
        else:
            stale[spec.name] = StaleModel(name=spec.name, path=str(path), model_hash=model.content_hash,
                                          fitted_spec_hash=model.spec_hash, spec_hash=spec.content_hash)
    return models, stale


def _read_model(path: Path, blob: bytes, spec: SignalSpec) -> SignalModel | FusedSignalModel:
    """The model stored at ``path``, checked against ``spec`` when fitted on it; a truncated,
    hand-edited or mislabelled file raises ``FusionError`` naming the file before any item is
    tagged (it read 'Expecting value: line 26 column 4' without the file, '--model: Field
    required', or failed every item with a numpy shape error)."""
    from pydantic import ValidationError

    from linernotes.fusion.artifact import FusionError, error_reason

    refit = f"refit it: liner fit GOLD.yaml --signals ... -o {path.parent.parent}"
    try:
        raw = json.loads(blob)
    except (UnicodeDecodeError, json.JSONDecodeError) as e:
        where = f" at line {e.lineno} column {e.colno}" if isinstance(e, json.JSONDecodeError) else ""
        raise FusionError(f"{path}: not a fitted signal model (not JSON{where}: cut short or edited?); "
                          f"{refit}") from None
    if not isinstance(raw, dict):
        raise FusionError(f"{path}: not a fitted signal model (a JSON {type(raw).__name__}); {refit}")
    try:
        model = (FusedSignalModel if raw.get("kind") in FUSED else SignalModel).model_validate(raw)
        if model.spec_hash != spec.content_hash:
            return model  # stale: never applied, so its inside does not matter
        why = model.mismatch(spec)
    except ValidationError as e:
        err = e.errors(include_url=False)[0]
        why = error_reason(err, blob) if err["loc"] else f"model: {err['msg']}"  # an unknown key named as fusion.json's
    if why:
        raise FusionError(f"{path}: not a usable model of signal {spec.name} ({why}); {refit}")
    return model


def in_sample(models: dict[str, Any], ids: list[str]) -> dict[str, int]:
    """``{"signals.<name>": how many of ids (gold ids) its fitted model was trained on}``; models
    that saw none are left out (the built-ins' ``fusion.artifact.in_sample``, for declared signals)."""
    from linernotes.fusion.artifact import id_digest

    digests = [id_digest(i) for i in ids]
    out = {}
    for name, model in models.items():
        seen = set(model.trained_on)
        if n := sum(d in seen for d in digests):
            out[f"signals.{name}"] = n
    return out


def load_models(folder: Path, specs: list[SignalSpec]) -> dict[str, Any]:
    """``{name: SignalModel | FusedSignalModel}`` for the specs whose fitted model (same content
    hash) is in ``folder`` (``open_models`` without the stale ones)."""
    return open_models(folder, specs)[0]


def uncalibrated_note(figures: dict[str, Any]) -> str:
    """The provenance note of a fitted model whose confidence is not calibrated."""
    from linernotes.fusion.fitting import MIN_CALIBRATION

    items = figures.get("calibration_items", figures.get("items"))
    return (f"fitted on {items} gold item(s), fewer than the {MIN_CALIBRATION} a calibrator is fitted on: the "
            "confidence is the model's raw probability" if isinstance(items, int) and items < MIN_CALIBRATION
            else "the fitted model holds no calibrator (fitted before calibration was stored): refit it")


def review_threshold(conf: list[float], right: list[bool], calibrated: bool) -> tuple[float | None, float, float]:
    """(threshold, precision, coverage) of a fitted signal from its out-of-fold (confidence, right)
    pairs: the built-ins' rule (``fusion.artifact.choose_threshold`` at ``fusion.artifact.REVIEW_FLOOR``:
    auto-accepted answers >= 95% right, never one calibrated below 0.5). An uncalibrated
    confidence gets none (the spec's ``review_threshold`` routes): a level chosen on raw
    probabilities is not a probability of being right."""
    from linernotes.fusion.artifact import REVIEW_FLOOR, choose_threshold

    if not calibrated:
        return None, float("nan"), 0.0
    return choose_threshold(conf, right, floor=REVIEW_FLOOR)


def _splits(y: np.ndarray, groups: np.ndarray, folds: int, seed: int) -> list[tuple[np.ndarray, np.ndarray]]:
    """Folds of these rows: grouped (``GroupKFold``) when there are ``folds`` groups, else
    stratified by label with as many folds as the rarest label has rows; [] when no split can
    hold out anything (a label of one row and too few groups)."""
    from sklearn.model_selection import GroupKFold, StratifiedKFold

    n_groups = len(set(groups.tolist()))
    if n_groups >= folds:
        return list(GroupKFold(n_splits=folds).split(y, y, groups))
    k = min(folds, int(min(np.unique(y, return_counts=True)[1])))
    if k < 2:
        return []
    return list(StratifiedKFold(n_splits=k, shuffle=True, random_state=seed).split(y, y))


def fit_signal(spec: SignalSpec, rows: list[tuple[dict[str, Any], Any, Any, str]], folds: int = 5, seed: int = 0
               ) -> tuple[SignalModel, list[tuple[str, float] | None]]:
    """Fit on ``rows`` = [(evidence, llm answer or None, gold, group)]; returns the model on all
    rows and each row's out-of-fold (value, confidence). Raises ValueError when it cannot fit.

    The confidence is calibrated as the built-in combiners' is (``fusion.fitting``): with at least
    ``MIN_CALIBRATION`` gold items of the spec's labels, each fit (every outer fold's, and the
    final one) is cross-validated again in ``INNER_FOLDS`` inner folds on its own training rows,
    and ``fusion.estimators.calibrator`` (isotonic or Platt) maps the inner out-of-fold top-class
    probability to P(right); the final model stores its map (``SignalModel.calibration``). The
    raw logistic probability was overconfident (QA session 25: out-of-fold ECE 0.30 on a good
    gold, 0.69 on a bad one, answers auto-accepted at 'calibrated' 1.0). With fewer items there
    is no calibrator: the confidence is the raw probability, the model says it is uncalibrated
    and no review threshold is chosen. The threshold is ``review_threshold`` of the out-of-fold
    pairs."""
    from sklearn.linear_model import LogisticRegression

    from linernotes.fusion.estimators import calibrator
    from linernotes.fusion.fitting import INNER_FOLDS, MIN_CALIBRATION

    if spec.kind in FUSED:
        raise ValueError(f"signal {spec.name}: {spec.kind} signals are fitted by fit_fused (a built-in combiner)")
    if spec.kind not in FITTABLE:
        raise ValueError(f"signal {spec.name}: {spec.kind} signals are not fittable yet (only {', '.join(FITTABLE)})")
    x = np.array([features(spec, ev, ans)[1] for ev, ans, _, _ in rows], dtype=float)
    y = np.array([str(g).lower() if isinstance(g, bool) else str(g) for _, _, g, _ in rows])
    groups = np.array([grp for *_, grp in rows])
    # gold outside the spec's labels ('2010s', '1980S', a list) is never learnt as a class: the model
    # would answer it, a value the spec does not allow. Those rows are scored (out of fold, wrong).
    known = np.array([v in set(spec.ids) for v in y])
    kidx = np.flatnonzero(known)
    if (why := gold_problem(spec, [g for _, _, g, _ in rows], 0.0)) is not None:
        raise ValueError(f"signal {spec.name}: {why}")
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

    def top(m: SignalModel, i: int) -> tuple[str, float]:
        p = m.proba(x[i].tolist())
        k = int(np.argmax(p))
        return m.classes[k], float(p[k])

    def calibrated_fit(idx: np.ndarray) -> SignalModel:
        """The model on rows ``idx`` (indices into x), with the calibrator of its inner out-of-fold
        top answers when the gold is large enough (else none: see the docstring)."""
        m = train(idx)
        if not calibrate:
            return m
        pairs: list[tuple[float, bool]] = []
        for tr, te in _splits(y[idx], groups[idx], INNER_FOLDS, seed):
            if len(set(y[idx[tr]])) < 2:
                continue
            inner = train(idx[tr])
            pairs += [(p, label == y[i]) for i in idx[te] for label, p in [top(inner, int(i))]]
        if pairs:
            m.calibration = calibrator(np.array([p for p, _ in pairs]), np.array([ok for _, ok in pairs]),
                                       seed=seed)[0]
        return m

    calibrate = len(kidx) >= MIN_CALIBRATION
    yk, gk = y[kidx], groups[kidx]
    n_groups = len(set(gk))
    label, fewest = min(zip(*np.unique(yk, return_counts=True), strict=True), key=lambda lc: lc[1])
    if n_groups < folds and fewest < 2:  # else sklearn: 'k-fold cross-validation requires ... n_splits=2'
        raise ValueError(f"signal {spec.name}: {len(yk)} gold item(s) in {n_groups} group(s), and label "
                         f"{str(label)!r} has {fewest}; out-of-fold figures need {folds} groups, or 2 items of "
                         "each label: label more items (liner review build --signals ... --sample N)")
    oof: list[tuple[str, float] | None] = [None] * len(rows)

    def score(m: SignalModel, idx: Any) -> None:
        for i in idx:
            label, p = top(m, int(i))
            oof[i] = (label, p if m.calibration is None else float(m.calibration(np.array([p]))[0]))

    for tr, te in _splits(yk, gk, folds, seed):
        if len(set(yk[tr])) < 2:
            continue
        score(calibrated_fit(kidx[tr]), kidx[te])
    model = calibrated_fit(kidx)
    score(model, np.flatnonzero(~known))  # trained without them: still out of fold
    scored = [(o[1], o[0] == y[i]) for i, o in enumerate(oof) if o is not None]
    model.threshold = review_threshold([c for c, _ in scored], [ok for _, ok in scored], model.is_calibrated())[0]
    model.figures = {"items": len(rows), "out_of_fold_accuracy": round(float(np.mean([ok for _, ok in scored])), 4)
                     if scored else None, "folds": folds, "grouped": n_groups >= folds,
                     "gold_outside_labels": int((~known).sum()), "calibration_items": len(kidx),
                     "calibrated": model.is_calibrated()}
    return model, oof


def save_model(model: SignalModel | FusedSignalModel, folder: Path) -> Path:
    """Write ``FOLDER/signals/<name>.json`` and set ``model.content_hash`` to the written bytes'."""
    path = Path(folder) / "signals" / f"{model.name}.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    blob = (json.dumps(model.model_dump(mode="json"), indent=1) + "\n").encode("utf-8")
    path.write_bytes(blob)
    model.content_hash = _digest(blob)
    return path
