"""Agreement metrics over a gold set's raters or over the review store's annotators.

Which statistic runs on which data, and why:
- Krippendorff's alpha (``krippendorff`` package) only ever pairs values *within* a unit (the
  coincidence matrix), so it needs no rater identity: VADER's anonymous rating lists become a
  units × max-raters matrix padded with NaN, column = position in the list, which is valid for
  alpha and for nothing that follows a rater across items.
- Fleiss' kappa (``statsmodels``) also needs no identity but assumes the same number of ratings
  per item, so on a gold set it runs on the items with the most common rater count (reported).
- Cohen's kappa and per-annotator agreement follow a person across items, so they run only where
  identities exist: the model (one more annotator) against the gold consensus, and the review
  store's annotators, the model and the original gold against each other.
Interval values are binned onto ``BINS`` ordered categories (VADER's own -4..4 points for valence)
for the kappas, which use quadratic weights so near misses count as near.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

import krippendorff
import numpy as np
from pydantic import BaseModel, Field
from sklearn.metrics import cohen_kappa_score
from statsmodels.stats.inter_rater import fleiss_kappa

from linernotes.review.fields import FieldSpec

BINS = 9
MIN_PAIRABLE = 2


class FieldAgreement(BaseModel):
    field: str
    units: int = Field(description="items with at least two values")
    values: int
    coders: int
    alpha_interval: float | None = None
    alpha_nominal: float | None = None
    fleiss_kappa: float | None = None
    fleiss_items: int = 0
    fleiss_raters: int = 0
    note: str = ""


class PairAgreement(BaseModel):
    field: str
    a: str
    b: str
    n: int
    cohen_kappa: float | None


class AnnotatorAgreement(BaseModel):
    """One identified annotator against the leave-one-out consensus of the others."""

    field: str
    annotator: str
    n: int
    mean_distance: float = Field(description="mean FieldSpec.distance to the consensus, [0, 1]")
    cohen_kappa: float | None = Field(None, description="quadratic-weighted, interval fields only")
    quality: float = Field(description="1 - mean_distance: 1 agrees with everyone, 0 maximally off")


class AgreementReport(BaseModel):
    source: str
    fields: list[FieldAgreement] = Field(default_factory=list)
    pairs: list[PairAgreement] = Field(default_factory=list)
    annotators: list[AnnotatorAgreement] = Field(default_factory=list)
    notes: list[str] = Field(default_factory=list)


def reliability_matrix(units: list[list[float]]) -> np.ndarray:
    """Coders × units, NaN where a unit has fewer values (the layout ``krippendorff.alpha`` takes)."""
    width = max((len(u) for u in units), default=0)
    m = np.full((width, len(units)), np.nan)
    for j, values in enumerate(units):
        m[: len(values), j] = values
    return m


def alpha(matrix: np.ndarray, level: str) -> float | None:
    """Krippendorff's alpha, or None when fewer than two values are pairable or nothing varies."""
    pairable = (np.sum(~np.isnan(matrix), axis=0) >= MIN_PAIRABLE).sum() if matrix.size else 0
    if pairable == 0 or len(np.unique(matrix[~np.isnan(matrix)])) < 2:
        return None
    return float(krippendorff.alpha(reliability_data=matrix, level_of_measurement=level))


def to_bins(values: np.ndarray | list[float], spec: FieldSpec) -> np.ndarray:
    """Interval values -> 0..BINS-1 ordered categories (valence: VADER's -4..4 points)."""
    v = np.asarray(values, dtype=float)
    return np.clip(np.rint((v - spec.lo) / (spec.hi - spec.lo) * (BINS - 1)), 0, BINS - 1).astype(int)


def fleiss(units: list[list[float]], spec: FieldSpec) -> tuple[float | None, int, int]:
    """Fleiss' kappa on the units with the modal rating count: (kappa, items used, raters per item)."""
    sizes = Counter(len(u) for u in units if len(u) >= MIN_PAIRABLE)
    if not sizes:
        return None, 0, 0
    n, _ = sizes.most_common(1)[0]
    chosen = [u for u in units if len(u) == n]
    table = np.zeros((len(chosen), BINS))
    for i, u in enumerate(chosen):
        np.add.at(table[i], to_bins(u, spec), 1)
    if np.count_nonzero(table.sum(axis=0)) < 2:
        return None, len(chosen), n
    return float(fleiss_kappa(table)), len(chosen), n


def weighted_kappa(a: list[float], b: list[float], spec: FieldSpec) -> float | None:
    if len(a) < 2:
        return None
    if spec.kind == "interval":
        ba, bb = to_bins(a, spec), to_bins(b, spec)
        if len(set(ba) | set(bb)) < 2:
            return None
        return float(cohen_kappa_score(ba, bb, weights="quadratic", labels=list(range(BINS))))
    if len(set(map(str, a)) | set(map(str, b))) < 2:
        return None
    return float(cohen_kappa_score([str(x) for x in a], [str(x) for x in b]))


def field_agreement(units: list[list[Any]], spec: FieldSpec, coders: int) -> FieldAgreement:
    """Alpha (interval and nominal) and Fleiss' kappa for one field's units of values."""
    usable = [u for u in units if len(u) >= MIN_PAIRABLE]
    out = FieldAgreement(field=spec.name, units=len(usable), values=sum(len(u) for u in usable), coders=coders)
    if spec.kind == "set":
        out.note = "label sets: alpha needs a set distance (MASI) the krippendorff package lacks; see per-annotator"
        return out
    if spec.kind == "interval":
        m = reliability_matrix([[float(x) for x in u] for u in usable])
        out.alpha_interval = alpha(m, "interval")
        out.alpha_nominal = alpha(reliability_matrix([to_bins(u, spec).tolist() for u in usable]), "nominal")
        out.fleiss_kappa, out.fleiss_items, out.fleiss_raters = fleiss(usable, spec)
    else:
        codes = {v: i for i, v in enumerate(sorted({str(x) for u in usable for x in u}))}
        out.alpha_nominal = alpha(reliability_matrix([[codes[str(x)] for x in u] for u in usable]), "nominal")
    return out


def gold_agreement(rows: list[dict[str, Any]], fields: list[FieldSpec],
                   predictions: dict[str, dict[str, Any]] | None = None, source: str = "gold") -> AgreementReport:
    """Annotator agreement inside a gold set; with predictions, the model joins as an identified annotator.

    Anonymous raters (``rater:n``) get alpha and Fleiss' kappa; identified annotators (an
    ``annotators`` mapping) and the model also get Cohen's kappa and per-annotator quality.
    """
    report = AgreementReport(source=source)
    predictions = predictions or {}
    for spec in fields:
        per_item = {str(r.get("id")): spec.annotator_values(r) for r in rows}
        anonymous = [[v for k, v in vals.items() if k.startswith("rater:")] for vals in per_item.values()]
        named = {rid: {k: v for k, v in vals.items() if not k.startswith("rater:")} for rid, vals in per_item.items()}
        if any(anonymous):
            report.fields.append(field_agreement(anonymous, spec, coders=max(len(u) for u in anonymous)))
            report.notes.append(f"{spec.name}: raters are anonymous (rating lists, not people): alpha and Fleiss' "
                                "kappa only; Cohen's kappa and quality need identities (the model, named annotators)")
        if any(named.values()):
            table = {rid: {**vals, **_model_value(spec, predictions.get(rid))} for rid, vals in named.items() if vals}
            fa, pairs, people = coder_agreement(table, spec, source)
            fa.note = (fa.note + "; " if fa.note else "") + "identified annotators" + (" + model" if predictions else "")
            report.fields.append(fa)
            report.pairs += pairs
            report.annotators += people
        elif predictions:
            _model_vs_gold(report, rows, spec, predictions)
        if not any(anonymous) and not any(named.values()):
            report.notes.append(f"{spec.name}: no per-annotator values in the gold set; only the consensus")
    return report


def _model_value(spec: FieldSpec, prediction: dict[str, Any] | None) -> dict[str, Any]:
    value = spec.from_prediction(prediction)
    return {} if value is None else {"model": value}


def _model_vs_gold(report: AgreementReport, rows: list[dict[str, Any]], spec: FieldSpec,
                   predictions: dict[str, dict[str, Any]]) -> None:
    """With anonymous raters the only identified pair is the model against the gold consensus."""
    model, gold = [], []
    for r in rows:
        p = spec.from_prediction(predictions.get(str(r.get("id"))))
        g = spec.from_gold(r.get(spec.gold_key))
        if p is not None and g is not None:
            model.append(p)
            gold.append(g)
    if not model:
        return
    dist = float(np.mean([spec.distance(a, b) for a, b in zip(model, gold, strict=True)]))
    kappa = weighted_kappa(model, gold, spec)
    report.pairs.append(PairAgreement(field=spec.name, a="model", b="gold", n=len(model), cohen_kappa=kappa))
    report.annotators.append(AnnotatorAgreement(field=spec.name, annotator="model", n=len(model),
                                                mean_distance=round(dist, 6), cohen_kappa=kappa,
                                                quality=round(1 - dist, 6)))


def coder_agreement(table: dict[str, dict[str, Any]], spec: FieldSpec, source: str) -> tuple[
        FieldAgreement, list[PairAgreement], list[AnnotatorAgreement]]:
    """Agreement among identified coders; ``table[item][coder] = value`` for one field."""
    coders = sorted({c for per in table.values() for c in per})
    units = [[per[c] for c in coders if c in per] for per in table.values()]
    fa = field_agreement(units, spec, coders=len(coders))
    pairs = []
    for i, a in enumerate(coders):
        for b in coders[i + 1:]:
            shared = [(per[a], per[b]) for per in table.values() if a in per and b in per]
            if shared:
                pairs.append(PairAgreement(field=spec.name, a=a, b=b, n=len(shared),
                                           cohen_kappa=weighted_kappa([x for x, _ in shared], [y for _, y in shared],
                                                                      spec)))
    people = []
    for c in coders:
        mine, others = [], []
        for per in table.values():
            rest = [v for k, v in per.items() if k != c]
            if c in per and rest:
                mine.append(per[c])
                others.append(spec.consensus(rest))
        if mine:
            dist = float(np.mean([spec.distance(a, b) for a, b in zip(mine, others, strict=True)]))
            kappa = weighted_kappa(mine, others, spec) if spec.kind != "set" else None
            people.append(AnnotatorAgreement(field=spec.name, annotator=c, n=len(mine), mean_distance=round(dist, 6),
                                             cohen_kappa=kappa, quality=round(1 - dist, 6)))
    return fa, pairs, people


def store_agreement(store: Any) -> AgreementReport:
    """Agreement among the store's identified annotators: original gold, the model, every reviewer.

    Each reviewer's latest non-skip value per item counts once; anonymous raters are left out here
    (they are summarised by ``gold_agreement``).
    """
    report = AgreementReport(source=str(store.path))
    history = store.history()
    for spec in store.fields():
        table: dict[str, dict[str, Any]] = {}
        for s in store.list_items():
            e = store.get(s.id).entry
            per = {a.annotator: a.value for a in e.annotations
                   if a.field == spec.name and not a.annotator.startswith("rater:") and a.value is not None}
            table[s.id] = per
        for h in history:  # a None (an 'accept model' of a model without a value, saved before 0.1) is no label
            if h.new.get(spec.name) is not None and h.item_id in table:
                table[h.item_id][f"annotator:{h.annotator}"] = h.new[spec.name]
        fa, pairs, people = coder_agreement(table, spec, report.source)
        report.fields.append(fa)
        report.pairs += pairs
        report.annotators += people
    return report
