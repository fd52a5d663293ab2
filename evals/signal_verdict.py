"""Does a fitted declared signal beat its evidence-only baselines out of fold?

``liner fit --signals`` scores the cross-fitted record like any run, so its
``extras.baselines.comparison`` already holds, per headline metric of each signal task, the
paired bootstrap of record minus each evidence-only baseline (``evals.scoring.signal_baselines``:
a vocabulary signal's shortlist top-1). A fitted model whose difference to some baseline has its
whole CI on the worse side is worse than the evidence alone (QA session 25: fitted mood 0.40 out
of fold against 0.867 for the shortlist's top label, shipped without a word). This module reads
those rows; it computes nothing new.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel


class BaselineRow(BaseModel):
    """One headline metric of a signal task against one baseline, out of fold (``diff`` is
    fitted minus baseline; CI bounds None when the bootstrap could not give them)."""

    metric: str
    baseline: str
    higher_is_better: bool
    fitted: float | None
    baseline_value: float | None
    diff: float | None
    ci_low: float | None
    ci_high: float | None

    @property
    def worse(self) -> bool:
        """The whole paired CI is on the worse side of 0 (a CI touching 0 is not worse)."""
        if self.ci_low is None or self.ci_high is None:
            return False
        return self.ci_high < 0 if self.higher_is_better else self.ci_low > 0

    def line(self) -> str:
        """'accuracy 0.400 vs shortlist_top1 0.867: -0.467 [-0.650, -0.283]'."""
        def f(x: float | None) -> str:
            return "?" if x is None else f"{x:.3f}"

        def s(x: float | None) -> str:
            return "?" if x is None else f"{x:+.3f}"
        arrow = "higher is better" if self.higher_is_better else "lower is better"
        return (f"{self.metric} ({arrow}) {f(self.fitted)} vs {self.baseline} {f(self.baseline_value)}: "
                f"{s(self.diff)} [{s(self.ci_low)}, {s(self.ci_high)}]")


def baseline_rows(extras: dict[str, Any], task: str) -> list[BaselineRow]:
    """The comparison rows of task ``task`` in a scored record's ``extras`` ([] when it has none)."""
    rows = ((extras.get("baselines") or {}).get("comparison")) or []
    return [BaselineRow(metric=r["metric"], baseline=r["baseline"], higher_is_better=bool(r["higher_is_better"]),
                        fitted=r.get("record_value"), baseline_value=r.get("baseline_value"), diff=r.get("diff"),
                        ci_low=r.get("ci_low"), ci_high=r.get("ci_high"))
            for r in rows if str(r.get("metric", "")).startswith(f"{task}.")]


def no_baseline_reason(extras: dict[str, Any], task: str) -> str:
    """Why a task has no baseline row (the scorer's skip reasons), for the fit's output."""
    skipped = ((extras.get("baselines") or {}).get("skipped")) or {}
    why = [f"{k.split(':', 1)[1]}: {v}" for k, v in skipped.items() if k.startswith(f"{task}:")]
    return "; ".join(why) or "no evidence-only baseline is defined for this kind of signal"


def losing_verdict(rows: list[BaselineRow]) -> str | None:
    """Why the fitted model is worse than its evidence alone (every row whose paired CI is
    entirely on the worse side), else None."""
    worse = [r for r in rows if r.worse]
    if not worse:
        return None
    return ("out of fold the fitted model is WORSE than its evidence alone (paired 95% CI entirely below 0): "
            + "; ".join(r.line() for r in worse))
