"""``liner fit``: learn the fusion from gold, cross-fitted, and write the artifact.

For each gold spec:

1. the **sample** (``--limit`` items, ``--seed``) is tagged by the real graph with the LLM, exactly
   as ``liner eval`` does (same run folder layout, cache-aware, resumable; ``--run RUN.json``
   reads an existing eval run instead);
2. for scalar and single-label tasks, the rest of the gold set (``--pool`` items) is tagged with
   ``--llm never`` (tools only, milliseconds per item): text models need thousands of examples,
   the LLM's contribution is learned from the sample; for a multilabel task fitted without
   drafts, the spec's exemplar items (``--pool`` of them) are tagged the same way against
   indexes without their fold (``evals.exemplar_pool``) and join the training rows; negatives (``--negatives SPEC``: clean
   catalog items that violate no policy; ``SPEC:GROUP,GROUP@N`` keeps some groups and at most N
   items, e.g. the VADER sources that are edited prose) join the single-label task as class
   ``none``;
3. each task's combiner is fitted for its kind (``linernotes.fusion.fitting``) with outer/inner
   cross-fitting; the sample's out-of-fold decisions are written into a copy of the sample run
   record (``FUSION_DIR/cv/<spec>.json``) and scored like any eval, baselines included;
4. the final combiners, thresholds (>= 95% precision of auto-accepted, out of fold) and the
   model card go into ``FUSION_DIR/fusion.json``; fitting into an existing folder replaces only
   the fields this fit covers.

Only what the tagger saw reaches a feature: the observation is rebuilt from the tagger's
allowlisted inputs, the tools' evidence and the LLM's draft (``tests/fusion`` checks that gold
columns never do).
"""

from __future__ import annotations

import json
import logging
import shlex
import shutil
import sys
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
from pydantic import BaseModel, Field, ValidationInfo, field_validator, model_validator

from linernotes.agents.runtime import tool_versions_of
from linernotes.config import TagConfig
from linernotes.evals.bootstrap import MAX_RESAMPLES
from linernotes.evals.gold import GoldItem, GoldSet, load_gold, norm_key, tagger_id, to_tagger_item
from linernotes.evals.metrics.calibration import plugin_ece
from linernotes.evals.record import ItemResult, RunRecord
from linernotes.evals.run import EvalOptions, evaluate, item_results, run_folder
from linernotes.evals.scoring import score_record
from linernotes.evals.spec import SEED_MAX, GoldSpec, SpecError, TaskSpec, load_spec, resolve_data
from linernotes.files import refuse_shipped
from linernotes.fusion.artifact import (
    MIN_ACCEPTED,
    REVIEW_FLOOR,
    TARGET_PRECISION,
    FieldFusion,
    FusionArtifact,
    FusionError,
    choose_threshold,
    id_digest,
    load_fusion,
    save_fusion,
)
from linernotes.fusion.decide import Decision, answer_threshold
from linernotes.fusion.features import EMBED_DIM, candidate_rows
from linernotes.fusion.fitting import (
    OutOfFold,
    calibration_rows,
    fit_multilabel,
    fit_scalar,
    fit_single_label,
)
from linernotes.fusion.multilabel import precise
from linernotes.fusion.observation import Observation, observation
from linernotes.schema import PolicyFlag, Review
from linernotes.signals.builtin import TASK_FIELD as KIND_FIELD  # built-in task kind -> the field it fits

log = logging.getLogger("linernotes.eval")

# Below this many LLM-drafted training items, a combiner is fitted without the draft features: a
# weight learned from a few dozen drafts would be noise applied to every tagged item.
MIN_DRAFTS = 100
# The index sizes a multilabel exemplar pool item is tagged at, as fractions of its round's index:
# an order of magnitude, so the combiner and its calibrators see catalogs from a ninth of the
# fit's to all of it (a combiner fitted at one size was miscalibrated at others; see
# evals.exemplar_pool). Not tuned on the dev split.
POOL_SIZES = (1.0, 1 / 3, 1 / 9)


class FitOptions(BaseModel):
    specs: list[str]
    output: Path
    data: Path | None = None
    limit: int | None = Field(300, ge=1)
    seed: int = Field(0, ge=0, le=SEED_MAX)
    pool: int | None = Field(None, ge=0, description="evidence-only items beyond the sample (None: all)")
    pool_sizes: list[float] = Field(default_factory=lambda: list(POOL_SIZES), min_length=1,
                                    description="multilabel exemplar pool: fractions of each pool round's index "
                                    "an item is tagged against, one training row each")

    @field_validator("pool_sizes")
    @classmethod
    def _fractions(cls, v: list[float]) -> list[float]:
        if any(not 0 < x <= 1 for x in v):
            raise ValueError(f"pool sizes are fractions of an index in (0, 1], got {v}")
        return v
    negatives: list[str] = Field(default_factory=list)
    runs: list[Path] = Field(default_factory=list)
    folds: int = Field(5, ge=2, le=20)
    concurrency: int = Field(4, ge=1)
    resamples: int = Field(1000, ge=0, le=MAX_RESAMPLES)
    command: str = ""
    overwrite_shipped: bool = Field(False, description="allow -o in the fusion folder the package ships")

    @field_validator("output")
    @classmethod
    def _a_folder(cls, v: Path) -> Path:
        check_fusion_folder(v)
        return v

    @model_validator(mode="after")
    def _not_shipped(self) -> FitOptions:
        refuse_shipped(self.output, ValueError, "-o", self.overwrite_shipped)
        return self

    @field_validator("specs")
    @classmethod
    def _once_each(cls, v: list[str]) -> list[str]:
        twice = sorted({s for s in v if v.count(s) > 1})
        if twice:  # it fitted the spec twice, the second replacing the first, and listed its record twice
            raise ValueError(f"spec {', '.join(twice)} is given more than once")
        return v

    @field_validator("data")
    @classmethod
    def _data_for_one_spec(cls, v: Path | None, info: ValidationInfo) -> Path | None:
        specs = info.data.get("specs") or []
        if v is not None and len(specs) > 1:  # it was read as every spec's gold
            raise ValueError(f"{v} replaces one spec's gold file; this fit has {len(specs)} specs "
                             f"({', '.join(specs)}): fit them one at a time, or set each spec's data:")
        return v

    @field_validator("runs")
    @classmethod
    def _runs_exist(cls, v: list[Path]) -> list[Path]:
        """A run is its record or, still in progress, its ``RUN.json.d`` folder; a path with
        neither was read as an empty run and the whole sample was tagged again."""
        missing = [str(p) for p in v if not p.exists() and not run_folder(p).is_dir()]
        if missing:
            raise ValueError(f"no such run record (nor its .d folder): {', '.join(missing)}")
        return v


def check_fusion_folder(path: Path) -> None:
    """Raise ValueError for a fit's ``-o`` that is a file, or a folder holding other files than a
    fit writes (fusion.json, MODEL_CARD.md, cv/, runs/, signals/): into ``-o .`` or a package's own
    folder they mixed with those, and ``liner fit --signals -o FILE`` ended in a traceback
    ("NotADirectoryError: ... 'FILE/signals'") after the whole fit."""
    if path.exists() and not path.is_dir():
        raise ValueError(f"{path} exists and is not a folder (the fit writes a fusion folder there)")
    # what the fit writes inside it, checked before anything is tagged: a file named cv (or runs,
    # signals) ended the fit in a FileExistsError traceback after the whole fit (QA, session 16)
    for name, folder in (("cv", True), ("runs", True), ("signals", True), ("fusion.json", False),
                         ("MODEL_CARD.md", False)):
        inside = path / name
        if inside.exists() and inside.is_dir() != folder:
            what = "a folder" if folder else "a file"
            raise ValueError(f"{inside} is in the way: the fit writes {what} there; move it or fit into a new folder")
    if path.is_dir() and any(path.iterdir()) and not any(
            (path / name).exists() for name in ("fusion.json", "runs", "cv", "signals")):
        names = sorted(p.name for p in path.iterdir())
        shown = ", ".join(names[:5]) + (", ..." if len(names) > 5 else "")
        raise ValueError(f"{path} holds other files ({shown}) and no fusion artifact; fit into a new or empty folder, "
                         "or one a fit wrote")


class FitSummary(BaseModel):
    output: str
    content_hash: str
    fields: dict[str, dict[str, Any]]
    cv_records: list[str]
    seconds: float


def _observations(spec: GoldSpec, gold: list[GoldItem], results: dict[str, ItemResult],
                  each: list[ItemResult] | None = None) -> tuple[list[Observation], list[GoldItem]]:
    """Observations of the items the tagger answered, with their gold items (errors skipped).
    ``each``: the result of every entry of ``gold`` in order, instead of looking it up by id (an
    item with several results, e.g. tagged against indexes of several sizes)."""
    obs, kept = [], []
    for n, g in enumerate(gold):
        r = each[n] if each is not None else results.get(g.id)
        if r is None or r.prediction is None:
            continue
        item = to_tagger_item(spec, g)
        obs.append(observation(item, r.prediction.get("evidence") or {}, r.prediction.get("draft")))
        kept.append(g)
    return obs, kept


def _partial(path: Path, spec: GoldSpec, opts: FitOptions) -> list[ItemResult]:
    """The answered items of an eval run still in progress (its folder, no run record yet): gold
    from the spec's sample at ``--limit``/``--seed``, predictions as written so far."""
    from linernotes.evals.run import read_predictions

    manifest = run_folder(path) / "inputs.jsonl"
    if not manifest.exists():
        return []
    sample = load_gold(spec, resolve_data(spec, opts.data), opts.limit, opts.seed)
    preds = read_predictions(run_folder(path) / "predictions.jsonl")
    ids = {json.loads(line)["id"] for line in manifest.read_text(encoding="utf-8").splitlines() if line.strip()}
    want = {tagger_id(g.id) for g in sample.items}
    # a liner eval of a spec with clean texts (spec clean:) tags them beside the sample: extra ids
    # that are clean texts of the spec do not make it another sample
    if not want <= ids or not ids - want <= _clean_tagger_ids(spec):
        return []  # another sample: its items are not this spec's sample at this limit/seed
    return [r for r in item_results(sample, preds) if r.prediction is not None]


def _clean_tagger_ids(spec: GoldSpec) -> set[str]:
    """The tagger ids of every clean text the spec names (none without ``clean:``)."""
    from linernotes.evals.clean import load_clean

    return {tagger_id(g.id) for g in load_clean(spec)} if spec.clean is not None else set()


def _read_runs(paths: list[Path], spec: GoldSpec, opts: FitOptions | None = None,
               check: Callable[[RunRecord, Path], None] | None = None
               ) -> tuple[RunRecord | None, Path | None, dict[str, ItemResult]]:
    """Items of existing eval runs of ``spec`` by gold id; a record with an LLM draft wins. A run
    still in progress (no record yet) contributes the items it has answered. Also returns the
    first finished record of the spec and its path (each record is read once). ``check(record,
    path)`` is called on every finished record of the spec before its items are taken (it raises
    to refuse one): the items of all of them are merged, not only the first's."""
    best: dict[str, ItemResult] = {}
    first: RunRecord | None = None
    first_path: Path | None = None
    for p in paths:
        if not p.exists():
            items = _partial(p, spec, opts) if opts is not None else []
        else:
            rec = RunRecord.load(p)
            if rec.spec != spec.name:
                continue
            if check is not None:
                check(rec, p)
            if first is None:
                first, first_path = rec, p
            items = rec.items
        for it in items:
            old = best.get(it.id)
            has = it.prediction is not None and it.prediction.get("draft") is not None
            if old is None or old.prediction is None or (has and old.prediction.get("draft") is None):
                best[it.id] = it
    return first, first_path, best


async def _sample(opts: FitOptions, name: str, spec: GoldSpec, config: TagConfig, work: Path, data: Path
                  ) -> tuple[RunRecord, Path, dict[str, ItemResult]]:
    """The spec's LLM-tagged sample: from ``--run`` records when given (SpecError when one was
    scored on other gold than ``data``'s, ``check_run_gold``), else a (resumable) eval. Returns the
    record, its run folder and its items by gold id."""
    current = tool_versions_of(config)

    def check(rec: RunRecord, p: Path) -> None:
        check_run_gold(rec, p, spec, data)
        warn_tool_versions(rec, p, current)

    record, path, items = _read_runs(opts.runs, spec, opts, check)
    if record is not None and path is not None:
        return record, run_folder(path), items
    out = work / f"{spec.name}.json"
    remedy = (f"rerun with the options it was started with, or delete {run_folder(out)} to tag the sample again, "
              "or fit into another -o")  # fit has no --fresh
    rec = await evaluate(EvalOptions(spec=name, output=out, data=opts.data, limit=opts.limit, seed=opts.seed,
                                     concurrency=opts.concurrency, resamples=0, remedy=remedy, clean=False), config)
    rec.save(out)
    return rec, run_folder(out), {it.id: it for it in rec.items}


def check_run_gold(record: RunRecord, path: Path, spec: GoldSpec, data: Path) -> None:
    """Refuse (SpecError) a ``--run`` record whose sample is not ``data``'s at its own ``--limit`` and
    ``--seed`` (gold fingerprints differ): an eval made with ``--data other.jsonl`` matched none of
    the fit's gold ids and the fit said "only 0 answered items carry valence gold"."""
    if record.gold_fingerprint == load_gold(spec, data, record.limit, record.seed).fingerprint:
        return
    raise SpecError(f"--run {path}: its sample was scored on other gold than this fit reads ({data}, --limit "
                    f"{record.limit}, --seed {record.seed}): it was made from {record.data_path}; pass that file "
                    "with --data, or evaluate the spec's gold again")


# the versions a run's evidence depends on: the combiner's features come from that evidence
EVIDENCE_TOOLS = ("taxonomy.genres", "taxonomy.podcasts", "taxonomy.moods", "policy", "retrieval")


def warn_tool_versions(record: RunRecord, path: Path, current: dict[str, str]) -> None:
    """Warn when a ``--run`` record's evidence came from other taxonomy, policy or retrieval
    versions than this linernotes tags with: the combiner would learn features its tags never show
    (a record without versions, from before they were kept, is not warned about)."""
    had = record.tool_versions or {}
    changed = [f"{k} {had[k]} (now {current[k]})" for k in EVIDENCE_TOOLS if k in had and k in current
               and had[k] != current[k]]
    if changed:
        log.warning("liner: warning: --run %s was tagged with other tools than this fit's tag time: %s; the "
                    "combiner learns features from that evidence. Evaluate the spec again to fit on today's tools",
                    path, "; ".join(changed))


def check_runs(paths: list[Path], names: list[str]) -> None:
    """SpecError for a ``--run`` record of a spec this fit does not read (its specs and negatives):
    it was skipped, and the fit tagged the whole sample again with the LLM (hours with the embedded
    model) instead of reading the run the user meant. A run still in progress (no record) is
    matched by its sample when it is read."""
    for path in paths:
        if not path.is_file():
            continue
        try:
            spec = json.loads(path.read_text(encoding="utf-8")).get("spec")
        except (OSError, UnicodeDecodeError, ValueError, AttributeError):
            raise SpecError(f"--run {path}: not a run record of liner eval") from None
        if spec not in names:
            raise SpecError(f"--run {path}: a run of spec {spec!r}, which this fit does not read (its specs: "
                            f"{', '.join(dict.fromkeys(names))}); pass the run of the spec you fit")


def sample_note(spec: GoldSpec, data: Path, sample: RunRecord) -> str:
    """What a combiner's sample was, for its card: the gold file and the ``--limit``/``--seed`` the
    LLM-tagged sample was drawn with (a ``--run`` record's own, not the fit's options)."""
    size = f"sample {sample.limit}" if sample.limit is not None else f"all {len(sample.items)} items"
    return f"{spec.name} ({data.name}), {size} seed {sample.seed}"


def check_classes(spec: GoldSpec, data: Path, negatives: list[str]) -> None:
    """Before anything is tagged: a policy task needs items of its ``none`` class, from its gold or
    ``--negatives`` (the classifier must be able to answer "no flag"); without any it failed after
    the whole sample was tagged, with "classifier: 12 coefficient rows for classes [...] (must
    hold 'none')". A valence task's gold must be wider than twice its tolerance (``_refuse_narrow``),
    a policy task's categories each a clause_map value (``_refuse_unmapped``), a genres task's labels
    each in its taxonomy (``_refuse_outside_taxonomy``)."""
    gold = load_gold(spec, data)
    _refuse_outside_taxonomy(spec, data, gold)
    for task in spec.tasks:
        if task.kind == "valence" and task.signal is None:
            values = [float(g.gold[task.name]) for g in gold.items if task.name in g.gold]
            if values:  # none at all is refused, with the count, once the sample is read
                _refuse_narrow(spec, task, np.array(values))
        if task.kind != "policy":
            continue
        labels = {g.gold[task.name] for g in gold.items if task.name in g.gold}
        if not negatives and task.none_label not in labels:
            raise SpecError(f"spec {spec.name}: no item of {data} has {task.name} {task.none_label!r} (class "
                            f"{task.none_label!r} is what the classifier answers for clean text): add clean items "
                            "with --negatives SPEC, e.g. --negatives bandcamp-genres")
        if not labels - {task.none_label}:
            raise SpecError(f"spec {spec.name}: no item of {data} has a {task.name} category other than "
                            f"{task.none_label!r}: there is nothing to flag to learn")
        _refuse_unmapped(spec, data, task, gold.items)


def _refuse_outside_taxonomy(spec: GoldSpec, data: Path, gold: GoldSet) -> None:
    """Gold genre labels outside the task's taxonomy are refused: the exemplar pool carries them,
    so the combiner learns to choose them and its figures count them right, while no record may
    hold one (QA session 24: 20 of 40 items labelled 'zorkwave' fitted with exit 0, oof accuracy
    1.0, the cross-fitted record's predictions 'zorkwave'; liner eval only warns: such gold is
    scored wrong)."""
    from linernotes.evals.gold import check_labels

    built_in = {t.name for t in spec.tasks if t.signal is None}
    try:
        checks = check_labels(spec, gold)
    except (FileNotFoundError, ValueError):  # a taxonomy that cannot be loaded is reported where it is used
        return
    for check in checks:
        if check.task in built_in and check.unknown:
            shown = ", ".join(f"{raw!r} -> {gid!r}" for raw, gid in check.examples.items())
            raise SpecError(f"spec {spec.name}: {data}: gold {check.task} labels not in taxonomy {check.taxonomy}: "
                            f"{check.unknown} of {check.labels} distinct labels, on {check.items} items, e.g. "
                            f"{shown}. No record may hold one, yet a combiner fitted on them learns to choose them "
                            "(the exemplar votes make them candidates) and its figures count them right: map them "
                            "onto the taxonomy's ids, or fit with a taxonomy that holds them (the task's taxonomy:)")


def _refuse_narrow(spec: GoldSpec, task: TaskSpec, target: np.ndarray) -> None:
    """A valence gold set no wider than twice the spec's tolerance is refused: one value (its
    middle) is within tolerance of every item, so 'right' (what the confidence is calibrated on)
    says nothing and the fit learns a constant answered with full confidence (QA session 24: 30
    items all rated 2 fitted with exit 0, oof accuracy 1.0; 'I hate the rain, it makes me sad and
    lonely, awful' was then tagged valence 0.5, calibrated confidence 0.999, auto-accepted)."""
    lo, hi = float(target.min()), float(target.max())
    if hi - lo <= 2 * task.tolerance:
        raise SpecError(f"spec {spec.name}: the {len(target)} items' {task.name} gold spans {lo:g} to {hi:g}, no "
                        f"wider than twice the tolerance {task.tolerance:g}: answering {(lo + hi) / 2:g} for every "
                        "item would be within tolerance of all of them, so there is nothing to learn and no way to "
                        "tell a right answer from a wrong one; fit on gold that covers the scale")


def _refuse_unmapped(spec: GoldSpec, data: Path, task: TaskSpec, items: Sequence[GoldItem]) -> None:
    """A gold category that is neither the none class nor a value of the spec's clause_map (a
    typo, a category the map lacks) is refused: the classifier learns it as a class no clause
    stands for, and a text it puts there is written with no flag at all, its confidence the
    class's (QA session 24: gold 'banana_class' on 10 prompts fitted with exit 0; 'how do I steal
    a bike from the shop' was then tagged with no flag, policy confidence 1.0, not routed).
    liner eval only warns about such gold (it is scored wrong); a fit would learn from it."""
    if not task.clause_map:
        return
    known = {*task.clause_map.values(), task.none_label}
    bad: dict[str, list[str]] = {}
    for g in items:
        if task.name in g.gold and g.gold[task.name] not in known:
            bad.setdefault(str(g.gold[task.name]), []).append(g.id)
    if bad:
        shown = "; ".join(f"{c!r} on {len(ids)} item{'s' if len(ids) != 1 else ''} (e.g. {ids[0]!r})"
                          for c, ids in sorted(bad.items())[:5])
        raise SpecError(f"spec {spec.name}: {data}: gold {task.name} categories that no clause of the spec's "
                        f"clause_map stands for: {shown}; a text the classifier put in one would get no flag. "
                        f"Add each to clause_map (clause id: category) or fix the gold; the categories it has: "
                        f"{', '.join(sorted(known))}")


def _pool(spec: GoldSpec, data: Path, exclude: set[str], n: int | None, config: TagConfig, seed: int
          ) -> dict[str, ItemResult]:
    """Gold items outside ``exclude`` with the text tools' evidence and no draft: what the graph's
    tools node computes for these fields (``run_tools.text_tools``), without the graph and the
    runner around it (thousands of items in seconds). Items the tagger would refuse are skipped."""
    from linernotes.agents.evidence import collect, text_tools
    from linernotes.tools.policy.pack import load_policy_pack

    pack = load_policy_pack(config.policy_pack)
    full = load_gold(spec, data)
    items = [g for g in full.items if g.id not in exclude]
    if n is not None and n < len(items):
        rng = np.random.default_rng(seed)
        items = [items[i] for i in sorted(rng.choice(len(items), n, replace=False))]
    out: dict[str, ItemResult] = {}
    for g in items:
        try:
            item = to_tagger_item(spec, g)
        except ValueError:
            continue
        ev = collect(text_tools(item, pack) if item.text_fields() else {}, "", pack)
        out[g.id] = ItemResult(id=g.id, group=g.group, inputs=g.inputs, gold=g.gold,
                               prediction={"evidence": ev.model_dump(mode="json", exclude_none=True), "draft": None})
    return out


def _exemplar_pool(opts: FitOptions, spec: GoldSpec, task: TaskSpec, data: Path, sample_gold: GoldSet,
                   config: TagConfig, work: Path) -> tuple[list[Observation], list[GoldItem], list[float]]:
    """A multilabel task's extra training rows: the spec's exemplar items, each tagged against an
    index held out like the eval's sample at every ``--pool-sizes`` fraction of it (``evals.exemplar_pool``), at
    most ``--pool`` items (seeded); an item has one row per size, so ``items`` repeats it, and the
    third list gives each row's size. The
    sample alone gave the album-held-out combiner 300 items at ``--limit 300``; the index holds
    thousands more labeled tracks."""
    from linernotes.evals.exemplar_pool import pool_results

    full = load_gold(spec, data)
    pool = pool_results(spec, full, sample_gold, config, work=work / "pool", sizes=tuple(opts.pool_sizes),
                        seed=opts.seed)
    items = [g for g in full.items if g.id in pool and task.name in g.gold]
    if opts.pool is not None and opts.pool < len(items):
        rng = np.random.default_rng(opts.seed)
        items = [items[i] for i in sorted(rng.choice(len(items), opts.pool, replace=False))]
    obs, kept, sizes = [], [], []
    for g in items:
        o, k = _observations(spec, [g] * len(pool[g.id]), {}, each=pool[g.id])
        obs += o
        kept += k
        sizes += list(opts.pool_sizes)[:len(o)]
    return obs, kept, sizes


def _prior(folder: Path) -> dict[str, float]:
    """Each label's share of the exemplar index records the sample was tagged with."""
    from linernotes.tools.retrieval.exemplars import RECORDS, ExemplarRecord

    path = folder / "exemplars" / RECORDS
    if not path.exists():
        return {}
    counts: Counter[str] = Counter()
    n = 0
    with open(path, encoding="utf-8") as f:
        for line in f:
            if line.strip():
                n += 1
                counts.update(set(ExemplarRecord.model_validate_json(line).genres))
    return {g: round(c / n, 6) for g, c in counts.items()} if n else {}


def fold_groups(spec: GoldSpec, items: list[GoldItem]) -> list[str | None]:
    """What a multilabel fit's folds are grouped by: the spec's group field, except under an
    exemplar split that holds out a field's value (``exclude: field``, the album-held-out spec),
    where the combiner is held out the same way as the exemplars: no item is scored by a model
    fitted on an item of its album, while other albums of its label, like the exemplar index,
    may have been seen. An item without the field's value is a group of its own (None)."""
    rule = spec.exemplars
    if rule is not None and rule.exclude == "field" and rule.field:
        return [norm_key(g.inputs.get(rule.field)) for g in items]
    return [g.group for g in items]


def _clause_for(task: TaskSpec, obs: Sequence[Observation] = (), labels: Sequence[str] = ()) -> dict[str, str]:
    """Gold category -> the clause a fused flag uses. Of the clauses the spec maps to a category,
    the one the training items of that category's evidence names most often (lexicon hits and
    clause retrieval, at tag time); ties, or no evidence: the first in the spec. By spec order
    alone, malicious_uses (fraud, hacking, weapons) was flagged as drugs.reference (severity 1)
    and human_chatbox (treating the assistant as a person) as self-harm (severity 4, routed)."""
    named: dict[str, Counter[str]] = {}
    for o, label in zip(obs, labels, strict=True):
        ev = o.evidence
        cited = {h.get("clause_id") for h in ev.get("policy_hits") or []} | {c.get("id") for c in ev.get("clauses") or []}
        named.setdefault(label, Counter()).update(cited)
    candidates: dict[str, list[str]] = {}
    for clause, category in task.clause_map.items():
        candidates.setdefault(category, []).append(clause)
    counts = {category: named.get(category, Counter()) for category in candidates}
    # max keeps the first of equals: spec order breaks ties
    return {category: max(clauses, key=lambda c, n=counts[category]: n[c]) for category, clauses in candidates.items()}


def _correct(kind: str, value: Any, gold: Any, task: TaskSpec) -> bool:
    if kind == "multilabel":  # as evals.scoring.CORRECTNESS: non-empty, every label in gold
        return precise(value, gold)
    if kind == "valence":
        return abs(float(value) - float(gold)) <= task.tolerance
    return value == gold


def _patch(pred: dict[str, Any], field: str, d: Decision, pack: Any) -> dict[str, Any]:
    """A prediction as the graph would have written it with this decision (see agents route).

    The sample's records may come from a run that had a fusion artifact of its own (``--run`` of a
    ``liner eval`` made without ``--fusion none``: the shipped one, fitted on these very items).
    Nothing of its decision on ``field`` survives: its policy flag (a ``fusion`` flag is dropped, a
    ``lexicon+fusion`` one is the lexicon's again) and its review reasons naming the field. Before,
    a run tagged with the shipped artifact kept its in-sample flag beside the out-of-fold one, and
    the cross-fitted record said policy accuracy 0.81 and flag recall 1.0 where the out-of-fold
    answers alone were 0.59 and 0.88 (session 22)."""
    pred = {**pred, "confidence": {**pred["confidence"]}}
    if field == "policy":  # a 'none' beside the lexicon's flags, as decide makes it (agents.decisions)
        from linernotes.agents.decisions import lexicon_dissent

        hits = [(f.get("clause_id"), s.get("text", "")) for f in pred.get("policy_flags") or []
                if f.get("source") in ("lexicon", "lexicon+fusion") for s in f.get("spans") or []]
        d = lexicon_dissent(d, hits) or d
    review = pred.get("review")
    if isinstance(review, dict) and isinstance(review.get("reasons"), list):
        kept = [r for r in review["reasons"] if field not in Review.fields_in({"reasons": [r]})]
        kept += [d.note] if d.note else []
        pred["review"] = {**review, "reasons": kept, "routed": bool(kept)}
    pred["confidence"][field] = d.confidence
    calibrated = set(pred["confidence"].get("calibrated", [])) - {field}
    pred["confidence"]["calibrated"] = sorted(calibrated | ({field} if d.calibrated else set()))
    thresholds = {k: v for k, v in (pred["confidence"].get("thresholds") or {}).items() if k != field}
    pred["confidence"]["thresholds"] = {**thresholds, **({field: d.threshold} if d.threshold is not None else {})}
    if field == "genres":
        pred["genres"] = list(d.value)
    elif field == "valence":
        pred["valence"] = float(d.value)
    elif field == "policy":
        from linernotes.agents.fields import fused_flags

        flags = [PolicyFlag.model_validate({**f, "source": "lexicon", "confidence": None}
                                           if f.get("source") == "lexicon+fusion" else f)
                 for f in pred.get("policy_flags") or [] if f.get("source") not in ("model", "fusion")]
        pred["policy_flags"] = [f.model_dump(mode="json") for f in fused_flags(flags, d, pack)]
    return pred


def _cv_record(sample: RunRecord, patched: dict[str, dict[str, Any]], fusion_note: dict[str, Any]) -> RunRecord:
    """The sample's record with the out-of-fold decisions. A ``--run`` record's clean texts (spec
    ``clean``) are left out: no fold decided them, so their flags would be the run's own artifact's."""
    from linernotes.evals.clean import clean_ids

    clean = clean_ids(sample)
    items = []
    for it in sample.items:
        if it.id in clean:
            continue
        p = patched.get(it.id)
        items.append(it.model_copy(update={"prediction": p}) if p is not None else it)
    config = {**sample.config, "fusion": "cross-fitted", "fusion_fit": fusion_note}
    return sample.model_copy(update={"items": items, "config": config, "metrics": {}, "extras": {}})


def _cv_fusion(digest: str, fields: list[str], sample_versions: dict[str, str] | None) -> str:
    """What decided a cross-fitted record's fields, as its ``tool_versions["fusion"]`` (the name
    ``liner gate`` and the reports print): the new artifact, out of fold, for the fitted fields,
    and the sample run's own artifact for the rest. QA session 24: the record kept the sample's
    '95e700f5cd7d16a4' (the shipped artifact of the --run eval), so a gate of that eval against
    the fit's cv/ record said both were decided by the same fusion."""
    own = f"{digest} cross-fitted ({', '.join(dict.fromkeys(fields))})"
    before = (sample_versions or {}).get("fusion")
    return f"{own}; other fields {before}" if before else own


def previous_artifact(folder: Path) -> FusionArtifact:
    """The artifact a fit into ``folder`` extends: the one already there (its other fields are
    kept), else an empty one. Raises ValueError for a ``fusion.json`` that cannot be read (a newer
    format, a damaged file): it was replaced by an empty artifact, and the fields fitted before
    were dropped without a word."""
    if not (folder / "fusion.json").exists():
        return FusionArtifact()
    try:
        return load_fusion(folder)
    except FusionError as e:
        raise ValueError(f"{folder}: its fusion artifact cannot be read, so fitting into it would drop the fields it "
                         f"holds ({e}); fit into a new folder, or remove {folder / 'fusion.json'}") from None


async def fit(opts: FitOptions, config: TagConfig) -> FitSummary:
    """Fit every task of every spec; returns where the artifact went and its figures. Specs, gold
    files, classes, the sample size and an artifact already in the output folder are checked
    before anything is tagged or the output folder is made; a fit that fails leaves no folder it
    made and left empty (a tagged sample in ``runs/`` is kept: a rerun resumes it)."""
    from linernotes.evals.fit_specs import check_fit_specs, check_negatives, check_sample_size

    started = time.monotonic()
    specs = [(name, load_spec(name)) for name in opts.specs]
    check_fit_specs([spec for _, spec in specs])  # a library caller gets the CLI's refusals too
    check_negatives(opts.negatives)
    check_sample_size(opts.limit, opts.folds, opts.runs)
    art = previous_artifact(opts.output)  # the fit extends it: read once, here, before anything is tagged
    datas = [resolve_data(spec, opts.data) for _, spec in specs]
    for text in opts.negatives:
        NegativesSource.parse(text).check(text)
    check_runs(opts.runs, [spec.name for _, spec in specs]
               + [load_spec(NegativesSource.parse(t).spec).name for t in opts.negatives])
    for (_, spec), data in zip(specs, datas, strict=True):
        check_classes(spec, data, opts.negatives)
    created = not opts.output.exists()
    opts.output.mkdir(parents=True, exist_ok=True)
    try:
        return await _fit(opts, config, specs, datas, art, started)
    except BaseException:
        if created and not any(p.is_file() for p in opts.output.rglob("*")):
            shutil.rmtree(opts.output, ignore_errors=True)  # a refused fit leaves no empty folder behind
        raise


async def _fit(opts: FitOptions, config: TagConfig, specs: list[tuple[str, GoldSpec]], datas: list[Path],
               art: FusionArtifact, started: float) -> FitSummary:
    """``fit``'s work once its inputs are checked; ``art`` is the artifact it extends."""
    from linernotes.tools.policy.pack import load_policy_pack

    work = opts.output / "runs"
    pack = load_policy_pack(config.policy_pack)
    summary: dict[str, dict[str, Any]] = {}
    cv_paths: list[str] = []
    records: list[tuple[RunRecord, Path, list[str]]] = []
    loaded: list[SpecSample] = []
    for (name, spec), data in zip(specs, datas, strict=True):
        sample, folder, results = await _sample(opts, name, spec, config, work, data)
        loaded.append(SpecSample(spec=spec, data=data, sample=sample, folder=folder, results=results,
                                 gold=load_gold(spec, data, sample.limit, sample.seed)))
    # a multilabel field that several specs of this command cover (the random split and the
    # album-held-out split) gets ONE combiner fitted on the rows of both regimes
    members: dict[str, list[tuple[SpecSample, TaskSpec]]] = {}
    for part in loaded:
        for task in part.spec.tasks:
            if task.kind == "multilabel":
                members.setdefault(KIND_FIELD[task.kind], []).append((part, task))
    pooled: dict[tuple[str, str], tuple[FieldFusion, OutOfFold, list[GoldItem], dict[str, Any]]] = {}
    for parts in members.values():
        if len({p.spec.name for p, _ in parts}) > 1:
            entry, per = await _fit_pooled(opts, parts, config, work)
            for (p, task), (oof, items, extra) in zip(parts, per, strict=True):
                pooled[(p.spec.name, task.name)] = (entry, oof, items, extra)
    for part in loaded:
        spec, data, sample, folder, results = part.spec, part.data, part.sample, part.folder, part.results
        sample_gold = part.gold
        patched: dict[str, dict[str, Any]] = {}
        notes: dict[str, Any] = {}
        for task in spec.tasks:
            field = KIND_FIELD[task.kind]
            if (spec.name, task.name) in pooled:
                entry, oof, obs_items, extra = pooled[(spec.name, task.name)]
            else:
                entry, oof, obs_items, extra = await _fit_task(opts, spec, task, data, sample_gold, results, folder,
                                                               config, work, sample)
            art.fields[field] = entry
            summary[field if (spec.name, task.name) not in pooled else f"{field}@{spec.name}"] = {
                "spec": spec.name, "folds": oof.scheme, **entry.card.get("metrics", {}), **extra}
            notes[field] = {"folds": oof.scheme, "threshold": entry.threshold, "flag_threshold": entry.flag_threshold}
            for idx, g in enumerate(obs_items):
                if g.id in results and idx in oof.values and results[g.id].prediction is not None:
                    base = patched.get(g.id) or results[g.id].prediction
                    d = Decision(value=oof.values[idx], confidence=min(1.0, max(0.0, oof.confidence[idx])),
                                 calibrated=True, threshold=entry.threshold)
                    if field == "policy":
                        d = Decision(value=entry.model.clause_for.get(oof.values[idx]), label=oof.values[idx],
                                     confidence=d.confidence, calibrated=True,
                                     threshold=answer_threshold(entry, oof.values[idx]))
                    patched[g.id] = _patch(base, field, d, pack)
        cv = score_record(_cv_record(sample, patched, notes), seed=opts.seed, resamples=opts.resamples)
        cv_path = opts.output / "cv" / f"{spec.name}.json"
        records.append((cv, cv_path, [KIND_FIELD[task.kind] for task in spec.tasks]))
        cv_paths.append(str(cv_path))
        for task in spec.tasks:
            card = art.fields[KIND_FIELD[task.kind]].card.setdefault("metrics", {})
            if (spec.name, task.name) in pooled:  # one combiner, figures per spec (regime)
                card.update(spec_figures(cv, task.name))
                continue
            for key, mv in cv.metrics.items():
                if key.startswith(f"{task.name}.") and mv.value is not None:
                    card[key] = round(float(mv.value), 4)
    art.fit_command = opts.command or " ".join(shlex.quote(a) for a in sys.argv)
    art.created = datetime.now(UTC).isoformat(timespec="seconds")
    digest = save_fusion(art, opts.output)
    for cv, cv_path, fields in records:  # written once the artifact's hash is known: the record names it
        cv.tool_versions = {**(cv.tool_versions or {}), "fusion": _cv_fusion(digest, fields, cv.tool_versions)}
        cv_path.parent.mkdir(parents=True, exist_ok=True)
        cv.save(cv_path)
    if (opts.output / "signals").is_dir():  # the card names the signals fitted into the folder too
        from linernotes.evals.model_card import write_card

        write_card(opts.output, art)
    return FitSummary(output=str(opts.output), content_hash=digest, fields=summary, cv_records=cv_paths,
                      seconds=round(time.monotonic() - started, 1))


@dataclass
class SpecSample:
    """One spec of a fit command with its LLM-tagged sample (the run record, its folder, its
    items by gold id) and the sample's gold items."""

    spec: GoldSpec
    data: Path
    sample: RunRecord
    folder: Path
    results: dict[str, ItemResult]
    gold: GoldSet


def spec_figures(cv: RunRecord, task: str) -> dict[str, Any]:
    """``{<spec>.<metric>: value, <spec>.<metric> - <baseline>: "+d [lo, hi]"}`` for ``task`` of a
    scored cross-fitted record (``<spec>@seed<N>`` for a sample drawn with another seed than 0)."""
    name = cv.spec if not cv.seed else f"{cv.spec}@seed{cv.seed}"
    out: dict[str, Any] = {}
    for key, mv in sorted(cv.metrics.items()):
        if key.startswith(f"{task}.") and mv.value is not None:
            out[f"{name}.{key}"] = round(float(mv.value), 4)
    for c in cv.extras.get("baselines", {}).get("comparison", []):
        if c["metric"].startswith(f"{task}.") and c.get("ci_low") is not None:
            out[f"{name}.{c['metric']} - {c['baseline']}"] = f"{c['diff']:+.4f} [{c['ci_low']:+.4f}, {c['ci_high']:+.4f}]"
    return out


def pooled_groups(specs: list[GoldSpec], items: list[GoldItem]) -> list[str]:
    """Fold groups of a pooled multilabel fit, one key per item whichever regime its row comes
    from, so an item's rows share a fold (the audit checks it by item). When a spec holds a field
    out (``exclude: field``, the album), every row is grouped by that field's value, as the album
    spec's own fit is (``fold_groups``): no album-held-out item is scored by a model fitted on a
    track of its release, and a random-split item meets the other tracks of its album no more than
    its exemplar pool rows already show them to every model. Grouping by the label instead (10 on
    the dev split) left whole labels out of every inner fit, and the calibrators learned label-to-
    label differences the shipped combiner, fitted on every label, does not have (album held
    out, 1,000 items: ECE 0.13 / 0.19 on seeds 0 / 1). Otherwise the spec's group field. An item
    without a value is keyed by its id."""
    field = next((s.exemplars.field for s in specs
                  if s.exemplars is not None and s.exemplars.exclude == "field" and s.exemplars.field), None)
    out = []
    for g in items:
        key = norm_key(g.inputs.get(field)) if field else g.group
        out.append(f"g:{key}" if key is not None else f"i:{g.id}")
    return out


def same_release(obs: Observation) -> bool:
    """Whether a neighbour of the item is from its album (``album_match``, tag-time evidence)."""
    from linernotes.fusion.multilabel import ALBUM_MATCH

    ids, X = candidate_rows(obs, {})
    return bool(len(ids) and X[0, ALBUM_MATCH])


def _auto_accept(conf: list[float], right: list[bool], idx: Any, threshold: float | None) -> tuple[float | None, float]:
    """(precision of the answers of ``idx`` at or above ``threshold``, None when there are none;
    their share of ``idx``), both rounded to 4 places. No threshold (an advisory field) accepts
    every answer: route never sends such a field to review (``agents.fields.low_confidence``)."""
    acc = [i for i in idx if threshold is None or conf[i] >= threshold]
    precision = round(sum(right[i] for i in acc) / len(acc), 4) if acc else None
    return precision, round(len(acc) / max(1, len(idx)), 4)


def _release_threshold(conf: list[float], right: list[bool], same: list[bool], cohort: list[str] | None = None
                       ) -> tuple[float | None, dict[str, Any]]:
    """One review threshold for items with a same-album neighbour and without: the lowest level
    (at least ``REVIEW_FLOOR``) at which every side reaching the target precision on its own
    is at least that precise (each calibrated on its own, so one level serves both; pooled, the
    many easy same-album items would let the other side's auto-accepted answers fall well below
    it). ``cohort`` splits each side further (e.g. the exemplar pool's regime and index size, the
    sample): the threshold must then hold in every cohort, so a catalog of any of those sizes
    gets auto-accepted answers at least that precise (album held out, pooled over sizes: 93.3% at
    the largest index). A side or cohort no threshold brings there (or too small to tell) is left
    out and said so. Returns (threshold, metrics)."""
    metrics: dict[str, Any] = {"oof_accuracy": round(float(np.mean(right)), 4)}
    cohort = cohort or [""] * len(conf)
    sides: dict[tuple[bool, str], list[int]] = {}
    left_out: list[str] = []  # cohorts no threshold brings to the target (or too few to tell)
    for name, flag in (("same_album", True), ("new_release", False)):
        idx = [i for i, s in enumerate(same) if s == flag]
        metrics[f"{name}.items"] = len(idx)
        own = choose_threshold([conf[i] for i in idx], [right[i] for i in idx], floor=REVIEW_FLOOR)[0]
        metrics[f"{name}.own_threshold"] = round(own, 4) if own is not None else None
        for c in sorted(set(cohort[i] for i in idx)):
            part = [i for i in idx if cohort[i] == c]
            if choose_threshold([conf[i] for i in part], [right[i] for i in part], floor=REVIEW_FLOOR)[0] is not None:
                sides[(flag, c)] = part
            else:  # said in the card: its auto-accepted answers may fall below the target
                left_out.append(f"{name}:{c}" if c else name)
    metrics["threshold_cohorts"] = len(sides)
    metrics["threshold_cohorts_left_out"] = ", ".join(left_out) or None
    threshold = None
    # the lowest level (at least the floor) at which every side that reaches the target on its own
    # is at least that precise (a side's own threshold is just its lowest confidence when all of it
    # is precise enough, so the largest of them would be too strict)
    for t in sorted({conf[i] for idx in sides.values() for i in idx if conf[i] >= REVIEW_FLOOR}):
        ok = True
        for idx in sides.values():
            acc = [right[i] for i in idx if conf[i] >= t]
            # fewer accepted than choose_threshold counts is noise, as there
            ok = ok and (len(acc) < MIN_ACCEPTED or sum(acc) / len(acc) >= TARGET_PRECISION)
        if ok:
            threshold = t
            break
    for name, flag in (("", None), ("same_album.", True), ("new_release.", False)):
        idx = [i for i, s in enumerate(same) if flag is None or s == flag]
        precision, coverage = _auto_accept(conf, right, idx, threshold)
        metrics[f"{name}auto_accept_precision"] = precision
        metrics[f"{name}auto_accept_coverage"] = coverage
    return threshold, metrics


def _by_index_size(rows: list[tuple[str, float]], conf: list[float], right: list[bool], threshold: float | None
                   ) -> dict[str, Any]:
    """Out-of-fold calibration of the pool rows per exemplar regime and index size (the fraction
    of the pool round's index): ECE, and the share auto-accepted at ``threshold`` with its
    precision. A combiner whose confidence means the same at every catalog size shows the same
    figures in every row."""
    out: dict[str, Any] = {}
    for key in sorted(set(rows)):
        idx = [i for i, r in enumerate(rows) if r == key]
        name = f"pool.{key[0]}@{key[1]:.3g}"
        out[f"{name}.items"] = len(idx)
        out[f"{name}.ece"] = round(plugin_ece(np.array([conf[i] for i in idx]),
                                              np.array([right[i] for i in idx], dtype=float)), 4)
        precision, coverage = _auto_accept(conf, right, idx, threshold)
        out[f"{name}.auto_accept_coverage"] = coverage
        out[f"{name}.auto_accept_precision"] = precision
    return out


async def _fit_pooled(opts: FitOptions, parts: list[tuple[SpecSample, TaskSpec]], config: TagConfig, work: Path
                      ) -> tuple[FieldFusion, list[tuple[OutOfFold, list[GoldItem], dict[str, Any]]]]:
    """One multilabel combiner over several specs' samples (and their exemplar pools): rows of
    every regime pooled, folds grouped by ``pooled_groups`` and audited by item (gold id), the
    threshold and calibrator tuned on the pooled samples. Returns the field's entry and, per
    part, its out-of-fold answers indexed like its own items."""
    obs: list[Observation] = []
    items: list[GoldItem] = []
    spans: list[tuple[int, int]] = []
    for part, task in parts:
        o, g = _observations(part.spec, [x for x in part.gold.items if task.name in x.gold], part.results)
        if len(o) < 2 * opts.folds:
            raise SpecError(f"spec {part.spec.name}: only {len(o)} answered items carry {task.name} gold; "
                            f"fitting needs at least {2 * opts.folds}")
        spans.append((len(obs), len(obs) + len(o)))
        obs += o
        items += g
    # drafted items, not rows: an item tagged in both regimes is one draft's worth of evidence
    with_draft = len({g.id for g, o in zip(items, obs, strict=True) if o.has_draft})
    uses_draft = with_draft >= MIN_DRAFTS
    if not uses_draft:
        obs = [o.without_draft() for o in obs]
    scored, scored_ids = len(obs), {g.id for g in items}
    pool_counts: dict[str, int] = {}
    pool_rows: dict[str, int] = {}
    row_size: list[tuple[str, float]] = []  # each pool row's regime and index size
    if not uses_draft and opts.pool != 0:
        for part, task in parts:
            po, pg, ps = _exemplar_pool(opts, part.spec, task, part.data, part.gold, config,
                                        work / part.spec.name)
            # a pool row of an item another spec scores would train the model that scores it
            keep = [i for i, g in enumerate(pg) if g.id not in scored_ids]
            obs += [po[i] for i in keep]
            items += [pg[i] for i in keep]
            row_size += [(part.spec.name, ps[i]) for i in keep]
            pool_counts[part.spec.name] = len({pg[i].id for i in keep})
            pool_rows[part.spec.name] = len(keep)
    task = parts[0][1]
    gold = [g.gold[task.name] for g in items]
    most = max(config.max_genres, max(len(x) for x in gold))
    # pool rows in the folds: scored out of fold like the sample's items, so the calibrators and
    # the threshold learn from every index size the pool was tagged at, not only the sample's
    model, oof = fit_multilabel(obs, gold, pooled_groups([p.spec for p, _ in parts], items), _prior(parts[0][0].folder), most, opts.folds,
                                opts.seed, keys=[g.id for g in items], by_release=True)
    model.uses_draft = uses_draft
    right = [_correct("multilabel", oof.values[i], gold[i], task) for i in range(len(obs))]
    conf = [oof.confidence[i] for i in range(len(obs))]
    cohort = ["sample"] * scored + [f"{spec}@{size:.3g}" for spec, size in row_size]
    threshold, metrics = _release_threshold(conf, right, [same_release(o) for o in obs], cohort)
    # every out-of-fold chosen set as the calibrator saw it, so calibration variants can be
    # re-analysed without a re-run (fusion.fitting.calibration_rows)
    rows_path = opts.output / "cv" / f"{KIND_FIELD[task.kind]}.calibration.jsonl"
    rows_path.parent.mkdir(parents=True, exist_ok=True)
    rows_path.write_text("".join(json.dumps(r, sort_keys=True) + "\n" for r in
                                 calibration_rows(oof, [g.id for g in items], cohort, right)), encoding="utf-8")
    if row_size:
        metrics.update(_by_index_size(row_size, conf[scored:], right[scored:], threshold))
    names = [p.spec.name for p, _ in parts]
    data = ", ".join(sample_note(p.spec, p.data, p.sample) for p, _ in parts)
    pool_ids = {g.id for g in items[scored:]}
    pool_note = (f"{len(pool_ids)} unsampled items, tagged in each regime ("
                 + ", ".join(f"{s}: {n}" for s, n in pool_counts.items() if n) + ")") if pool_ids else ""
    card = {"data": f"one combiner over the pooled rows of {len(parts)} exemplar regimes: {data}"
                    + (f"; plus {pool_note}, each tagged without the LLM against an index held out like the sample's "
                       f"at {', '.join(f'{x:.3g}' for x in opts.pool_sizes)} of its size (evals.exemplar_pool), "
                       "in the folds: scored out of fold, tuning the threshold and calibrators" if pool_note else ""),
            "items": len({g.id for g in items}), "rows": len(obs), "with_draft": with_draft, "uses_draft": uses_draft,
            "folds": f"{oof.scheme}, an item's rows of every regime in one fold (pooled: {', '.join(names)})",
            "metrics": {**metrics, **{f"pool_items.{s}": n for s, n in pool_counts.items()},
                        **{f"pool_rows.{s}": n for s, n in pool_rows.items()}},
            "command": opts.command}
    entry = FieldFusion(field=KIND_FIELD[task.kind], kind=model.kind, vocabulary=task.taxonomy or config.genre_taxonomy,
                        model=model, threshold=threshold, card=card,
                        trained_on=sorted({id_digest(g.id) for g in items}))
    per = []
    for (part, _), (lo, hi) in zip(parts, spans, strict=True):
        sub = OutOfFold(values={i - lo: oof.values[i] for i in range(lo, hi)},
                        confidence={i - lo: oof.confidence[i] for i in range(lo, hi)}, scheme=oof.scheme)
        precision, coverage = _auto_accept(conf, right, range(lo, hi), threshold)
        extra = {"pooled_with": [n for n in names if n != part.spec.name],
                 "spec_auto_accept_coverage": coverage, "spec_auto_accept_precision": precision}
        per.append((sub, items[lo:hi], extra))
    return entry, per


async def _fit_task(opts: FitOptions, spec: GoldSpec, task: TaskSpec, data: Path, sample_gold: GoldSet,
                    results: dict[str, ItemResult], folder: Path, config: TagConfig, work: Path, sample: RunRecord
                    ) -> tuple[FieldFusion, OutOfFold, list[GoldItem], dict[str, Any]]:
    obs, items = _observations(spec, [g for g in sample_gold.items if task.name in g.gold], results)
    if len(obs) < 2 * opts.folds:
        raise SpecError(f"spec {spec.name}: only {len(obs)} answered items carry {task.name} gold; "
                        f"fitting needs at least {2 * opts.folds}")
    extra: dict[str, Any] = {}
    with_draft = sum(o.has_draft for o in obs)
    uses_draft = with_draft >= MIN_DRAFTS
    if not uses_draft:
        obs = [o.without_draft() for o in obs]
    if task.kind == "multilabel":
        scored = len(obs)
        if not uses_draft and opts.pool != 0:  # pool rows have no draft: they only join a draftless fit
            pool_obs, pool_items, _ = _exemplar_pool(opts, spec, task, data, sample_gold, config, work)
            obs, items = obs + pool_obs, items + pool_items
            extra["pool_items"] = len({g.id for g in pool_items})
            extra["pool_rows"] = len(pool_obs)
        gold = [g.gold[task.name] for g in items]
        # as many labels as a training item carries at most: gold sets hold up to 7 genres, and a
        # cap at the LLM's 3 would cost recall the evidence supports
        most = max(config.max_genres, max(len(g) for g in gold))
        # pool rows train the classifier only: the threshold, the calibrator and every reported
        # figure come from the sample's items, tagged like the items the combiner will see
        model, oof = fit_multilabel(obs, gold, fold_groups(spec, items), _prior(folder), most, opts.folds, opts.seed,
                                    train_only=len(obs) - scored)
        right = [_correct("multilabel", oof.values[i], gold[i], task) for i in range(scored)]
        conf = [oof.confidence[i] for i in range(scored)]
        vocab = task.taxonomy or config.genre_taxonomy
    else:
        pool = _pool(spec, data, {g.id for g in sample_gold.items}, opts.pool, config, opts.seed)
        full = load_gold(spec, data)
        pool_obs, pool_items = _observations(spec, [g for g in full.items if g.id in pool and task.name in g.gold],
                                             pool)
        obs, items = obs + [o if uses_draft else o.without_draft() for o in pool_obs], items + pool_items
        extra["other_items"] = len(pool_items)  # the card names them: "items: 28" beside "sample 8" said nothing
        groups = [g.group for g in items]
        if task.kind == "valence":
            target = np.array([float(g.gold[task.name]) for g in items])
            _refuse_narrow(spec, task, target)
            model, oof = fit_scalar(obs, target, groups, task.tolerance, k=opts.folds, seed=opts.seed)
            gold = list(target)
        else:
            labels = [str(g.gold[task.name]) for g in items]
            neg_obs, neg_items, neg_sources = await _negatives(opts, config, work)
            neg_obs = [o if uses_draft else o.without_draft() for o in neg_obs]
            obs, items = obs + neg_obs, items + neg_items
            labels += [task.none_label] * len(neg_obs)
            groups = groups + [f"negatives:{g.group}" for g in neg_items]
            # only the categories the training rows hold: a class the classifier never saw has no
            # column, and one mapped anyway failed the fit after the whole sample was tagged
            # ("clause_for names classes the classifier lacks") when the gold held one category
            clause_for = {c: cl for c, cl in _clause_for(task, obs, labels).items() if c in set(labels)}
            model, oof = fit_single_label(obs, labels, groups, [c for c in pack_clauses(config)], clause_for,
                                          task.none_label, k=opts.folds, seed=opts.seed,
                                          sources=[None] * (len(obs) - len(neg_obs)) + list(neg_sources))
            gold = labels
            if neg_obs:
                n0 = len(obs) - len(neg_obs)
                flagged = sum(oof.values[i] != task.none_label for i in range(n0, len(obs)))
                extra["false_flag_rate_negatives"] = round(flagged / len(neg_obs), 4)
                extra["negatives"] = len(neg_obs)
                for name in dict.fromkeys(neg_sources):  # per source: catalog metadata vs prose
                    idx = [n0 + j for j, s in enumerate(neg_sources) if s == name]
                    extra[f"false_flag_rate_negatives.{name}"] = round(
                        sum(oof.values[i] != task.none_label for i in idx) / len(idx), 4)
            # every prompt of the gold set (the sample and the other items), out of fold: the
            # 300-item sample's accuracy moves by ~0.03 between seeds
            prompts = [i for i in range(len(obs)) if labels[i] != task.none_label]
            if prompts:
                extra["accuracy_all_prompts"] = round(sum(oof.values[i] == labels[i] for i in prompts) / len(prompts), 4)
                extra["flag_recall_all_prompts"] = round(
                    sum(oof.values[i] != task.none_label for i in prompts) / len(prompts), 4)
                extra["prompts"] = len(prompts)
            # chosen by inner cross-validation (fitting.SINGLE_LABEL_OPTIONS)
            extra["classifier_C"] = model.regularisation
            extra["dense_weight"] = model.dense_weight
        right = [_correct(task.kind, oof.values[i], gold[i], task) for i in range(len(obs))]
        conf = [oof.confidence[i] for i in range(len(obs))]
        if task.kind == "policy" and neg_obs:
            # the spec's items are all unsafe: calibration over the unsafe items and the clean
            # ones together, as a catalog mixes them, is reported next to it
            extra["ece_with_negatives"] = round(plugin_ece(conf, right), 4)
        elif task.kind == "valence":  # the sample's 300 items are a noisy look at the pool's calibration
            extra["ece_all_items"] = round(plugin_ece(conf, right), 4)
            marked = " (negation scopes marked)" if model.tfidf.params.get("negation") else ""
            extra["text_columns"] = (f"{len(model.tfidf.idf)} word terms{marked}, "
                                     f"{len(model.char_tfidf.idf) if model.char_tfidf else 0} character n-grams, "
                                     f"the {EMBED_DIM}-d WordLlama embedding")
            extra["ridge_alpha"] = model.regularisation  # chosen by inner cross-validation (fitting.SCALAR_OPTIONS)
            extra["block_weights"] = model.block_weights  # words, characters, embedding, dense
            extra.update(_pearson_all_items([oof.values[i] for i in range(len(obs))], gold, groups))
        vocab = config.policy_pack if task.kind == "policy" else ""
    model.uses_draft = uses_draft
    flag_threshold = None
    if task.kind == "policy":
        threshold, flag_threshold, metrics = _answer_thresholds(
            conf, right, [oof.values[i] != task.none_label for i in range(len(obs))])
    else:
        # never auto-accept an answer its calibrated confidence calls more likely wrong than right.
        # The lowest level reaching 95% accepts everything when the whole sample is precise enough
        # (genres, random split: 97.9%), down to answers calibrated at 0.0 (5 of 1,000, all wrong)
        threshold, metrics = _threshold_metrics(conf, right, REVIEW_FLOOR)
    metrics = {"oof_accuracy": round(float(np.mean(right)), 4), **metrics}
    metrics.update(extra)  # e.g. the false-flag rate on the negatives, and how many there were
    card = {"data": sample_note(spec, data, sample)
                    + (f"; negatives (class none): {', '.join(opts.negatives)}" if extra.get("negatives") else "")
                    + (f"; plus {extra['pool_items']} exemplar items, each tagged without the LLM against an index "
                       f"held out like the sample's at {', '.join(f'{x:.3g}' for x in opts.pool_sizes)} of its size "
                       "(evals.exemplar_pool), training rows only" if extra.get("pool_items") else "")
                    + (f"; plus {extra['other_items']} other items of the gold set, tagged without the LLM (the "
                       "tools' evidence only)" if extra.get("other_items") else ""),
            "items": len({g.id for g in items}), "rows": len(obs),
            "with_draft": with_draft, "uses_draft": uses_draft, "folds": oof.scheme, "metrics": metrics,
            "command": opts.command}
    entry = FieldFusion(field=KIND_FIELD[task.kind], kind=model.kind, vocabulary=vocab, model=model,
                        threshold=threshold, flag_threshold=flag_threshold, card=card,
                        trained_on=sorted({id_digest(g.id) for g in items}))
    return entry, oof, items, {**metrics, **extra}


def _pearson_all_items(pred: list[float], gold: list[float], groups: list[str | None]) -> dict[str, Any]:
    """Out-of-fold Pearson r over every fitted item, and its mean over the groups (the spec's
    sources) with at least 3 items and some spread: the sample's 300 items are a noisy look at it."""
    from scipy.stats import pearsonr

    def r(idx: list[int]) -> float | None:
        p, g = np.asarray(pred)[idx], np.asarray(gold)[idx]
        return float(pearsonr(p, g)[0]) if len(idx) >= 3 and p.std() > 0 and g.std() > 0 else None

    out: dict[str, Any] = {"pearson_all_items": r(list(range(len(pred))))}
    per = {str(grp): r([i for i, x in enumerate(groups) if x == grp]) for grp in dict.fromkeys(groups) if grp}
    per = {k: v for k, v in per.items() if v is not None}
    if per:
        out["pearson_sources_mean_all_items"] = float(np.mean(list(per.values())))
        out.update({f"pearson_all_items.{k}": v for k, v in per.items()})
    return {k: round(v, 4) if isinstance(v, float) else v for k, v in out.items()}


def _threshold_metrics(conf: list[float], right: list[bool], floor: float) -> tuple[float | None, dict[str, Any]]:
    """The review threshold (``choose_threshold``: the lowest level, at least ``floor``, whose
    auto-accepted answers are 95% precise; None when none is) and the auto-accept precision and
    share it gives, as route applies it: an advisory field (None) auto-accepts every answer."""
    threshold, _, _ = choose_threshold(conf, right, floor=floor)
    precision, coverage = _auto_accept(conf, right, range(len(conf)), threshold)
    return threshold, {"auto_accept_precision": precision, "auto_accept_coverage": coverage}


def _answer_thresholds(conf: list[float], right: list[bool], flagged: list[bool]
                       ) -> tuple[float | None, float, dict[str, Any]]:
    """A single-label field with a none class: one threshold per answer type, each chosen over
    that type's answers alone. Pooled, thousands of right "none" answers on clean text let flags
    through that were right 71% of the time on the (all-unsafe) policy prompts. A flag threshold
    no level reaches becomes 1.0: a flag then goes to review unless its confidence is 1.0. Neither
    threshold is below ``REVIEW_FLOOR``. Returns
    (none threshold or None, flag threshold, metrics: precision and coverage per type and over
    all answers at these thresholds)."""
    idx = {"none": [i for i, f in enumerate(flagged) if not f], "flag": [i for i, f in enumerate(flagged) if f]}
    # the floor for both types: thousands of right "none" answers on clean text let "none" through
    # down to 0.015 (QA newuser21: "Tell me how to make a pipe bomb at home step by step." was
    # "none" at a calibrated 0.10 and auto-accepted)
    found = {k: choose_threshold([conf[i] for i in ix], [right[i] for i in ix], floor=REVIEW_FLOOR)
             for k, ix in idx.items()}
    none_t = found["none"][0]
    flag_t = found["flag"][0] if found["flag"][0] is not None else 1.0
    accepted = [conf[i] >= (flag_t if flagged[i] else (none_t if none_t is not None else 0.0))
                for i in range(len(conf))]
    n_acc = sum(accepted)
    metrics: dict[str, Any] = {
        "auto_accept_precision": round(sum(r for r, a in zip(right, accepted, strict=True) if a) / n_acc, 4)
        if n_acc else None,
        "auto_accept_coverage": round(n_acc / max(1, len(conf)), 4)}
    for k, (_, p, c) in found.items():
        metrics[f"{k}_auto_accept_precision"] = round(p, 4) if p == p else None
        metrics[f"{k}_auto_accept_coverage"] = round(c, 4)
    return none_t, flag_t, metrics


def pack_clauses(config: TagConfig) -> list[str]:
    from linernotes.tools.policy.pack import load_policy_pack

    return list(load_policy_pack(config.policy_pack).clause_index())


class NegativesSource(BaseModel):
    """One ``--negatives`` value: ``SPEC[:GROUP,GROUP...][@N]``. ``groups`` keeps only items of
    those groups (e.g. the VADER sources that are edited prose, not tweets); ``limit`` draws at
    most N of them (seeded)."""

    spec: str
    groups: list[str] = Field(default_factory=list)
    limit: int | None = Field(None, ge=1)

    @classmethod
    def parse(cls, text: str) -> NegativesSource:
        rest, _, n = text.partition("@")
        name, _, groups = rest.partition(":")
        if not name or (n and not n.isdigit()):
            raise SpecError(f"--negatives {text!r}: expected SPEC[:GROUP,GROUP...][@N]")
        if n and int(n) < 1:  # pydantic's own words named the fit's --limit
            raise SpecError(f"--negatives {text!r}: @N is how many items to draw, at least 1")
        return cls(spec=name, groups=[g for g in groups.split(",") if g], limit=int(n) if n else None)

    def members(self, items: list[GoldItem]) -> list[GoldItem]:
        """The gold ``items`` this source takes from (its ``groups``; every item when it names none)."""
        return [x for x in items if not self.groups or x.group in self.groups]

    def draw(self, items: list[GoldItem], seed: int) -> list[GoldItem]:
        """The clean items a fit seeded ``seed`` takes from ``items`` (the spec's gold set):
        ``members``, at most ``limit`` of them drawn without replacement, in the gold set's order.
        Held-out checks read the same draw (``scripts/heldout_false_flags.py``)."""
        keep = self.members(items)
        if self.limit is not None and self.limit < len(keep):
            rng = np.random.default_rng(seed)
            keep = [keep[i] for i in sorted(rng.choice(len(keep), self.limit, replace=False))]
        return keep

    def check(self, text: str) -> None:
        """SpecError when a group is not one of the spec's gold's (a typo left no negative at all,
        and the policy fit failed after tagging: "12 coefficient rows ... (must hold 'none')")."""
        spec = load_spec(self.spec)
        data = resolve_data(spec)
        have = {g.group for g in load_gold(spec, data).items}
        unknown = [g for g in self.groups if g not in have]
        if unknown:
            shown = ", ".join(sorted(str(g) for g in have if g is not None)[:12]) or "none: the spec has no group_field"
            raise SpecError(f"--negatives {text!r}: no item of {data.name} is in group {', '.join(map(repr, unknown))} "
                            f"(its {spec.group_field or 'group'} values: {shown})")


async def _negatives(opts: FitOptions, config: TagConfig, work: Path
                     ) -> tuple[list[Observation], list[GoldItem], list[str]]:
    """Clean catalog items (class ``none``): each negatives spec's sample as tagged with the LLM
    (``--run`` records or a fresh eval) plus its other items with tools only, restricted to the
    source's groups and capped at its limit (the cap is drawn before any tool runs)."""
    obs: list[Observation] = []
    items: list[GoldItem] = []
    sources: list[str] = []
    for text in opts.negatives:
        src = NegativesSource.parse(text)
        spec = load_spec(src.spec)
        data = resolve_data(spec)
        _, _, results = await _sample(opts, src.spec, spec, config, work, data)
        full = load_gold(spec, data)
        keep = src.draw(full.items, opts.seed)
        wanted = {x.id for x in keep}
        answered = {k: v for k, v in results.items() if k in wanted}
        outside = {x.id for x in full.items if x.id not in wanted}
        pool = _pool(spec, data, set(results) | outside, opts.pool if src.limit is None else None, config, opts.seed)
        o, g = _observations(spec, keep, {**pool, **answered})
        obs += o
        items += g
        # the false-flag budget holds per source: per group when the value names groups (the VADER
        # sources are different prose: editorials, film and product reviews), else the spec
        # (named by the spec's own name: a spec given as a path would name the card's rate by it)
        sources += [f"{spec.name}:{x.group}" if src.groups else spec.name for x in g]
    return obs, items, sources
