"""``liner gate``: does CANDIDATE make the tags worse than BASELINE?

Both run records are re-scored from their items, aligned by id, and every metric's difference
is bootstrapped with the SAME resamples for both runs (paired, clustered by group), so item-level
noise shared by both runs cancels. A rule says how much a metric may get worse and how sure we
must be:

- ``mode: non_inferior`` (default): pass only if we are ``confidence`` sure the metric did not get
  worse by more than ``max_drop`` (one-sided lower bound of the improvement >= -max_drop). An
  unchanged run passes (its difference is exactly 0); a noisy change on a tiny slice may not.
- ``mode: significant``: fail only if we are ``confidence`` sure it got worse by more than
  ``max_drop``. When no interval can be formed (too few items or clusters) it fails any drop of
  the point value, saying so, unless the rule sets ``on_no_interval: pass``.

``direction: lower`` marks metrics where smaller is better (MAE, ECE, latency, failure rate).

Nothing is taken on the candidate's word: the gate re-scores BOTH runs itself from the
baseline's gold, sample and task list (the baseline comes from the protected branch), using only
the candidate's predictions; point values, intervals, per-item scores, failures and plots all
come from that one re-scoring, never from the ``metrics``/``tasks``/``extras`` a record stores
(one exception, never in a verdict: a run's statement that it is in-sample for its fusion
combiners, shown as a caution line).
Records whose spec (name or digest), exemplar set, sample ids, inputs or gold rows differ (the
gate fingerprints the rows itself) are incomparable: exit 2 with one line. --seed and --limit are
compared through the sample they picked, not by value.
"""

from __future__ import annotations

import json
import unicodedata
from importlib import resources
from pathlib import Path
from typing import Any, Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, ValidationError, model_validator

from linernotes.digest import short_digest
from linernotes.evals.bootstrap import MAX_RESAMPLES, group_codes, paired_bootstrap
from linernotes.evals.clean import clean_ids, cluster_keys
from linernotes.evals.gate_evidence import evidence_gaps, gap_reason
from linernotes.evals.gate_predictions import gold_problem, prediction_problem
from linernotes.evals.metrics.core import Scored
from linernotes.evals.record import ItemResult, RunRecord
from linernotes.evals.scoring import BASELINE_PREFIX, baseline_pairs, compare_with_baselines, score_with_stats
from linernotes.evals.spec import Number
from linernotes.files import MAX_CONFIG_BYTES, read_regular_text, require_regular
from linernotes.numbers import TextNumbers
from linernotes.schema import validation_reasons
from linernotes.signals.yaml_lines import KeyedError, YamlSyntaxError, line_of, load_with_lines
from linernotes.tools.yaml_text import first_alias_line

# per task kind: the per-item score that best shows a regression for one item, and whether higher
# is better (a declared signal's task gets its kind's, so its regressions are listed too)
ITEM_SCORE_BY_KIND = {"multilabel": ("f1", True), "valence": ("abs_err", False), "scalar": ("abs_err", False),
                      "policy": ("correct", True), "single_label": ("correct", True), "boolean": ("correct", True)}


def item_scores(tasks: list[dict[str, Any]]) -> dict[str, bool]:
    """``{<task>.<per-item score>: higher is better}`` for a record's tasks."""
    out = {}
    for t in tasks:
        score, higher = ITEM_SCORE_BY_KIND.get(str(t.get("kind")), (None, True))
        if score is not None:
            out[f"{t.get('name')}.{score}"] = higher
    return out


class GateError(Exception):
    """Unreadable or incomparable inputs (exit code 2)."""


class Rule(TextNumbers):
    """``kind: no_regression`` (default) compares CANDIDATE with BASELINE on ``metric``;
    ``kind: beats_baseline`` checks the candidate alone: its record must beat the best
    evidence-only baseline (``evals.metrics.baselines``) on ``metric``, i.e. the lower bound of
    the two-sided ``confidence`` interval of record minus best baseline (paired, same items and
    clusters) must reach ``margin``. The best baseline is the one with the best point value."""

    # a misspelt key (``directon: lower``) must not fall back to the default silently: an MAE rule
    # would then read a rise in error as an improvement; a non-finite number (.nan, .inf) is refused
    # by name: ``max_drop: .inf`` would let every drop pass and a NaN margin compares false both ways
    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)

    metric: str
    kind: Literal["no_regression", "beats_baseline"] = "no_regression"
    margin: Number = Field(0.0, description="beats_baseline: least record minus best baseline, metric units")
    max_drop: Number = Field(0.0, ge=0)
    confidence: Number = Field(0.95, gt=0.5, lt=1)
    mode: Literal["non_inferior", "significant"] = "non_inferior"
    direction: Literal["higher", "lower"] = Field("higher", description="which way is better; default: the "
                                                  "metric's own (lower for MAE, ECE, failure rates, latency, "
                                                  "tokens, cost; ``metric_names.direction_of``)")
    required: bool = Field(True, description="fail when the baseline has the metric but the candidate lacks it")
    on_no_interval: Literal["fail", "pass"] = Field(
        "fail", description="mode: significant, when no interval can be formed (too few items or clusters) and "
        "the point value got worse: fail (default; a gate that cannot measure must not pass a drop) or pass "
        "(opt in to the old 'cannot tell, not failed')")

    @model_validator(mode="after")
    def _metric_direction(self) -> Rule:
        # the default was "higher" for every metric: a valence.mae or policy.ece rule written without
        # a direction passed a run whose error grew ("95% sure it got worse by at most 0.02" beside
        # +0.32) and would have failed one that improved
        from linernotes.evals.metric_names import direction_of

        natural = direction_of(self.metric)
        if "direction" not in self.model_fields_set:
            self.direction = natural or "higher"
        elif natural is not None and self.direction != natural:
            better = "smaller" if natural == "lower" else "larger"
            raise KeyedError("direction", f"{self.direction} contradicts the metric: a {better} {self.metric} is "
                             f"better, so the rule would pass a worse run and fail a better one (leave direction "
                             f"out: it follows the metric)")
        return self

    @model_validator(mode="after")
    def _no_interval_is_for_significant(self) -> Rule:
        # a non_inferior rule already fails a drop it cannot measure; a pass there would be a hole
        if "on_no_interval" in self.model_fields_set and self.mode != "significant":
            raise KeyedError("on_no_interval", "applies to mode: significant only (a non_inferior rule without "
                             "an interval passes only if the point value did not get worse)")
        return self


class Rules(TextNumbers):
    model_config = ConfigDict(extra="forbid")

    rules: list[Rule]
    _origin: str = PrivateAttr("gates.yaml (shipped)")  # the file, for errors that name a rule


class RuleOutcome(BaseModel):
    rule: Rule
    status: Literal["pass", "fail", "not_applicable"]
    baseline: float | None = None
    candidate: float | None = None
    delta: float | None = None
    ci_low: float | None = None
    ci_high: float | None = None
    bound: float | None = Field(None, description="one-sided bound on the improvement used for the decision")
    versus: str | None = Field(None, description="beats_baseline: the best baseline the record was compared with")
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
            # /dev/zero: MemoryError; a FIFO: a hang; a huge file: read whole, then parsed
            text = read_regular_text(path, GateError, ": give a gates YAML file", limit=MAX_CONFIG_BYTES,
                                     what="a gates file")
    except OSError as e:
        raise GateError(f"{path}: cannot read gate rules ({e.strerror})") from None
    except UnicodeDecodeError as e:  # reached the user as "'utf-8' codec can't decode byte 0xff", no file named
        raise GateError(f"{path}: not a valid gates file: not UTF-8 text (byte {e.start})") from None
    if (line := first_alias_line(text)) is not None:
        raise GateError(f"{path}:{line}: not a valid gates file: a YAML alias (*name) is not allowed here; write "
                        "each rule out (nested aliases expand exponentially: 7 levels took 37 s to read)")
    try:  # "while parsing a flow node" alone says neither where nor what
        data, lines = load_with_lines(text)
    except YamlSyntaxError as e:
        raise GateError(f"{path}:{e.line}: not a valid gates file: {e.reason}") from None
    if data is None:  # empty, or comments only: pydantic said "Input should be a valid dictionary"
        raise GateError(f"{path}: not a valid gates file: it is empty (no rules; see evals/gates.yaml for the form)")
    try:
        rules = Rules.model_validate(data)
    except ValidationError as e:  # name the rule and key (pydantic's first line is only "1 validation error")
        err = e.errors()[0]
        loc, msg = tuple(err["loc"]), str(err["msg"]).removeprefix("Value error, ")
        if isinstance(keyed := (err.get("ctx") or {}).get("error"), KeyedError):  # a rule's own check: at its key
            loc, msg = (*loc, *keyed.loc), str(keyed)
        where = ".".join(map(str, loc)) or "rules"
        raise GateError(f"{path}:{line_of(lines, loc)}: not a valid gates file: {where}: {msg}") from None
    if path is not None:
        rules._origin = str(path)
    return rules


def _load(path: str | Path, tasks: list[dict[str, Any]] | None = None) -> RunRecord:
    """The run record at ``path``; ``GateError`` naming the file (and the item) when it cannot be
    read or a prediction cannot be scored under ``tasks`` (default: the record's own)."""
    # a FIFO hung; /dev/zero: MemoryError, exit 1; a folder: 'cannot read run record (Is a directory)'
    require_regular(path, GateError, ": a run record is a JSON file", folder_ok=False)
    try:
        record = RunRecord.load(path)
    except OSError as e:
        raise GateError(f"{path}: cannot read run record ({e.strerror})") from None
    except ValidationError as e:  # its first line is only "N validation errors for RunRecord"
        if _is_tag_output(path):  # 'Invalid JSON: trailing characters at line 2 column 1' said nothing of it
            raise GateError(f"{path}: is a liner tag output (one record per line), not a run record of `liner "
                            "eval`: the gate compares two eval runs (liner eval SPEC -o RUN.json)") from None
        raise GateError(f"{path}: not a run record of `liner eval` ({_reasons(e)})") from None
    except ValueError as e:
        raise GateError(f"{path}: not a run record ({str(e).splitlines()[0]})") from None
    # two items of one id are two answers for one gold item: said as 'candidate record holds
    # duplicate item ids', no file, no id (a record merged by hand, or two runs concatenated)
    first: dict[str, int] = {}
    for i, it in enumerate(record.items):
        if (j := first.setdefault(it.id, i)) != i:
            raise GateError(f"{path}: not a run record of one sample: duplicate item ids: {it.id!r} is items[{j}] "
                            f"and items[{i}]")
    # a prediction the scorer cannot read (a string where flags belong, an integer no float holds)
    # stopped the gate half-way with a traceback and exit 1, a regression's code
    for it in record.items:
        why = gold_problem(it.id, it.gold) or prediction_problem(it.id, it.prediction,
                                                                  record.tasks if tasks is None else tasks)
        if why is not None:
            raise GateError(f"{path}: not a run record of `liner eval`: {why}")
    return record


def _is_tag_output(path: str | Path) -> bool:
    """Whether the file's first line (at most 1 MiB of it) is a ``liner tag`` output record."""
    from linernotes.store.records import is_record

    try:
        with open(path, "rb") as f:
            first = f.readline(1 << 20)
        return is_record(json.loads(first))
    except (OSError, ValueError):
        return False


def _reasons(e: ValidationError, most: int = 3) -> str:
    """``validation_reasons`` plus how many problems it left out."""
    more = e.error_count() - most
    return validation_reasons(e, most) + (f"; and {more} more" if more > 0 else "")


def _canonical(value: Any) -> Any:
    """Equal values get one form: -0.0 is 0.0 and an integral float below 2**53 is an int (so
    gold written as ``1`` or ``1.0`` or ``-0.0`` is the same gold); tuples are lists."""
    if isinstance(value, bool) or value is None or isinstance(value, str):
        return value
    if isinstance(value, float):
        return int(value) if value.is_integer() and abs(value) < 2 ** 53 else value
    if isinstance(value, dict):
        return {str(k): _canonical(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_canonical(v) for v in value]
    return value


def _row(it: ItemResult) -> str:
    """One scored row (id, group, inputs, gold) as canonical JSON."""
    return json.dumps(_canonical([it.id, it.group, it.inputs, it.gold]), sort_keys=True, ensure_ascii=False,
                      default=str)


def rows_fingerprint(items: list[ItemResult]) -> str:
    """sha256 over the scored rows as the gate sees them (id, group, inputs, gold; values in
    ``_canonical`` form), sorted by id: computed here, never read from a record, so rewritten gold
    or another sample shows."""
    blob = "\n".join(sorted(_row(it) for it in items))
    return short_digest(blob)


def _differs(what: str, b: Any, c: Any) -> GateError:
    return GateError(f"incomparable runs: {what} differs (baseline {b!r}, candidate {c!r}); "
                     "evaluate the candidate with the baseline's spec, data, --limit and --seed")


def check_comparable(base: RunRecord, cand: RunRecord) -> None:
    """Refuse (GateError, exit 2) unless both records scored the same spec, sample and gold."""
    if not base.tasks:
        raise GateError("baseline record lists no tasks: nothing to score; re-make the baseline")
    # --seed and --limit are not compared by value: they pick the sample, which is compared below
    # (ids, then each row); a --limit of the whole gold set (or more) picks every item, as no
    # --limit does, and was refused as 'limit differs (baseline None, candidate 50)'
    for what, b, c in (("spec", base.spec, cand.spec), ("spec digest", base.spec_digest, cand.spec_digest),
                       ("gold fingerprint", base.gold_fingerprint, cand.gold_fingerprint),
                       ("exemplar set", base.exemplars.digest if base.exemplars else None,
                        cand.exemplars.digest if cand.exemplars else None)):
        if b != c:
            raise _differs(what, b, c)
    for name, rec in (("baseline", base), ("candidate", cand)):
        ids = [it.id for it in rec.items]
        if len(set(ids)) != len(ids):
            raise GateError(f"{name} record holds duplicate item ids; it is not a run record of one sample")
    b_ids, c_ids = {it.id for it in base.items}, {it.id for it in cand.items}
    if b_ids != c_ids:
        extra, missing = sorted(c_ids - b_ids)[:3], sorted(b_ids - c_ids)[:3]
        why = "".join(f"; {what} differs (baseline {b!r}, candidate {c!r})" for what, b, c in
                      (("seed", base.seed, cand.seed), ("limit", base.limit, cand.limit)) if b != c)
        if b_ids ^ c_ids <= clean_ids(base) | clean_ids(cand):
            # same gold items, other clean texts: the advice to match --limit and --seed was wrong
            fusion = [(r.tool_versions or {}).get("fusion") for r in (base, cand)]
            raise GateError(f"incomparable runs: the clean texts (spec clean:) differ ({len(b_ids ^ c_ids)} ids; e.g. "
                            f"only in candidate {extra}, only in baseline {missing}){why}: an eval leaves out the "
                            "clean texts its fusion artifact's policy combiner was fitted on (fusion: baseline "
                            f"{fusion[0]!r}, candidate {fusion[1]!r}) and draws its --limit / clean.limit sample "
                            "from the rest; gate runs whose fusion artifacts were fitted on none of the spec's clean "
                            "texts (or on the same ones), with the baseline's --limit and --seed")
        raise GateError(f"incomparable runs: the sample differs ({len(b_ids ^ c_ids)} ids; e.g. only in candidate "
                        f"{extra}, only in baseline {missing}){why}; evaluate with the baseline's --limit and --seed")
    if rows_fingerprint(base.items) != rows_fingerprint(cand.items):
        by_id = {it.id: it for it in cand.items}
        bad = [it.id for it in base.items if _row(it) != _row(by_id[it.id])]
        raise GateError(f"incomparable runs: gold, inputs or groups of {len(bad)} item(s) differ from the baseline's "
                        f"(e.g. {bad[:3]}); the candidate was not scored on the same gold")


def align(base: RunRecord, cand: RunRecord) -> tuple[list[ItemResult], list[ItemResult]]:
    """Baseline items, and the candidate's predictions placed on the baseline's rows (id, group,
    inputs, gold from the baseline; prediction, status, error from the candidate; stored
    per-item scores dropped)."""
    check_comparable(base, cand)
    by_id = {it.id: it for it in cand.items}
    b_items = [it.model_copy(update={"scores": {}, **_outcome(it)}) for it in base.items]
    c_items = [it.model_copy(update={"prediction": by_id[it.id].prediction, "scores": {}, **_outcome(by_id[it.id])})
               for it in base.items]
    return b_items, c_items


def _outcome(it: ItemResult) -> dict[str, Any]:
    """An item's status as the gate judges it: ``ok`` only with a prediction and no error, whatever
    the record's ``status`` says (a failed item relabelled ``ok`` would hide from the failure rate)."""
    if it.status == "ok" and it.prediction is not None and not it.error:
        return {"status": "ok", "error": None}
    error = it.error or {"kind": "no_prediction" if it.prediction is None else "unknown",
                         "message": "the record has no prediction for this item" if it.prediction is None else ""}
    return {"status": "error", "error": error}


def decide(rule: Rule, base: float | None, cand: float | None, samples: np.ndarray | None,
           note: str = "") -> RuleOutcome:
    """``samples``: bootstrap draws of ``cand - base``; None = no interval could be formed (too
    few items to resample, ``note`` says why). Then nothing is certain: a rule passes only if the
    point value did not get worse at all (no tolerance without an interval); a significance rule
    with ``on_no_interval: pass`` passes any drop (it cannot establish one)."""
    if base is None:
        return RuleOutcome(rule=rule, status="not_applicable", candidate=cand, reason="baseline lacks this metric")
    if cand is None:
        status = "fail" if rule.required else "not_applicable"
        return RuleOutcome(rule=rule, status=status, baseline=base, reason="candidate lacks this metric")
    sign = 1.0 if rule.direction == "higher" else -1.0
    delta = cand - base
    improvement = sign * delta
    s = samples[np.isfinite(samples)] * sign if samples is not None else np.array([])
    if s.size == 0:
        # no interval: the tolerance max_drop is a statistical allowance and cannot be granted, so
        # a rule passes only if the point value did not get worse at all. A significance rule used
        # to pass any drop here ("cannot tell, not failed"): a CI gate that passes what it cannot
        # measure let a collapse on a small slice through; that is now an explicit opt-in
        why = f"no interval could be formed: too few items or clusters ({note or 'no finite resample'})"
        lenient = rule.mode == "significant" and rule.on_no_interval == "pass"
        ok = lenient or improvement >= -1e-12
        reason = (f"did not get worse (point value; {why})" if improvement >= -1e-12 else
                  f"cannot tell, passed by on_no_interval: pass: {why}" if lenient else
                  f"got worse by {abs(delta):.4g} and {why}; without an interval no drop is allowed"
                  + (" (set on_no_interval: pass on the rule to pass it)" if rule.mode == "significant" else ""))
        return RuleOutcome(rule=rule, status="pass" if ok else "fail", baseline=base, candidate=cand, delta=delta,
                           reason=reason)
    tail = (1 - rule.confidence) * 100
    lo2, hi2 = np.percentile(s * sign, [(1 - 0.95) / 2 * 100, 100 - (1 - 0.95) / 2 * 100])
    if rule.mode == "non_inferior":
        bound = min(float(np.percentile(s, tail)), improvement)
        ok = bound >= -rule.max_drop - 1e-12
        # the table's interval is two-sided 95%; the decision uses the one-sided bound, so say
        # which (a "lower bound -0.1258" beside "[-0.1562, 0.1250]" read as a contradiction)
        side = "lower" if rule.direction == "higher" else "upper"
        why = (f"{rule.confidence:.0%} sure it got worse by at most {rule.max_drop:g}" if ok else
               f"cannot rule out {'a drop' if rule.direction == 'higher' else 'an increase'} beyond "
               f"{rule.max_drop:g} at {rule.confidence:.0%} (one-sided {rule.confidence:.0%} {side} bound of "
               f"the change {sign * bound:+.4f})")
    else:
        bound = float(np.percentile(s, 100 - tail))
        ok = bound >= -rule.max_drop - 1e-12
        why = ("no significant regression" if ok else
               f"{rule.confidence:.0%} sure it got worse by more than {rule.max_drop:g}")
    if note:
        why += f" ({note})"
    return RuleOutcome(rule=rule, status="pass" if ok else "fail", baseline=base, candidate=cand, delta=delta,
                       ci_low=float(min(lo2, hi2)), ci_high=float(max(lo2, hi2)), bound=bound, reason=why)


def item_regressions(base: list[ItemResult], cand: list[ItemResult], scores: dict[str, bool],
                     top: int = 10) -> list[ItemChange]:
    """The ``top`` items whose per-item score got worst (``scores``: ``item_scores`` of the tasks)."""
    out = []
    for b, c in zip(base, cand, strict=True):
        for name, higher in scores.items():
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
    out = {"genres": pred.get("genres"), "valence": pred.get("valence"),
           "policy_flags": [f.get("clause_id") for f in pred.get("policy_flags") or []],
           "rationale": pred.get("rationale")}
    if pred.get("signals"):
        out["signals"] = {k: (v or {}).get("value") for k, v in pred["signals"].items()}
    return out


def _point(stats: dict[str, Any], name: str) -> float | None:
    st = stats.get(name)
    if st is None:
        return None
    v = st.point()
    return float(v) if np.isfinite(v) else None


class _InSample(TextNumbers):
    model_config = ConfigDict(extra="forbid")
    items: int = Field(ge=0)
    fields: dict[str, int] = Field(max_length=32)


def in_sample_claim(record: RunRecord) -> dict[str, Any]:
    """The one stored extra the gate carries over: the run's own statement that its fusion
    combiners were fitted on some of its items (``liner eval``'s in-sample warning). It only
    adds a caution line to the report, never enters a verdict; a malformed one is dropped."""
    info = record.extras.get("fusion_in_sample")
    try:
        return {"fusion_in_sample": _InSample.model_validate(info).model_dump()} if info else {}
    except ValidationError:
        return {}


def rescore_pair(base: RunRecord, cand: RunRecord, resamples: int, seed: int
                 ) -> tuple[tuple[RunRecord, Scored], tuple[RunRecord, Scored]]:
    """Both records re-scored from the baseline's rows and tasks at the baseline's review
    threshold (one operating point for both; the risk-coverage table shows all others)."""
    b_items, c_items = align(base, cand)
    clean = {"metrics": {}, "extras": {}, "failures": {}, "repeat_spread": {}, "tasks": base.tasks}
    threshold = base.config.get("review_threshold", 0.5)
    b_rec = base.model_copy(update={**clean, "items": b_items, "extras": in_sample_claim(base)})
    c_rec = cand.model_copy(update={**clean, "items": c_items, "judge": None, "data_path": base.data_path,
                                    "config": {**cand.config, "review_threshold": threshold},
                                    "extras": in_sample_claim(cand)})
    return _scored(b_rec, "baseline", seed, resamples), _scored(c_rec, "candidate", seed, resamples)


def _scored(record: RunRecord, which: str, seed: int, resamples: int) -> tuple[RunRecord, Scored]:
    """``score_with_stats``; a value of a shape ``gate_predictions`` does not foresee is a
    ``GateError`` naming the record, never a traceback with exit 1 (a regression's code)."""
    try:
        return score_with_stats(record, seed, resamples)
    except (TypeError, ValueError, AttributeError, KeyError, IndexError, OverflowError) as e:
        raise GateError(f"the {which} record cannot be scored ({type(e).__name__}: {str(e)[:200]}); it holds a "
                        "value `liner eval` does not write") from None


def evidence_outcome(rule: Rule, base: RunRecord, cand: RunRecord, b_scored: Any, c_scored: Any
                     ) -> RuleOutcome | None:
    """A failing outcome when the candidate cannot be compared with every evidence-only baseline
    the baseline run had for ``rule.metric`` (its evidence stripped on some or all items), else
    None. Without it a record without evidence was compared with the label prior alone."""
    gaps = evidence_gaps(rule.metric, base.tasks, base.items, cand.items)
    had = {b for b, names in baseline_pairs(b_scored, {rule.metric}).items() if rule.metric in names}
    has = {b for b, names in baseline_pairs(c_scored, {rule.metric}).items() if rule.metric in names}
    missing = sorted(had - has - {g.baseline for g in gaps})
    if not gaps and not missing:
        return None
    reason = gap_reason(gaps) if gaps else ""
    if missing:
        reason += ("; " if reason else "") + (f"the baseline run has the baseline(s) {', '.join(missing)} on "
                                              f"{rule.metric} and the candidate does not")
    return RuleOutcome(rule=rule, status="fail", candidate=_point(c_scored.stats, rule.metric), reason=reason)


def decide_beats_baseline(rule: Rule, scored: Any, codes: np.ndarray, resamples: int, seed: int) -> RuleOutcome:
    """``scored``: the candidate's re-scored statistics (record and baselines)."""
    per = compare_with_baselines(scored, codes, {rule.metric}, resamples, seed, rule.confidence).get(rule.metric, {})
    rec = _point(scored.stats, rule.metric)
    if not per or rec is None:
        return RuleOutcome(rule=rule, status="not_applicable", candidate=rec,
                           reason="no evidence-only baseline scores this metric on this run")
    sign = 1.0 if rule.direction == "higher" else -1.0
    values = {b: _point(scored.stats, f"{BASELINE_PREFIX}{b}.{rule.metric}") for b in per}
    best = max((b for b in values if values[b] is not None), key=lambda b: (sign * values[b], b), default=None)
    if best is None:
        return RuleOutcome(rule=rule, status="not_applicable", candidate=rec, reason="no baseline has a value")
    d = per[best]
    common = {"rule": rule, "baseline": values[best], "candidate": rec, "delta": d.value, "versus": best}
    samples = d.samples[np.isfinite(d.samples)] if d.samples is not None else np.array([])
    if samples.size == 0:
        return RuleOutcome(**common, status="fail", reason=f"cannot be sure the record beats {best}: too few items or "
                           f"clusters for an interval ({d.note})")
    tail = (1 - rule.confidence) / 2 * 100
    lo, hi = np.percentile(samples, [tail, 100 - tail])
    bound = float(lo) * sign if sign > 0 else -float(hi)
    ok = bound >= rule.margin - 1e-12
    why = (f"record {'beats' if ok else 'does not beat'} the best baseline {best}: lower bound of the improvement "
           f"{bound:+.4f} {'reaches' if ok else 'is below'} the margin {rule.margin:g} at {rule.confidence:.0%}")
    return RuleOutcome(**common, status="pass" if ok else "fail", ci_low=float(lo), ci_high=float(hi), bound=bound,
                       reason=why)


def check_rules(rules: Rules, record: RunRecord) -> None:
    """Refuse (GateError, exit 2) a rule whose metric cannot exist for its task on this run (a
    misspelt ``subject.acuracy`` would otherwise be "not applicable" and pass), naming the rule and
    the metric names that task's kind has (``evals.metric_names``)."""
    from linernotes.evals.metric_names import RUN_PREFIXES, metric_task, unknown_metric
    from linernotes.evals.spec import TaskSpec

    tasks = [TaskSpec.model_validate(t) for t in record.tasks]
    names = [t.name for t in tasks]
    for n, rule in enumerate(rules.rules, 1):
        why = unknown_metric(rule.metric, tasks)
        if why is not None:
            raise GateError(f"{rules._origin}: rule {n} (metric: {rule.metric}): {why}")
        prefix = metric_task(rule.metric)
        if prefix not in names and prefix not in RUN_PREFIXES and (near := misspelt_task(prefix, names)):
            # a rule naming no task of the run is not applicable (one gates file may serve several
            # specs), so 'genre.micro_f1', 'Genres.micro_f1' or ' genres...' beside any rule that
            # applied let a run whose genres collapsed pass
            raise GateError(f"{rules._origin}: rule {n} (metric: {rule.metric!r}): task {prefix!r} is no task of "
                            f"this run but reads as its task {near!r} (its tasks: {', '.join(names)}); as written "
                            f"the rule would not apply and {near} would go unguarded: write {near}")


def misspelt_task(prefix: str, names: list[str]) -> str | None:
    """The task (or run-wide prefix) of ``names`` that ``prefix`` misspells, or None: the same
    name in another case, Unicode form (fullwidth letters) or with spaces, or one edit away
    (a letter added, dropped, changed or two swapped) when the name has 4+ letters. Another
    spec's task ('subject' on a genres run) is no misspelling."""
    from linernotes.evals.metric_names import RUN_PREFIXES

    folded = unicodedata.normalize("NFKC", prefix).strip().casefold()
    for name in (*names, *RUN_PREFIXES):
        if folded == name.casefold() or (len(name) >= 4 and _one_edit(folded, name.casefold())):
            return name
    return None


def _one_edit(a: str, b: str) -> bool:
    """``a`` and ``b`` differ by exactly one insertion, deletion, substitution or adjacent swap."""
    if a == b or abs(len(a) - len(b)) > 1:
        return False
    if len(a) == len(b):
        diff = [i for i in range(len(a)) if a[i] != b[i]]
        return len(diff) == 1 or (len(diff) == 2 and diff[1] == diff[0] + 1 and a[diff[0]] == b[diff[1]]
                                  and a[diff[1]] == b[diff[0]])
    short, long_ = sorted((a, b), key=len)
    return any(long_[:i] + long_[i + 1:] == short for i in range(len(long_)))


def _no_task(rule: Rule, record: RunRecord) -> str | None:
    """The reason a rule is not applicable because its prefix names no task of the run."""
    from linernotes.evals.metric_names import RUN_PREFIXES, metric_task

    prefix = metric_task(rule.metric)
    names = [str(t.get("name")) for t in record.tasks]
    if prefix in RUN_PREFIXES or prefix in names:
        return None
    return f"this run has no task {prefix!r} (its tasks: {', '.join(names)})"


def run_gate(baseline: str | Path, candidate: str | Path, rules: Rules, resamples: int = 1000,
             seed: int = 0) -> GateResult:
    if resamples > MAX_RESAMPLES:  # before loading anything
        raise GateError(f"--resamples {resamples:,}: at most {MAX_RESAMPLES:,} (1,000 to 10,000 give stable 95% bounds)")
    base_record = _load(baseline)
    check_rules(rules, base_record)
    (base, b_scored), (cand, c_scored) = rescore_pair(base_record, _load(candidate, base_record.tasks), resamples,
                                                      seed)
    codes = group_codes(cluster_keys(base), [it.id for it in base.items])
    wanted = {r.metric for r in rules.rules if r.kind == "no_regression"}
    diffs = paired_bootstrap({k: v for k, v in b_scored.stats.items() if k in wanted},
                             {k: v for k, v in c_scored.stats.items() if k in wanted}, codes, resamples, seed)
    outcomes = []
    for rule in rules.rules:
        if rule.kind == "beats_baseline":
            outcomes.append(evidence_outcome(rule, base, cand, b_scored, c_scored)
                            or decide_beats_baseline(rule, c_scored, codes, resamples, seed))
            continue
        d = diffs.get(rule.metric)
        outcomes.append(decide(rule, _point(b_scored.stats, rule.metric), _point(c_scored.stats, rule.metric),
                               d.samples if d is not None else None, d.note if d is not None else ""))
    for o in outcomes:
        if o.status == "not_applicable" and (why := _no_task(o.rule, base)):
            o.reason = why
    if all(o.status == "not_applicable" for o in outcomes):
        # a gate that checked nothing must not pass: every rule named a task this run lacks (a
        # misspelt task name such as "subjct.accuracy") or a metric nothing scored, or none was given
        tasks = ", ".join(str(t.get("name")) for t in base.tasks)
        raise GateError(f"{rules._origin}: no rule applies to this run (its tasks: {tasks}); "
                        + ("; ".join(f"{o.rule.metric}: {o.reason}" for o in outcomes) or "the rules list is empty"))
    passed = all(o.status != "fail" for o in outcomes)
    return GateResult(passed=passed, baseline=base, candidate=cand, outcomes=outcomes, n_items=len(base.items),
                      regressions=item_regressions(base.items, cand.items, item_scores(base.tasks)))
