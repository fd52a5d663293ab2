"""Turn a RunRecord's items (gold + prediction) into metrics with bootstrap intervals.

Scoring reads only the record, so an old run can be re-scored and two runs compared item by
item. Error items are scored as empty predictions (no genres, neutral valence, no flag) AND
counted in ``failures``: a crash never makes a metric look better by shrinking its denominator.
"""

from __future__ import annotations

import contextlib
import gc
import math
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np

from linernotes.evals.bootstrap import Estimate, bootstrap, group_codes, paired_bootstrap
from linernotes.evals.clean import clean_key, cluster_keys
from linernotes.evals.gold import signal_gold
from linernotes.evals.metrics.baselines import baseline_predictions, label_prior_for, predicted_category
from linernotes.evals.metrics.calibration import (
    RISK_THRESHOLDS,
    ece_by_answer,
    hand_set_share,
    risk_coverage,
    score_calibration,
)
from linernotes.evals.metrics.core import Scored
from linernotes.evals.metrics.false_flags import score_false_flags
from linernotes.evals.metrics.multilabel import score_multilabel
from linernotes.evals.metrics.retrieval import score_retrieval
from linernotes.evals.metrics.singlelabel import score_flag_recall, score_singlelabel
from linernotes.evals.metrics.text import score_text
from linernotes.evals.metrics.usage import score_usage
from linernotes.evals.metrics.valence import score_valence
from linernotes.evals.record import ItemResult, MetricValue, RunRecord
from linernotes.evals.spec import TaskSpec
from linernotes.schema import Confidence, Review, Usage
from linernotes.signals.builtin import field_for_task

CORRECTNESS = {"multilabel": "precise", "valence": "within_tol", "policy": "correct", "single_label": "correct",
               "boolean": "correct", "scalar": "within_tol", "text": "exact_match"}


@dataclass
class JudgeScores:
    """LLM-judged faithfulness per item (None = not judged), and why items were not judged."""

    scores: list[float | None]
    failures: dict[str, int]
    judge: str
    usage: Usage | None = None  # the judge's calls, tokens and cost (failed attempts included)


def _ancestors(taxonomy: str | None):
    if not taxonomy:
        return None
    from linernotes.tools.retrieval.taxonomy import load_taxonomy

    tax = load_taxonomy(taxonomy)
    cache: dict[str, list[str]] = {}

    def anc(i: str) -> list[str]:
        if i not in cache:
            cache[i] = tax.ancestors(i) if i in tax else []
        return cache[i]
    return anc


GOLD_ONLY = ("human_", "raters_alpha")  # figures of the gold raters, the same for every predictor
BASELINE_PREFIX = "baseline."
# the metrics shown for record vs baseline, and whether higher is better
HEADLINE = {"multilabel": {"micro_f1": True, "macro_f1": True, "hier_f1": True},
            "valence": {"pearson": True, "mae": False, "within_tol": True},
            "policy": {"accuracy": True, "macro_f1": True, "flag_recall": True},
            "single_label": {"accuracy": True, "macro_f1": True},
            "boolean": {"accuracy": True, "macro_f1": True},
            "scalar": {"pearson": True, "mae": False, "within_tol": True},
            "text": {"exact_match": True, "token_f1": True}}


def signal_value(pred: dict[str, Any] | None, name: str) -> Any:
    """A declared signal's value in a prediction (None: error item or no value)."""
    return (((pred or {}).get("signals") or {}).get(name) or {}).get("value")


def _label(v: Any) -> str:
    """A single-label/boolean prediction as the class it is scored as: ``true``/``false`` for booleans."""
    return str(v).lower() if isinstance(v, bool) else str(v)


def signal_quality(task: TaskSpec, golds: list[Any], preds: list[dict[str, Any] | None]) -> Scored:
    """Metrics of a declared signal's task, by kind: multilabel as genres are scored (F1s, no
    hierarchy), single_label/boolean as policy categories (accuracy, macro-F1), scalar as valence
    (Pearson, MAE, within ``tolerance``), plus ``<task>.coverage``: the share of gold items whose
    record has a value. A missing value (no prediction, no value for the signal) is never a
    number: it counts against accuracy, within_tol and recall as wrong, is left out of Pearson
    and MAE (there is no error to measure), and is no predicted class of its own."""
    from linernotes.evals.metrics.core import ratio_stat

    values = [signal_value(p, task.signal or task.name) for p in preds]
    has_gold = np.array([g is not None for g in golds], dtype=float)
    if task.kind == "scalar":
        present = [isinstance(v, int | float) and not isinstance(v, bool) and np.isfinite(v) for v in values]
    elif task.kind == "multilabel":
        present = [isinstance(v, list) for v in values]
    else:
        present = [v is not None and v != "" for v in values]
    covered = np.array(present, dtype=float) * has_gold
    if task.kind == "multilabel":
        out = score_multilabel(task.name, golds, [list(v) if ok else [] for v, ok in zip(values, present, strict=True)],
                               None)
    elif task.kind == "scalar":
        # moments over the items with a value; within_tol over every gold item (missing = not within)
        answered = [g if ok else None for g, ok in zip(golds, present, strict=True)]
        nums = [float(v) if ok else 0.0 for v, ok in zip(values, present, strict=True)]
        out = score_valence(task.name, answered, nums, [None] * len(golds), task.tolerance)
        ok_all = np.array([float(w) if w is not None else 0.0 for w in out.item_scores[f"{task.name}.within_tol"]])
        out.stats[f"{task.name}.within_tol"] = ratio_stat(ok_all, has_gold)
        out.n[f"{task.name}.within_tol"] = int(has_gold.sum())
        out.item_scores[f"{task.name}.within_tol"] = [None if not g else float(w)
                                                      for g, w in zip(has_gold, ok_all, strict=True)]
    elif task.kind == "text":
        out = score_text(task.name, [None if g is None else signal_gold("text", g) for g in golds],
                         [str(v) if ok else None for v, ok in zip(values, present, strict=True)])
    else:
        shown = [_label(v) if ok else None for v, ok in zip(values, present, strict=True)]
        # gold as liner eval reads it (evals.gold.signal_gold): a run record's gold may hold JSON true
        # next to "false" (hand-made or older), and the class list is sorted (bool beside str: TypeError)
        out = score_singlelabel(task.name, [None if g is None else signal_gold(task.kind, g) for g in golds], shown)
    out.stats[f"{task.name}.coverage"] = ratio_stat(covered, has_gold)
    out.n[f"{task.name}.coverage"] = int(has_gold.sum())
    return out


def quality_scores(task: TaskSpec, items: list[ItemResult], preds: list[dict[str, Any] | None]) -> Scored:
    """The task's quality metrics for one prediction per item (None = error item, scored empty)."""
    out = Scored()
    golds = [it.gold.get(task.name) for it in items]
    if task.signal is not None:
        return out.merge(signal_quality(task, golds, preds))
    if task.kind == "multilabel":
        labels = [list((p or {}).get("genres") or []) for p in preds]
        out.merge(score_multilabel(task.name, golds, labels, _ancestors(task.taxonomy)))
    elif task.kind == "valence":
        values = [float((p or {}).get("valence") or 0.0) for p in preds]
        ratings = [it.gold.get(f"{task.name}_ratings") for it in items]
        out.merge(score_valence(task.name, golds, values, ratings, task.tolerance))
    else:
        cats = [predicted_category(p, task) for p in preds]
        out.merge(score_singlelabel(task.name, golds, [c for c, _ in cats]))
        out.merge(score_flag_recall(task.name, golds, [f for _, f in cats], task.none_label))
    return out


def task_scores(task: TaskSpec, items: list[ItemResult], threshold: float = 0.5) -> Scored:
    """``threshold``: the run's review threshold. A field counts as auto-accepted as route decided
    it for that field: its confidence reaches the level the record names (``accept_level``,
    ``signal_accept_level``) and no review reason names the field (``Review.fields_in``). Per
    field, not per item: an item as a whole is routed if any review field falls short, so on a
    valence-only gold set item-level routing would say nothing about valence."""
    preds = [it.prediction for it in items]
    out = quality_scores(task, items, preds)
    if task.kind == "multilabel" and task.signal is None:
        golds = [it.gold.get(task.name) for it in items]
        shortlists = [[c["id"] for c in ((p or {}).get("evidence") or {}).get("genres") or []] for p in preds]
        out.merge(score_retrieval(task.name, golds, shortlists))
    correct = out.item_scores[f"{task.name}.{CORRECTNESS[task.kind]}"]
    if task.signal is not None:
        # an item left without a value has no confidence to calibrate (and is never auto-accepted):
        # scored as conf 0 / wrong it made a signal that decided nothing look perfectly calibrated
        field_conf = [None if signal_value(p, task.signal) in (None, [], "") else
                      float(((p.get("signals") or {}).get(task.signal) or {}).get("confidence") or 0.0) for p in preds]
    else:
        field = field_for_task(task.kind)  # a built-in task's confidence is its field's
        field_conf = [None if p is None else float((p.get("confidence") or {}).get(field, 0.0)) for p in preds]
    conf = [None if c is None else f for f, c in zip(field_conf, correct, strict=True)]
    if task.signal is not None:
        limits = [None if p is None else signal_accept_level(p, task.signal, threshold) for p in preds]
    else:
        limits = [None if p is None else accept_level(p, field, threshold) for p in preds]
    # auto-accepted: the decision route made, not the confidence alone: a reason of the record may
    # send the field to a person whatever its confidence (a policy flag read in one passage of a
    # long text, a text too long to read, a flag of high severity), and such a field was counted
    # as accepted (QA: 3 of 4 long requests at a hand-set 0.9 'auto-accepted', 2 of them routed)
    name = f"signals.{task.signal}" if task.signal is not None else field
    accepted = [None if f is None else f >= t and name not in Review.fields_in(p.get("review"))
                for f, t, p in zip(field_conf, limits, preds, strict=True)]
    out.merge(score_calibration(task.name, conf, correct, accepted))
    if task.kind == "policy" and task.signal is None:
        flagged = [None if p is None else predicted_category(p, task)[1] for p in preds]
        out.extras[f"{task.name}.ece_by_answer"] = ece_by_answer(conf, correct, flagged)
        sources = [it.gold.get(clean_key(task.name)) for it in items]
        if any(s is not None for s in sources):  # the spec's clean texts (spec clean:, evals.clean)
            out.merge(score_false_flags(task.name, sources, flagged, conf, correct, field_conf))
    if task.signal is None:  # a built-in field's record lists the fields a fitted combiner decided
        calibrated = [None if p is None else field in Confidence.calibrated_in(p.get("confidence")) for p in preds]
        if (mixed := hand_set_share(conf, correct, calibrated, accepted)) is not None:
            out.extras[f"{task.name}.hand_set"] = mixed
    # the grid plus the levels the run auto-accepted at, so its operating points are rows
    used = {round(float(t), 4) for t in limits if t is not None and t > 0}
    out.extras[f"{task.name}.risk_coverage"] = risk_coverage(
        conf, correct, tuple(sorted(set(RISK_THRESHOLDS) | used)))
    return out


def signal_accept_level(pred: dict[str, Any], signal: str, review_threshold: float) -> float:
    """The confidence a declared ``signal`` needed to be auto-accepted, as the signals node decided
    it: the threshold its record names (``provenance.threshold``: a fitted model's, else the spec's
    ``review_threshold``), else the run's ``review_threshold`` (a record written without one)."""
    value = ((pred.get("signals") or {}).get(signal) or {})
    limit = (value.get("provenance") or {}).get("threshold") if isinstance(value, dict) else None
    ok = isinstance(limit, int | float) and not isinstance(limit, bool) and math.isfinite(limit)
    return float(limit) if ok else review_threshold


def accept_level(pred: dict[str, Any], field: str, review_threshold: float) -> float:
    """The confidence at which the record's ``field`` was auto-accepted, as route decided it
    (``agents.fields.low_confidence``): the threshold the record's ``confidence.thresholds`` names
    for a calibrated field (the fusion artifact's, per answer), 0.0 for a calibrated field without
    one (advisory: never routed), the run's ``review_threshold`` for a hand-set confidence."""
    conf = pred.get("confidence") or {}
    limits = conf.get("thresholds") or {}
    if field in limits:
        return float(limits[field])
    return 0.0 if field in Confidence.calibrated_in(conf) else review_threshold


def baseline_scores(task: TaskSpec, items: list[ItemResult], label_prior: dict[str, list[str]] | None
                    ) -> tuple[dict[str, Scored], dict[str, str]]:
    """{baseline: its quality Scored (metric names as the record's)} and {baseline: why skipped}."""
    preds, skipped = baseline_predictions(task, items, label_prior)
    out = {}
    for name, p in preds.items():
        q = quality_scores(task, items, p)
        out[name] = Scored(stats={k: v for k, v in q.stats.items() if not _gold_only(task, k)},
                           n={k: v for k, v in q.n.items() if not _gold_only(task, k)})
    return out, skipped


def _gold_only(task: TaskSpec, name: str) -> bool:
    return name.removeprefix(f"{task.name}.").startswith(GOLD_ONLY)


def unresolved(pred: dict[str, Any] | None) -> bool:
    """An ok item whose draft still failed verification after the re-asks (fields dropped)."""
    reasons = ((pred or {}).get("review") or {}).get("reasons") or []
    return any(str(r).startswith("unresolved") for r in reasons)


def usage_scores(items: list[ItemResult]) -> Scored:
    from linernotes.evals.metrics.core import ratio_stat

    prov = [((it.prediction or {}).get("provenance") or {}) if it.prediction else None for it in items]
    out = Scored()
    ok = np.array([it.prediction is not None for it in items], dtype=float)
    if ok.sum():
        bad = np.array([unresolved(it.prediction) for it in items], dtype=float) * ok
        out.stats["run.validation_failure_rate"] = ratio_stat(bad, ok)
        out.n["run.validation_failure_rate"] = int(ok.sum())
    return out.merge(score_usage(
        failed=[it.status != "ok" for it in items],
        latency=[None if p is None else float(p.get("latency_s", 0.0)) for p in prov],
        tokens_in=[None if p is None else int(p.get("tokens_in", 0)) for p in prov],
        tokens_out=[None if p is None else int(p.get("tokens_out", 0)) for p in prov],
        cost=[None if p is None or p.get("cost_usd", 0.0) is None else float(p.get("cost_usd", 0.0))
              for p in prov],
        cache_hit=[None if p is None else bool(p.get("cache_hit", False)) for p in prov]))


def judge_stats(judge: JudgeScores) -> Scored:
    from linernotes.evals.metrics.core import ratio_stat

    out = Scored()
    s = judge.scores
    member = np.array([x is not None for x in s], dtype=float)
    if member.sum():
        out.stats["rationale.faithfulness"] = ratio_stat(np.array([x or 0.0 for x in s]), member)
        out.n["rationale.faithfulness"] = int(member.sum())
    out.item_scores["rationale.faithfulness"] = list(s)
    return out


def build_scored(record: RunRecord, judge: JudgeScores | None = None, baselines: bool = True) -> Scored:
    """Every metric of the record, plus each evidence-only baseline's quality metrics under
    ``baseline.<name>.<metric>`` (``baselines=False`` leaves them out)."""
    tasks = [TaskSpec.model_validate(t) for t in record.tasks]
    scored = Scored()
    threshold = float(record.config.get("review_threshold", 0.5))
    for task in tasks:
        scored.merge(task_scores(task, record.items, threshold))
    scored.merge(usage_scores(record.items))
    if judge is not None:
        scored.merge(judge_stats(judge))
    if baselines:
        scored.merge(all_baselines(record, tasks))
    return scored


def all_baselines(record: RunRecord, tasks: list[TaskSpec]) -> Scored:
    out = Scored()
    skipped: dict[str, str] = {}
    for task in tasks:
        prior = None
        if task.signal is not None:
            per, skip = signal_baselines(task, record.items)
            skipped.update({f"{task.name}:{k}": v for k, v in skip.items()})
            for name, sc in per.items():
                out.stats.update({f"{BASELINE_PREFIX}{name}.{k}": v for k, v in sc.stats.items()})
                out.n.update({f"{BASELINE_PREFIX}{name}.{k}": v for k, v in sc.n.items()})
            continue
        if task.kind == "multilabel":
            if record.exemplars is not None and record.exemplars.task == task.name:
                prior, why = label_prior_for(record)
            else:
                why = "the spec gives no exemplar items"
            if prior is None:
                skipped[f"{task.name}:label_prior"] = why
        per, skip = baseline_scores(task, record.items, prior)
        skipped.update({f"{task.name}:{k}": v for k, v in skip.items()})
        for name, sc in per.items():
            out.stats.update({f"{BASELINE_PREFIX}{name}.{k}": v for k, v in sc.stats.items()})
            out.n.update({f"{BASELINE_PREFIX}{name}.{k}": v for k, v in sc.n.items()})
    out.extras["baselines"] = {"skipped": skipped}
    return out


def signal_baselines(task: TaskSpec, items: list[ItemResult]) -> tuple[dict[str, Scored], dict[str, str]]:
    """A declared signal's evidence-only baseline: the best entry of its shortlist (vocabulary
    signals with ``evidence: [shortlist]``); skipped, with the reason, otherwise."""
    name = task.signal or task.name
    evid = [None if it.prediction is None else ((((it.prediction.get("signals") or {}).get(name) or {})
                                                 .get("evidence")) or {}) for it in items]
    if task.kind not in ("multilabel", "single_label") or not any((e or {}).get("shortlist") for e in evid):
        return {}, {"shortlist_top1": "the signal has no shortlist evidence"}
    preds: list[dict[str, Any] | None] = []
    for e in evid:
        if e is None:
            preds.append(None)
            continue
        top = [c["id"] for c in (e.get("shortlist") or [])[:1]]
        preds.append({"signals": {name: {"value": top if task.kind == "multilabel" else (top or [None])[0]}}})
    golds = [it.gold.get(task.name) for it in items]
    q = signal_quality(task, golds, preds)
    return {"shortlist_top1": Scored(stats=q.stats, n=q.n)}, {}


def baseline_pairs(scored: Scored, metrics: set[str] | None = None) -> dict[str, dict[str, str]]:
    """{baseline name: {record metric: baseline metric name}} for the metrics both have."""
    out: dict[str, dict[str, str]] = {}
    for name in scored.stats:
        if not name.startswith(BASELINE_PREFIX):
            continue
        base, metric = name[len(BASELINE_PREFIX):].split(".", 1)
        if metric in scored.stats and (metrics is None or metric in metrics):
            out.setdefault(base, {})[metric] = name
    return out


def headline_metrics(tasks: list[TaskSpec]) -> dict[str, bool]:
    return {f"{t.name}.{m}": higher for t in tasks for m, higher in HEADLINE[t.kind].items()}


def compare_with_baselines(scored: Scored, codes: np.ndarray, metrics: set[str], resamples: int, seed: int,
                           confidence: float = 0.95) -> dict[str, dict[str, Estimate]]:
    """{metric: {baseline: paired Estimate of record minus baseline}} on the same items and
    resampled clusters (samples kept, for the gate's one-sided bounds)."""
    out: dict[str, dict[str, Estimate]] = {}
    for base, names in baseline_pairs(scored, metrics).items():
        diffs = paired_bootstrap({m: scored.stats[b] for m, b in names.items()},
                                 {m: scored.stats[m] for m in names}, codes, resamples, seed, confidence)
        for m, d in diffs.items():
            out.setdefault(m, {})[base] = d
    return out


def comparison_rows(scored: Scored, tasks: list[TaskSpec], codes: np.ndarray, resamples: int, seed: int,
                    confidence: float) -> list[dict[str, Any]]:
    """The report's record-vs-baseline rows for the headline metrics."""
    head = headline_metrics(tasks)
    rows = []
    for metric, per in compare_with_baselines(scored, codes, set(head), resamples, seed, confidence).items():
        rec = scored.stats[metric].point()
        for base, d in sorted(per.items()):
            b = scored.stats[f"{BASELINE_PREFIX}{base}.{metric}"].point()
            rows.append({"metric": metric, "higher_is_better": head[metric], "baseline": base,
                         "record_value": _r(rec), "baseline_value": _r(b), "diff": _r(d.value),
                         "ci_low": _r(d.ci_low), "ci_high": _r(d.ci_high), "ci_method": d.method})
    return sorted(rows, key=lambda r: (r["metric"], r["baseline"]))


def _r(x: float | None) -> float | None:
    return None if x is None or not np.isfinite(x) else round(float(x), 6)


@contextlib.contextmanager
def gc_paused() -> Iterator[None]:
    """Scoring allocates millions of small acyclic objects at 100k items; the cyclic collector
    rescanned the whole heap over and over (40% of the time) while finding nothing to free."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def score_record(record: RunRecord, seed: int = 0, resamples: int = 1000, judge: JudgeScores | None = None,
                 confidence: float = 0.95) -> RunRecord:
    """Fill metrics, per-item scores, plot data and failure counts (returns a new record)."""
    return score_with_stats(record, seed, resamples, judge, confidence)[0]


def score_with_stats(record: RunRecord, seed: int = 0, resamples: int = 1000, judge: JudgeScores | None = None,
                     confidence: float = 0.95) -> tuple[RunRecord, Scored]:
    """``score_record`` plus the statistics it bootstrapped (the gate pairs them across runs)."""
    with gc_paused():
        return _score_record(record, seed, resamples, judge, confidence)


def _score_record(record: RunRecord, seed: int, resamples: int, judge: JudgeScores | None,
                  confidence: float) -> tuple[RunRecord, Scored]:
    items = record.items
    scored = build_scored(record, judge)
    codes = group_codes(cluster_keys(record), [it.id for it in items])
    est = bootstrap(scored.stats, codes, resamples, seed, confidence)
    metrics = {}
    scored.extras.setdefault("skipped", {}).update(scored.skipped)
    for name in sorted(est):
        e = est[name]
        if not np.isfinite(e.value):
            scored.extras.setdefault("skipped", {})[name] = "no items to compute it on"
            continue
        metrics[name] = MetricValue(value=round(e.value, 6), ci_low=None if e.ci_low is None else round(e.ci_low, 6),
                                    ci_high=None if e.ci_high is None else round(e.ci_high, 6), n=scored.n.get(name, 0),
                                    ci_method=e.method, clusters=e.clusters)
        if e.method != "clusters":
            scored.extras.setdefault("interval_notes", {})[name] = e.note
    failures: dict[str, int] = {}
    for it in items:
        if it.status != "ok":
            kind = str((it.error or {}).get("kind", "unknown"))
            failures[kind] = failures.get(kind, 0) + 1
    if judge is not None:
        for k, v in judge.failures.items():
            failures[f"judge.{k}"] = failures.get(f"judge.{k}", 0) + v
    else:
        scored.extras.setdefault("skipped", {})["rationale.faithfulness"] = "no --judge model given"
    new_items = []
    for i, it in enumerate(items):
        s = {k: round(float(v[i]), 6) for k, v in scored.item_scores.items() if v[i] is not None}
        new_items.append(it.model_copy(update={"scores": s}))
    tasks = [TaskSpec.model_validate(t) for t in record.tasks]
    scored.extras.setdefault("baselines", {})["comparison"] = comparison_rows(scored, tasks, codes, resamples, seed,
                                                                              confidence)
    extras = {**record.extras, **scored.extras, "bootstrap": {"resamples": resamples, "seed": seed,
                                                              "confidence": confidence,
                                                              "clusters": int(codes.max()) + 1 if len(codes) else 0}}
    return record.model_copy(update={"metrics": metrics, "failures": failures, "items": new_items,
                                     "extras": extras, "judge": judge.judge if judge else record.judge}), scored


def repeat_spread(runs: list[dict[str, MetricValue]]) -> dict[str, dict[str, float]]:
    """Run-to-run spread of each metric's point value over uncached repeats."""
    out = {}
    for name in sorted(set().union(*runs)):
        vals = np.array([r[name].value for r in runs if name in r])
        out[name] = {"min": float(vals.min()), "max": float(vals.max()),
                     "sd": float(vals.std(ddof=1)) if len(vals) > 1 else 0.0, "n": len(vals)}
    return out
