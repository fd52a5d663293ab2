"""Which metric names a task can have, derived by running the metric functions themselves.

A gate rule names a metric (``subject.accuracy``); a misspelt one (``subject.acuracy``) used to be
"not applicable" and pass. A hand-written list of names drifts from the scoring code (a naive
list once missed ``hier_f1``, which exists only when the task has a taxonomy), so the names here
come from scoring a small probe of items built to reach every branch: right and wrong answers
(AUROC), auto-accepted items, shortlists (context recall), rater ratings (human ceiling), policy
flags. Metrics a branch names as skipped count as known too.
"""

from __future__ import annotations

from typing import Any

from linernotes.evals.record import ItemResult
from linernotes.evals.spec import TaskSpec

RUN_PREFIXES = ("run", "rationale")
# metric names (the part after ``<task>.`` / ``run.``) where smaller is better; every other metric
# the scoring code gives is better larger. A gate rule's direction defaults to its metric's.
LOWER_IS_BETTER = frozenset({"mae", "human_mae", "ece", "ece_with_clean", "false_flag_rate", "failure_rate",
                             "validation_failure_rate", "latency_p50_s", "latency_p90_s", "latency_p99_s",
                             "tokens_in_mean", "tokens_out_mean", "cost_usd_mean"})
# metrics a rule may sensibly want to move either way: a larger auto-accepted share means less
# review, but may come from overconfidence (its precision is auto_accept_accuracy's rule)
EITHER_WAY = frozenset({"auto_accept_share"})
PROBE_TAXONOMY = "music-genres"  # any shipped pack: it only switches the hierarchical metrics on


def _gold_and_value(task: TaskSpec, right: bool) -> tuple[Any, Any]:
    """One probe item's gold and predicted value for the task's kind (right or wrong)."""
    if task.kind == "multilabel":
        return ["a"], (["a"] if right else ["b"])
    if task.kind in ("valence", "scalar"):
        return 0.5, (0.5 if right else -0.9)
    if task.kind == "boolean":
        return "true", right
    if task.kind == "policy":
        cats = sorted(set(task.clause_map.values())) or ["x"]
        return cats[0], (cats[0] if right else task.none_label)
    if task.kind == "text":
        return "a calm song", ("a calm song" if right else "loud")
    return "a", ("a" if right else "b")


def _prediction(task: TaskSpec, value: Any, conf: float) -> dict[str, Any]:
    from linernotes.signals.builtin import TASK_FIELD

    pred: dict[str, Any] = {"confidence": {f: conf for f in TASK_FIELD.values()},
                            "evidence": {"genres": [{"id": "a", "score": 0.9}]},
                            "provenance": {"latency_s": 1.0, "tokens_in": 10, "tokens_out": 5, "cost_usd": 0.0}}
    if task.signal is not None:
        pred["signals"] = {task.signal: {"value": value, "confidence": conf}}
    elif task.kind == "multilabel":
        pred["genres"] = value
    elif task.kind == "valence":
        pred["valence"] = value
    elif task.kind == "policy":
        clause = next((c for c, cat in task.clause_map.items() if cat == value), None)
        pred["policy_flags"] = [{"clause_id": clause, "severity": 2}] if clause else []
    return pred


def probe_items(task: TaskSpec) -> list[ItemResult]:
    """Right and wrong answers at high and low confidence, with ratings where the kind has them."""
    items = []
    for n, (right, conf) in enumerate(((True, 0.9), (False, 0.9), (True, 0.2), (False, 0.2))):
        gold, value = _gold_and_value(task, right)
        row = {task.name: gold}
        if task.kind == "valence":
            row[f"{task.name}_ratings"] = [0.25, 0.5, 0.75]
        items.append(ItemResult(id=f"probe{n}", group=f"g{n}", gold=row, prediction=_prediction(task, value, conf)))
    if task.kind == "policy" and task.signal is None:  # a clean text, flagged (false_flag_rate, ece_with_clean)
        from linernotes.evals.clean import clean_key

        cats = sorted(set(task.clause_map.values())) or ["x"]
        items.append(ItemResult(id="probe-clean", group="g-clean", gold={clean_key(task.name): "probe"},
                                prediction=_prediction(task, cats[0], 0.9)))
    return items


def known_metrics(task: TaskSpec) -> set[str]:
    """Every metric name the scoring code can give a task of this one's kind under its name,
    including those a branch skips on some data. Per kind, not per this task's options: the
    shared default rules name ``genres.hier_f1``, which a genres task without a taxonomy lacks on
    its run (not applicable there, not misspelt), so the probe turns every option on."""
    from linernotes.evals.scoring import task_scores

    if task.kind == "multilabel" and task.signal is None and not task.taxonomy:
        task = task.model_copy(update={"taxonomy": PROBE_TAXONOMY})
    scored = task_scores(task, probe_items(task))
    return set(scored.stats) | set(scored.skipped)


def run_metrics() -> set[str]:
    """The run-wide metric names (``run.*``, ``rationale.*``)."""
    from linernotes.evals.scoring import JudgeScores, judge_stats, usage_scores

    task = TaskSpec(name="x", kind="boolean", gold_field="x", signal="x")
    scored = usage_scores(probe_items(task))
    return set(scored.stats) | set(judge_stats(JudgeScores(scores=[1.0], failures={}, judge="probe")).stats)


def _task_metric(metric: str) -> str:
    """A rule's metric without a ``baseline.<name>.`` prefix: ``<task>.<metric>``."""
    from linernotes.evals.scoring import BASELINE_PREFIX

    return metric[len(BASELINE_PREFIX):].partition(".")[2] if metric.startswith(BASELINE_PREFIX) else metric


def direction_of(metric: str) -> str | None:
    """``"lower"`` when smaller values of ``metric`` are better (``valence.mae``, ``run.failure_rate``,
    ``baseline.lexical.valence.mae``, a bare ``mae``), ``"higher"`` otherwise, None for a metric
    either direction may suit (``EITHER_WAY``)."""
    name = _task_metric(metric).rpartition(".")[2]
    if name in EITHER_WAY:
        return None
    return "lower" if name in LOWER_IS_BETTER else "higher"


def metric_task(metric: str) -> str:
    """The task (or run-wide prefix) a rule's metric names: ``subject`` for ``subject.accuracy``
    and ``baseline.vote.subject.accuracy``."""
    return _task_metric(metric).partition(".")[0]


def unknown_metric(metric: str, tasks: list[TaskSpec]) -> str | None:
    """Why ``metric`` cannot exist on a run with these tasks, or None when it can (or when its
    prefix names no task of this run: a rule for another spec's task is not applicable here, not
    misspelt). Baseline metrics (``baseline.<name>.<metric>``) are checked by their metric part."""
    metric = _task_metric(metric)
    prefix = metric.partition(".")[0]
    if prefix in RUN_PREFIXES:
        known = run_metrics()
        what = "run-wide metrics"
    else:
        task = next((t for t in tasks if t.name == prefix), None)
        if task is None:
            return None
        known = known_metrics(task)
        what = f"task {task.name} ({task.kind}{', signal ' + task.signal if task.signal else ''})"
    if metric in known:
        return None
    return f"{what} has no metric {metric!r}; known: {', '.join(sorted(known))}"
