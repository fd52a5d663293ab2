"""``liner gate``: does CANDIDATE make the tags worse than BASELINE?

Both run records are re-scored from their items, aligned by id, and every metric's difference
is bootstrapped with the SAME resamples for both runs (paired, clustered by group), so item-level
noise shared by both runs cancels. A rule says how much a metric may get worse and how sure we
must be:

- ``mode: non_inferior`` (default): pass only if we are ``confidence`` sure the metric did not get
  worse by more than ``max_drop`` (one-sided lower bound of the improvement >= -max_drop). An
  unchanged run passes (its difference is exactly 0); a noisy change on a tiny slice may not.
- ``mode: significant``: fail only if we are ``confidence`` sure it got worse by more than
  ``max_drop``.

``direction: lower`` marks metrics where smaller is better (MAE, ECE, latency, failure rate).
Runs on different gold data (fingerprints) cannot be compared: that is a usage error (exit 2).
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path
from typing import Any, Literal

import numpy as np
import yaml
from pydantic import BaseModel, Field, ValidationError

from linernotes.evals.bootstrap import group_codes, paired_bootstrap
from linernotes.evals.record import ItemResult, RunRecord
from linernotes.evals.scoring import build_scored

# per-item score that best shows a regression for one item, and whether higher is better
ITEM_SCORES = {"genres.f1": True, "valence.abs_err": False, "policy.correct": True}


class GateError(Exception):
    """Unreadable or incomparable inputs (exit code 2)."""


class Rule(BaseModel):
    metric: str
    max_drop: float = Field(0.0, ge=0)
    confidence: float = Field(0.95, gt=0.5, lt=1)
    mode: Literal["non_inferior", "significant"] = "non_inferior"
    direction: Literal["higher", "lower"] = "higher"
    required: bool = Field(True, description="fail when the baseline has the metric but the candidate lacks it")


class Rules(BaseModel):
    rules: list[Rule]


class RuleOutcome(BaseModel):
    rule: Rule
    status: Literal["pass", "fail", "not_applicable"]
    baseline: float | None = None
    candidate: float | None = None
    delta: float | None = None
    ci_low: float | None = None
    ci_high: float | None = None
    bound: float | None = Field(None, description="one-sided bound on the improvement used for the decision")
    reason: str = ""


class ItemChange(BaseModel):
    id: str
    score: str
    baseline: float
    candidate: float
    change: float
    inputs: dict[str, Any]
    gold: dict[str, Any]
    baseline_prediction: dict[str, Any] | None
    candidate_prediction: dict[str, Any] | None


class GateResult(BaseModel):
    passed: bool
    baseline: RunRecord
    candidate: RunRecord
    outcomes: list[RuleOutcome]
    n_items: int
    regressions: list[ItemChange] = Field(default_factory=list)


def load_rules(path: str | Path | None = None) -> Rules:
    try:
        if path is None:
            text = resources.files("linernotes.evals").joinpath("gates.yaml").read_text(encoding="utf-8")
        else:
            text = Path(path).read_text(encoding="utf-8")
        return Rules.model_validate(yaml.safe_load(text))
    except OSError as e:
        raise GateError(f"{path}: cannot read gate rules ({e.strerror})") from None
    except (yaml.YAMLError, ValidationError) as e:
        raise GateError(f"{path}: not a valid gates file: {str(e).splitlines()[0]}") from None


def _load(path: str | Path) -> RunRecord:
    try:
        return RunRecord.load(path)
    except OSError as e:
        raise GateError(f"{path}: cannot read run record ({e.strerror})") from None
    except ValueError as e:
        raise GateError(f"{path}: not a run record ({str(e).splitlines()[0]})") from None


def align(base: RunRecord, cand: RunRecord) -> tuple[list[ItemResult], list[ItemResult]]:
    if base.gold_fingerprint != cand.gold_fingerprint or base.spec != cand.spec:
        raise GateError(f"runs scored different gold data ({base.spec}@{base.gold_fingerprint} vs "
                        f"{cand.spec}@{cand.gold_fingerprint}); compare runs of the same spec, limit and seed")
    by_id = {it.id: it for it in cand.items}
    if set(by_id) != {it.id for it in base.items}:
        raise GateError("runs hold different item ids despite equal gold fingerprints; re-run the candidate")
    return base.items, [by_id[it.id] for it in base.items]


def decide(rule: Rule, base: float | None, cand: float | None, samples: np.ndarray | None) -> RuleOutcome:
    if base is None:
        return RuleOutcome(rule=rule, status="not_applicable", candidate=cand, reason="baseline lacks this metric")
    if cand is None:
        status = "fail" if rule.required else "not_applicable"
        return RuleOutcome(rule=rule, status=status, baseline=base, reason="candidate lacks this metric")
    sign = 1.0 if rule.direction == "higher" else -1.0
    delta = cand - base
    improvement = sign * delta
    s = samples[np.isfinite(samples)] * sign if samples is not None else np.array([improvement])
    if s.size == 0:
        s = np.array([improvement])
    tail = (1 - rule.confidence) * 100
    lo2, hi2 = np.percentile(s * sign, [(1 - 0.95) / 2 * 100, 100 - (1 - 0.95) / 2 * 100])
    if rule.mode == "non_inferior":
        bound = min(float(np.percentile(s, tail)), improvement)
        ok = bound >= -rule.max_drop - 1e-12
        why = (f"{rule.confidence:.0%} sure it got worse by at most {rule.max_drop:g}" if ok else
               f"cannot rule out a drop beyond {rule.max_drop:g} at {rule.confidence:.0%} "
               f"(lower bound of the change {sign * bound:+.4f})" if rule.direction == "higher" else
               f"cannot rule out an increase beyond {rule.max_drop:g} at {rule.confidence:.0%}")
    else:
        bound = float(np.percentile(s, 100 - tail))
        ok = bound >= -rule.max_drop - 1e-12
        why = ("no significant regression" if ok else
               f"{rule.confidence:.0%} sure it got worse by more than {rule.max_drop:g}")
    return RuleOutcome(rule=rule, status="pass" if ok else "fail", baseline=base, candidate=cand, delta=delta,
                       ci_low=float(min(lo2, hi2)), ci_high=float(max(lo2, hi2)), bound=bound, reason=why)


def item_regressions(base: list[ItemResult], cand: list[ItemResult], top: int = 10) -> list[ItemChange]:
    out = []
    for b, c in zip(base, cand, strict=True):
        for name, higher in ITEM_SCORES.items():
            if name in b.scores and name in c.scores:
                change = (c.scores[name] - b.scores[name]) * (1 if higher else -1)
                if change < 0:
                    out.append(ItemChange(id=b.id, score=name, baseline=b.scores[name], candidate=c.scores[name],
                                          change=change, inputs=b.inputs, gold=b.gold,
                                          baseline_prediction=_brief(b.prediction),
                                          candidate_prediction=_brief(c.prediction)))
    return sorted(out, key=lambda x: x.change)[:top]


def _brief(pred: dict[str, Any] | None) -> dict[str, Any] | None:
    if pred is None:
        return None
    return {"genres": pred.get("genres"), "valence": pred.get("valence"),
            "policy_flags": [f.get("clause_id") for f in pred.get("policy_flags") or []],
            "rationale": pred.get("rationale")}


def run_gate(baseline: str | Path, candidate: str | Path, rules: Rules, resamples: int = 1000,
             seed: int = 0) -> GateResult:
    base, cand = _load(baseline), _load(candidate)
    b_items, c_items = align(base, cand)
    b_rec = base.model_copy(update={"items": b_items})
    c_rec = cand.model_copy(update={"items": c_items})
    b_scored, c_scored = build_scored(b_rec), build_scored(c_rec)
    codes = group_codes([it.group for it in b_items], [it.id for it in b_items])
    wanted = {r.metric for r in rules.rules}
    diffs = paired_bootstrap({k: v for k, v in b_scored.stats.items() if k in wanted},
                             {k: v for k, v in c_scored.stats.items() if k in wanted}, codes, resamples, seed)
    outcomes = []
    for rule in rules.rules:
        bm, cm = base.metrics.get(rule.metric), cand.metrics.get(rule.metric)
        d = diffs.get(rule.metric)
        outcomes.append(decide(rule, bm.value if bm else None, cm.value if cm else None,
                               d.samples if d is not None else None))
    passed = all(o.status != "fail" for o in outcomes)
    return GateResult(passed=passed, baseline=base, candidate=cand, outcomes=outcomes, n_items=len(b_items),
                      regressions=item_regressions(b_items, c_items))
