"""The monitor's statistics: how CURRENT differs from BASELINE, per signal, with the checks.

- Label shift per field: shares of each label among all labels given to ok items (an item with
  none counts as the label ``(none)``), compared with the Jensen-Shannon divergence (base 2, so
  in [0, 1]; ``scipy.spatial.distance.jensenshannon`` returns its square root, the distance) and
  a chi-square test of homogeneity on the counts (``scipy.stats.chi2_contingency``; for
  multi-label fields an approximation, as labels of one item are not independent). Top movers:
  the labels whose share moved most.
- Confidence per field: two-sample Kolmogorov-Smirnov (``scipy.stats.ks_2samp``).
- Routed share, error rate and error kinds, tokens and cost per item and per-item LLM latency
  (p50/p95) over items not served from the cache (a cache hit costs nothing and takes no time).

A check alerts when its effect size crosses its threshold and the difference is beyond sampling
noise: p < alpha (Fisher's exact test for the routed share, error rate and a new error kind), and
for the label and confidence checks also at least ``min_items`` ok items on both sides; a per-item
ratio (tokens, cost, latency p95) alerts only with at least ``min_items`` items behind it on both
sides (those it is over: not cache hits; for latency, those that called the LLM).
"""

from __future__ import annotations

import json
import math
import warnings
from collections import Counter
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from pydantic import BaseModel, Field
from scipy.spatial.distance import jensenshannon
from scipy.stats import chi2_contingency, fisher_exact, ks_2samp

from linernotes.monitor.columns import LABEL_FIELDS, VERSION_COLUMNS
from linernotes.monitor.thresholds import Thresholds
from linernotes.sinks.table import CONFIDENCE_FIELDS

NONE_LABEL = "(none)"
TOP_MOVERS = 5


class Mover(BaseModel):
    label: str
    baseline_share: float
    current_share: float

    @property
    def delta(self) -> float:
        return self.current_share - self.baseline_share


class LabelShift(BaseModel):
    field: str
    baseline_n: int
    current_n: int
    js_divergence: float | None
    p_value: float | None
    top_movers: list[Mover] = Field(default_factory=list)
    baseline_counts: dict[str, int] = Field(default_factory=dict)
    current_counts: dict[str, int] = Field(default_factory=dict)


class ConfidenceShift(BaseModel):
    field: str
    baseline_mean: float | None
    current_mean: float | None
    ks_statistic: float | None
    p_value: float | None
    baseline: list[float] = Field(default_factory=list, exclude=True)
    current: list[float] = Field(default_factory=list, exclude=True)


class Side(BaseModel):
    """One run's operating figures."""

    records: int
    ok: int
    errors: int
    error_kinds: dict[str, int]
    routed: int
    cache_hits: int
    tokens_per_item: float | None
    cost_per_item: float | None
    latency_p50_s: float | None
    latency_p95_s: float | None
    paid: int = Field(0, description="ok items not served from the cache: what tokens and cost per item are over")
    timed: int = Field(0, description="of those, the items that called the LLM: what the latency figures are over")
    # per version column (model, prompt_hash, fusion, schema_version, and each declared signal's
    # spec_hash and model_hash: ``signal_versions``): ok records per value
    versions: dict[str, dict[str, int]] = Field(default_factory=dict)

    @property
    def error_rate(self) -> float:
        return self.errors / self.records if self.records else 0.0

    @property
    def routed_share(self) -> float | None:
        return self.routed / self.ok if self.ok else None


class Check(BaseModel):
    name: str
    value: float | None
    threshold: float
    crossed: bool
    note: str = ""


class Comparison(BaseModel):
    baseline: Side
    current: Side
    labels: list[LabelShift]
    confidence: list[ConfidenceShift]
    checks: list[Check]
    # what the comparison could not do as asked (a threshold for a signal neither run holds)
    notes: list[str] = Field(default_factory=list)

    @property
    def alerts(self) -> list[Check]:
        return [c for c in self.checks if c.crossed]

    @property
    def exit_code(self) -> int:
        return 1 if self.alerts else 0


def _col(t: pa.Table, name: str) -> list[Any]:
    return t.column(name).to_pylist()


def _ok(t: pa.Table) -> pa.Table:
    return t.filter(pc.equal(t.column("status"), "ok"))


def label_counts(ok: pa.Table, field: str) -> Counter[str]:
    counts: Counter[str] = Counter()
    for v in _col(ok, field):
        if isinstance(v, list):
            counts.update([str(x) for x in v] or [NONE_LABEL])
        else:
            counts[NONE_LABEL if v is None else str(v).lower()] += 1
    return counts


SIGNAL_PREFIX = "signals."  # a declared signal's checks: signals.<name> (liner tag --signals)


def signal_values(ok: pa.Table) -> dict[str, list[tuple[Any, float | None, str]]]:
    """Declared signals of the ok rows (the ``signals_json`` column): name -> [(value, confidence,
    kind)] for the rows that hold the signal (it applies to their type); {} without the column."""
    if "signals_json" not in ok.column_names:
        return {}
    out: dict[str, list[tuple[Any, float | None, str]]] = {}
    for text in _col(ok, "signals_json"):
        for name, v in (json.loads(text) if text else {}).items():
            v = v if isinstance(v, dict) else {}
            conf, kind = v.get("confidence"), str((v.get("provenance") or {}).get("kind", ""))
            out.setdefault(name, []).append((v.get("value"), float(conf) if isinstance(conf, int | float) else None,
                                             kind))
    return out


def signal_label_counts(values: list[tuple[Any, float | None, str]]) -> Counter[str] | None:
    """Label counts of one declared signal, as ``label_counts`` counts a built-in field (true/false
    for a boolean); None for a scalar (its drift shows in its confidence, as valence's does) or a
    free text (no labels to count)."""
    if any(kind in ("scalar", "text") for *_, kind in values):
        return None
    counts: Counter[str] = Counter()
    for v, *_ in values:
        if isinstance(v, list):
            counts.update([str(x) for x in v] or [NONE_LABEL])
        else:
            counts[NONE_LABEL if v is None else str(v).lower() if isinstance(v, bool) else str(v)] += 1
    return counts


def label_shift(field: str, base: Counter[str], cur: Counter[str], n_base: int, n_cur: int) -> LabelShift:
    labels = sorted(set(base) | set(cur))
    if not labels or not sum(base.values()) or not sum(cur.values()):
        return LabelShift(field=field, baseline_n=n_base, current_n=n_cur, js_divergence=None, p_value=None)
    b = np.array([base.get(k, 0) for k in labels], dtype=float)
    c = np.array([cur.get(k, 0) for k in labels], dtype=float)
    pb, pc = b / b.sum(), c / c.sum()
    js = float(jensenshannon(pb, pc, base=2) ** 2)
    p_value = 1.0
    if len(labels) > 1:
        p_value = float(chi2_contingency(np.vstack([b, c]))[1])
    movers = sorted((Mover(label=k, baseline_share=float(x), current_share=float(y)) for k, x, y in zip(labels, pb, pc, strict=True)),
                    key=lambda m: (-abs(m.delta), m.label))[:TOP_MOVERS]
    return LabelShift(field=field, baseline_n=n_base, current_n=n_cur, js_divergence=js, p_value=p_value,
                      top_movers=movers, baseline_counts=dict(base), current_counts=dict(cur))


def field_confidences(ok: pa.Table, field: str) -> tuple[list[float], list[bool]]:
    """The ok rows' confidences of ``field`` (rows without one left out) and, per value, whether
    it is a calibrated probability (the row lists the field in ``confidence_calibrated``) or a
    hand-set score. A table written before that column existed counts every value hand-set."""
    values = _col(ok, f"confidence_{field}")
    listed = _col(ok, "confidence_calibrated") if "confidence_calibrated" in ok.column_names else [None] * len(values)
    pairs = [(float(v), field in (cal or [])) for v, cal in zip(values, listed, strict=True) if v is not None]
    return [v for v, _ in pairs], [k for _, k in pairs]


def confidence_shift(field: str, base: list[float], cur: list[float]) -> ConfidenceShift:
    if not base or not cur:
        return ConfidenceShift(field=field, baseline_mean=None, current_mean=None, ks_statistic=None, p_value=None)
    with warnings.catch_warnings():  # ties make the exact p-value fail over to the asymptotic one: expected
        warnings.simplefilter("ignore", RuntimeWarning)
        res = ks_2samp(base, cur)
    return ConfidenceShift(field=field, baseline_mean=float(np.mean(base)), current_mean=float(np.mean(cur)),
                           ks_statistic=float(res.statistic), p_value=float(res.pvalue), baseline=base, current=cur)


def side(t: pa.Table) -> Side:
    ok = _ok(t)
    status = _col(t, "status")
    kinds = Counter(k for s, k in zip(status, _col(t, "error_kind"), strict=True) if s != "ok")
    paid = [r for r in ok.select(["cache_hit", "tokens_in", "tokens_out", "cost_usd", "latency_s", "llm_calls"]).to_pylist()
            if not r["cache_hit"]]
    # latency of the items that called the LLM (fusion may decide some without a call)
    lat = [r["latency_s"] for r in paid if r["latency_s"] is not None and r["llm_calls"] != 0]
    return Side(
        records=t.num_rows, ok=ok.num_rows, errors=t.num_rows - ok.num_rows,
        error_kinds={k or "unknown": v for k, v in kinds.items()},
        routed=sum(1 for v in _col(ok, "review_routed") if v), cache_hits=sum(1 for v in _col(ok, "cache_hit") if v),
        tokens_per_item=float(np.mean([(r["tokens_in"] or 0) + (r["tokens_out"] or 0) for r in paid])) if paid else None,
        cost_per_item=float(np.mean([r["cost_usd"] or 0.0 for r in paid])) if paid else None,
        latency_p50_s=float(np.percentile(lat, 50)) if lat else None,
        latency_p95_s=float(np.percentile(lat, 95)) if lat else None,
        paid=len(paid), timed=len(lat),
        versions={**{c: dict(Counter(str(v) for v in _col(ok, c) if v is not None)) for c in VERSION_COLUMNS
                     if c in ok.column_names}, **signal_versions(ok)},
    )


def signal_versions(ok: pa.Table) -> dict[str, dict[str, int]]:
    """What decided each declared signal, as version columns: ``signals.<name> spec_hash`` (the spec's
    content hash) and ``signals.<name> model_hash`` (the fitted model's, ``none`` without one), ok
    rows per value, over the rows that hold the signal. A spec edited or a signal model refitted,
    added or dropped between two runs moves the signal's labels as a new model does, and the
    built-in ``fusion`` hash does not show it (a signals-only fit leaves it as it was)."""
    if "signals_json" not in ok.column_names:
        return {}
    out: dict[str, Counter[str]] = {}
    for text in _col(ok, "signals_json"):
        for name, v in (json.loads(text) if text else {}).items():
            prov = (v.get("provenance") if isinstance(v, dict) else None) or {}
            for key, default in (("spec_hash", None), ("model_hash", "none")):
                value = prov.get(key, default)
                if value is not None:
                    out.setdefault(f"{SIGNAL_PREFIX}{name} {key}", Counter())[str(value)] += 1
    return {k: dict(v) for k, v in sorted(out.items())}


def version_notes(b: Side, c: Side) -> list[str]:
    """One line per version column that a run mixes, or that differs between the runs."""
    out = []
    signal_cols = sorted((set(b.versions) | set(c.versions)) - set(VERSION_COLUMNS))  # signal_versions' keys
    for col in (*VERSION_COLUMNS, *signal_cols):
        bv, cv = b.versions.get(col, {}), c.versions.get(col, {})
        for name, v in (("baseline", bv), ("current", cv)):
            if len(v) > 1:
                shown = ", ".join(f"{k} ({n})" for k, n in sorted(v.items(), key=lambda kv: -kv[1]))
                out.append(f"the {name} run mixes {len(v)} values of {col}: {shown}")
        if bv and cv and len(bv) == len(cv) == 1 and bv.keys() != cv.keys():
            out.append(f"{col} changed: {next(iter(bv))} -> {next(iter(cv))}")
    return out


def _ratio_check(name: str, base: float | None, cur: float | None, limit: float, counts: tuple[int, int],
                 min_items: int) -> Check:
    """CUR / BASE against ``limit``; ``counts``: the items each figure is over. Below ``min_items``
    on a side the ratio is reported, never alerted (the label and confidence checks' rule): the
    one paid item of a quiet window made 'tokens per item 3.0 > 1.5' page."""
    if base is None or cur is None or base <= 0:
        return Check(name=name, value=None, threshold=limit, crossed=False, note="not measurable on both runs")
    r = cur / base
    if min(counts) < min_items:
        return Check(name=name, value=r, threshold=limit, crossed=False,
                     note=f"fewer than {min_items} items on a side ({counts[0]}, {counts[1]}): reported, not alerted")
    return Check(name=name, value=r, threshold=limit, crossed=r > limit)


def _note(p_value: float | None, small: str) -> str:
    return small or (f"p={p_value:.2g}" if p_value is not None else "")


def _label_check(s: LabelShift, th: Thresholds, enough: bool, small: str) -> Check:
    limit = th.label(s.field)
    crossed = enough and s.js_divergence is not None and s.js_divergence > limit and (s.p_value or 1) < th.alpha
    return Check(name=f"label shift: {s.field} (JS divergence)", value=s.js_divergence, threshold=limit,
                 crossed=crossed, note=_note(s.p_value, small))


def _conf_check(s: ConfidenceShift, th: Thresholds, enough: bool, small: str) -> Check:
    limit = th.conf(s.field)
    crossed = enough and s.ks_statistic is not None and s.ks_statistic > limit and (s.p_value or 1) < th.alpha
    return Check(name=f"confidence: {s.field} (KS statistic)", value=s.ks_statistic, threshold=limit,
                 crossed=crossed, note=_note(s.p_value, small))


def _signal_sample(field: str, n_base: int, n_cur: int, min_items: int) -> tuple[bool, str]:
    """Whether a declared signal's shifts may alert, and the note when not: it is held only by the
    items its ``applies_to`` covers, so 40 ok items of which 8 tracks hold it alerted on those 8
    (the run-wide ``min_items`` counted every ok item), and a signal one run was not tagged with
    read 'n/a' without a word."""
    if not n_base or not n_cur:
        run = "baseline" if not n_base else "current run"
        return False, f"no item of the {run} holds {field} (tagged without its --signals spec?)"
    if n_base < min_items or n_cur < min_items:
        return False, f"fewer than {min_items} items hold it on a side ({n_base}, {n_cur}): reported, not alerted"
    return True, ""


def share_p_value(base: tuple[int, int], cur: tuple[int, int]) -> float:
    """Two-sided p-value of Fisher's exact test that ``k/n`` of BASE and of CUR are one share
    (``scipy.stats.fisher_exact`` on the 2x2 table; exact, so it holds for a run of 1 item)."""
    (kb, nb), (kc, nc) = base, cur
    if not nb or not nc:
        return 1.0
    return float(fisher_exact([[kb, nb - kb], [kc, nc - kc]]).pvalue)


def _significance(p: float, alpha: float) -> str:
    return f"p={p:.2g}" if p < alpha else f"p={p:.2g}: within sampling noise, reported, not alerted"


def _share_check(name: str, base: tuple[int, int], cur: tuple[int, int], delta: float, alpha: float) -> Check:
    """|share of CUR - share of BASE| against ``delta``; it alerts only when the shares also differ
    beyond sampling noise (p < alpha), as the label checks do: a 1-item run (routed share 0 vs
    0.125 of 8, or its one error against a clean baseline of 8) paged as a crossed threshold."""
    d = abs(cur[0] / cur[1] - base[0] / base[1]) if base[1] and cur[1] else 0.0
    p = share_p_value(base, cur)
    return Check(name=name, value=d, threshold=delta, crossed=d > delta and p < alpha,
                 note=_significance(p, alpha) if d > delta else "")


def compare(baseline: pa.Table, current: pa.Table, th: Thresholds) -> Comparison:
    """All statistics and checks of CURRENT against BASELINE (tables of the sinks' schema)."""
    bo, co = _ok(baseline), _ok(current)
    enough = bo.num_rows >= th.min_items and co.num_rows >= th.min_items
    small = "" if enough else f"fewer than {th.min_items} ok items on a side: reported, not alerted"
    checks: list[Check] = []
    labels = []
    for f in LABEL_FIELDS:
        s = label_shift(f, label_counts(bo, f), label_counts(co, f), bo.num_rows, co.num_rows)
        labels.append(s)
        checks.append(_label_check(s, th, enough, small))
    confs = []
    for f in CONFIDENCE_FIELDS:
        (bv, bk), (cv, ck) = field_confidences(bo, f), field_confidences(co, f)
        if any(bk) or any(ck):
            # a fitted combiner decides this field on some rows: its calibrated probabilities are
            # compared with each other, and how many rows got a hand-set score instead is its own
            # check (a catalog with more long texts moves that share, not the combiner's confidence)
            s = confidence_shift(f, [v for v, k in zip(bv, bk, strict=True) if k],
                                 [v for v, k in zip(cv, ck, strict=True) if k])
            confs.append(s)
            checks.append(_conf_check(s, th, enough, small))
            checks.append(_share_check(f"confidence: {f} hand-set share (abs. change)",
                                       (bk.count(False), len(bk)), (ck.count(False), len(ck)),
                                       th.hand_set_share_delta, th.alpha))
        else:
            s = confidence_shift(f, bv, cv)
            confs.append(s)
            checks.append(_conf_check(s, th, enough, small))
    bs, cs = signal_values(bo), signal_values(co)
    notes = unused_signal_thresholds(th, {f"{SIGNAL_PREFIX}{n}" for n in (*bs, *cs)})
    for name in sorted(set(bs) | set(cs)):  # declared signals, checked like the built-in fields
        f, bv, cv = f"{SIGNAL_PREFIX}{name}", bs.get(name, []), cs.get(name, [])
        held, why = _signal_sample(f, len(bv), len(cv), th.min_items)
        bc, cc = signal_label_counts(bv), signal_label_counts(cv)
        if bc is not None and cc is not None:
            labels.append(label_shift(f, bc, cc, len(bv), len(cv)))
            checks.append(_label_check(labels[-1], th, held, why))
        confs.append(confidence_shift(f, [x for _, x, _ in bv if x is not None], [x for _, x, _ in cv if x is not None]))
        checks.append(_conf_check(confs[-1], th, held, why))
    b, c = side(baseline), side(current)
    if b.routed_share is not None and c.routed_share is not None:
        checks.append(_share_check("routed share (abs. change)", (b.routed, b.ok), (c.routed, c.ok),
                                   th.routed_share_delta, th.alpha))
    checks.append(_share_check("error rate (abs. change)", (b.errors, b.records), (c.errors, c.records),
                               th.error_rate_delta, th.alpha))
    for kind, n in sorted(c.error_kinds.items()):
        share = n / c.records
        if kind not in b.error_kinds and share >= th.new_error_kind_share:
            p = share_p_value((0, b.records), (n, c.records))
            checks.append(Check(name=f"new error kind: {kind}", value=share, threshold=th.new_error_kind_share,
                                crossed=p < th.alpha, note=_significance(p, th.alpha)))
    paid, timed = (b.paid, c.paid), (b.timed, c.timed)
    checks.append(_ratio_check("tokens per item (ratio)", b.tokens_per_item, c.tokens_per_item, th.tokens_per_item_ratio,
                               paid, th.min_items))
    checks.append(_ratio_check("cost per item (ratio)", b.cost_per_item, c.cost_per_item, th.cost_per_item_ratio,
                               paid, th.min_items))
    lat = _ratio_check("LLM latency p95 (ratio)", b.latency_p95_s, c.latency_p95_s, th.latency_p95_ratio,
                       timed, th.min_items)
    if lat.crossed and (c.latency_p95_s or 0) - (b.latency_p95_s or 0) < th.latency_p95_min_delta_s:
        lat = lat.model_copy(update={"crossed": False, "note": f"less than {th.latency_p95_min_delta_s} s slower"})
    checks.append(lat)
    for ch in checks:
        if ch.value is not None and not math.isfinite(ch.value):
            ch.value = None
    return Comparison(baseline=b, current=c, labels=labels, confidence=confs, checks=checks, notes=notes)


def unused_signal_thresholds(th: Thresholds, held: set[str]) -> list[str]:
    """One note per ``signals.<name>`` threshold that names a signal neither run holds: the file
    cannot be checked for it when read (the runs name the signals), and a misspelt name kept the
    default threshold without a word."""
    kinds: dict[str, list[str]] = {}
    for kind, table in (("labels", th.labels), ("confidence", th.confidence)):
        for key in table:
            if key.startswith(SIGNAL_PREFIX) and key not in held:
                kinds.setdefault(key, []).append(kind)
    shown = ", ".join(sorted(held)) or "none"
    return [f"thresholds name {key} ({', '.join(k)}), which neither run holds (their declared signals: {shown}): "
            "a misspelt name keeps the default threshold" for key, k in sorted(kinds.items())]
