"""Gold-set specs: which columns the tagger may see, which hold the answers, how to score them.

A spec is a small YAML file (shipped ones live in ``linernotes/evals/specs``). The ``inputs``
mapping is an allowlist: an Item is built from those columns only, so a gold column can never
reach the tagger by accident (``tests/evals/test_gold_isolation.py`` proves it).
"""

from __future__ import annotations

import json
from importlib import resources
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BeforeValidator, ConfigDict, Field, ValidationError, model_validator

from linernotes.digest import short_digest
from linernotes.files import MAX_CONFIG_BYTES, read_regular_text
from linernotes.numbers import TextNumbers
from linernotes.signals.yaml_lines import (
    KeyedError,
    YamlSyntaxError,
    first_reason,
    format_loc,
    line_of,
    load_with_lines,
)

TaskKind = Literal["multilabel", "valence", "policy", "single_label", "boolean", "scalar", "text"]
SIGNAL_KINDS = ("multilabel", "single_label", "boolean", "scalar", "text")  # kinds a declared signal's task may have
ITEM_FIELDS = ("title", "artist", "album", "label", "year", "description", "lyrics", "transcript", "language",
               "audio_path")


class SpecError(ValueError):
    """A spec or its data cannot be used (exit code 2)."""


# metric name prefixes that are not tasks: run-wide figures, the judge's, evidence-only baselines
METRIC_NAMESPACES = ("run", "rationale", "baseline")
# a --seed seeds numpy and scikit-learn (folds), which take 0 .. 2**32 - 1
SEED_MAX = 2**32 - 1
DEFAULT_TOLERANCE_SHARE = 0.125  # valence's 0.25 on its [-1, 1] range; a scalar signal's default, of its range


def not_a_boolean(value: Any) -> Any:
    """Refuse a YAML boolean where a number belongs: ``tolerance: on`` or ``max_drop: yes`` were read
    as 1.0 (pydantic takes true as 1), a tolerance that counted almost every valence within it and a
    gate allowance that passed any drop, exit 0."""
    if isinstance(value, bool):
        raise ValueError(f"{str(value).lower()} is not a number (YAML reads yes/no/on/off/true/false as true or "
                         "false): write the number")
    return value


# a number in a YAML file a person writes (specs, gates.yaml): any int or float, never a boolean
Number = Annotated[float, BeforeValidator(not_a_boolean)]


class TaskSpec(TextNumbers):
    """One scored field. Items with no value in ``gold_field`` are not scored for this task."""

    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)

    name: str = Field(description="metric prefix: genres | valence | policy")
    kind: TaskKind
    gold_field: str
    taxonomy: str | None = Field(None, description="multilabel: taxonomy pack for ids and ancestors")
    scale: Number = Field(4.0, gt=0, description="valence: gold ratings are divided by this to reach [-1, 1]")
    tolerance: Number = Field(0.25, gt=0, description="valence, scalar signals: |pred - gold| within this counts as "
                             "correct (a scalar signal's default: 1/8 of its range)")
    clause_map: dict[str, str] = Field(default_factory=dict,
                                       description="policy: predicted clause id -> gold category")
    none_label: str = "none"
    signal: str | None = Field(None, description="a declared signal (liner eval --signals): the prediction is "
                               "enrichment.signals.<signal>.value, its confidence that signal's confidence")

    @model_validator(mode="after")
    def _signal_kind(self) -> TaskSpec:
        if self.signal is None and self.kind in SIGNAL_KINDS and self.kind != "multilabel":  # only signals have them
            raise KeyedError("signal", f"task {self.name}: kind {self.kind} scores a declared signal; set signal: <name>")
        if self.signal is not None and self.kind not in SIGNAL_KINDS:
            raise KeyedError("kind", f"task {self.name}: a signal task's kind is one of {', '.join(SIGNAL_KINDS)}")
        if self.kind == "valence" and self.tolerance >= 1.0:
            raise KeyedError("tolerance", f"task {self.name}: tolerance {self.tolerance:g} is half the valence scale "
                             "[-1, 1] or more: 0 is within it of every gold value, so within_tol cannot tell a right "
                             "answer from a wrong one (and a fit would learn a constant); use less than 1")
        return self


class ExemplarSpec(TextNumbers):
    """Labeled gold items that are NOT evaluated, given to the tagger as an exemplar index (the
    "already-labeled catalog" a user would have). ``sample``: every item but the evaluated ones;
    ``groups``: also drop items sharing a group with an evaluated one (leave-group-out);
    ``field``: also drop items sharing the value of the input ``field`` (e.g. ``album``: no
    exemplar from an evaluated track's release)."""

    model_config = ConfigDict(extra="forbid")

    task: str = Field(description="multilabel task whose gold field gives the exemplars' genres")
    exclude: Literal["sample", "groups", "field"] = "sample"
    field: str | None = Field(None, description="exclude: field -- the Item input whose shared value excludes")
    data: str | None = Field(None, description="labeled items to use instead of the spec's own gold file "
                             "(same columns; relative to the spec's folder); the exclusion rules still apply")


class CleanSpec(TextNumbers):
    """Clean catalog text scored beside a policy gold set (issue 11: "a false-flag rate <= 5% on
    clean catalog text"). A policy gold set of unsafe prompts alone can show neither how often the
    field flags text it should leave alone nor how its confidence of a 'none' answer holds (every
    such answer is wrong there), so ``liner eval`` also tags these texts and reports
    ``<task>.false_flag_rate`` (share with any policy flag), per source, and
    ``<task>.ece_with_clean`` (calibration over the gold and clean items pooled). The headline
    metrics (accuracy, flag recall, ECE) stay on the gold items alone."""

    model_config = ConfigDict(extra="forbid")

    data: str = Field(description="a catalog file as liner tag reads it (JSONL, CSV, Parquet), every row clean "
                      "text; relative paths resolve against the spec's folder")
    limit: int | None = Field(None, ge=1, description="score at most this many (a seeded draw); liner eval's "
                              "--limit caps it too")
    source_field: str = Field("source", description="the column naming each text's source (false flags are "
                              "reported per source); rows without it count under 'clean'")
    task: str | None = Field(None, description="the policy task scored on them (default: the spec's policy task)")


class GoldSpec(TextNumbers):
    model_config = ConfigDict(extra="forbid")

    name: str
    description: str = ""
    attribution: str = ""
    data: str = Field(description="default gold file; relative paths resolve against cwd, then the spec's folder")
    id_field: str = "id"
    group_field: str | None = Field(None, description="cluster key for the bootstrap (album/label/source)")
    item_type: Literal["track", "episode", "chapter"] = "track"
    inputs: dict[str, str] = Field(description="Item field -> source column; the ONLY columns the tagger sees")
    tasks: list[TaskSpec]
    exemplars: ExemplarSpec | None = Field(None, description="few-shot index from the gold items not evaluated")
    clean: CleanSpec | None = Field(None, description="clean catalog text scored beside a policy task (false flags)")
    origin: str = Field("", exclude=True)

    @model_validator(mode="after")
    def _check(self) -> GoldSpec:
        if not self.inputs:  # the tagger would see each item's type and nothing else
            raise KeyedError("inputs", f"spec {self.name}: inputs names no column; the tagger would see nothing "
                             f"(map at least one of {', '.join(ITEM_FIELDS)} to a column)")
        bad = [k for k in self.inputs if k not in ITEM_FIELDS]
        if bad:
            raise KeyedError(("inputs", bad[0]), f"spec {self.name}: inputs {bad} are not Item fields ({', '.join(ITEM_FIELDS)})")
        gold = {t.gold_field for t in self.tasks}
        leaked = sorted(gold & set(self.inputs.values()))
        if leaked:
            raise KeyedError("inputs", f"spec {self.name}: gold columns {leaked} are also listed as inputs")
        if self.group_field and self.group_field in gold:
            raise KeyedError("group_field", f"spec {self.name}: group field cannot be a gold column")
        if not self.tasks:
            raise KeyedError("tasks", f"spec {self.name}: needs at least one task")
        seen: dict[str, int] = {}
        for i, task in enumerate(self.tasks):
            # metrics are named <task>.<metric>: a second task of one name overwrote the first's gold
            # and scores; a namespace's name mixed its metrics with the run's (run.mae beside
            # run.failure_rate) and the gate read its rules as run-wide metrics
            if task.name in seen:
                raise KeyedError(("tasks", i, "name"), f"spec {self.name}: task name {task.name!r} is used twice "
                                 f"(tasks[{seen[task.name]}] and tasks[{i}]); each task's metrics are <name>.<metric>")
            if task.name in METRIC_NAMESPACES:
                raise KeyedError(("tasks", i, "name"), f"spec {self.name}: task name {task.name!r} is a metric "
                                 f"namespace ({', '.join(METRIC_NAMESPACES)}); name the task after its field")
            seen[task.name] = i
        if self.exemplars is not None:
            self._check_exemplars(self.exemplars)
        if self.clean is not None:
            self.clean.task = self._clean_task(self.clean)
        return self

    def _clean_task(self, clean: CleanSpec) -> str:
        """The built-in policy task the clean texts are scored on (KeyedError when there is none
        or, with several, none is named)."""
        policy = [t.name for t in self.tasks if t.kind == "policy" and t.signal is None]
        if clean.task is not None:
            if clean.task not in policy:
                raise KeyedError(("clean", "task"), f"spec {self.name}: clean.task {clean.task!r} is not a policy "
                                 f"task ({', '.join(policy) or 'the spec has none'})")
            return clean.task
        if len(policy) != 1:
            raise KeyedError("clean", f"spec {self.name}: clean texts are scored on a policy task; "
                             + ("the spec has none" if not policy else f"name one as clean.task ({', '.join(policy)})"))
        return policy[0]

    def _check_exemplars(self, ex: ExemplarSpec) -> None:
        kinds = {t.name: t.kind for t in self.tasks}
        if kinds.get(ex.task) != "multilabel":
            multi = [n for n, k in kinds.items() if k == "multilabel"]
            raise KeyedError(("exemplars", "task"), f"spec {self.name}: exemplars.task {ex.task!r} is not a multilabel task ({multi})")
        if ex.exclude == "groups" and not self.group_field:
            raise KeyedError(("exemplars", "exclude"), f"spec {self.name}: exemplars.exclude 'groups' needs a group_field")
        if ex.exclude == "field" and ex.field not in self.inputs:
            raise KeyedError(("exemplars", "field"), f"spec {self.name}: exemplars.exclude 'field' needs exemplars.field, one of the "
                             f"inputs ({', '.join(self.inputs)})")

    @property
    def gold_fields(self) -> set[str]:
        return {t.gold_field for t in self.tasks}

    def digest(self) -> str:
        # without exemplars the digest is what it was before the option existed (baselines match)
        skip = {"exemplars"} if self.exemplars is None else set()
        if self.clean is None:  # and without clean texts (added in session 23)
            skip.add("clean")
        data = self.model_dump(mode="json", exclude=skip)
        for task in data.get("tasks", []):
            if task.get("signal") is None:  # likewise for tasks that score no declared signal
                task.pop("signal", None)
        blob = json.dumps(data, sort_keys=True)
        return short_digest(blob)


def check_signal_tasks(spec: GoldSpec, signals: list[Any]) -> None:
    """Every signal task names a declared signal of a kind it can score (SpecError otherwise)."""
    declared = {s.name: s for s in signals}
    for task in spec.tasks:
        if task.signal is None:
            continue
        sig = declared.get(task.signal)
        if sig is None:
            raise SpecError(f"spec {spec.name}: task {task.name} scores signal {task.signal!r}, which is not "
                            f"declared (pass --signals FILE.yaml; declared: {', '.join(declared) or 'none'})")
        if sig.kind != task.kind:
            raise SpecError(f"spec {spec.name}: task {task.name} is {task.kind} but signal {sig.name} is {sig.kind}")
        if not sig.applies(spec.item_type):
            # every item is tagged as item_type: the signal would never be asked, every item would
            # be scored without a value (coverage 0), and the baseline's reason would mislead
            raise SpecError(f"spec {spec.name}: task {task.name} scores signal {sig.name}, which applies to "
                            f"{', '.join(sig.applies_to)}; this spec's items are {spec.item_type} (item_type), so "
                            "none would get a value: set the spec's item_type, or the signal's applies_to")
        if sig.kind == "scalar" and "tolerance" in task.model_fields_set and \
                task.tolerance >= (sig.range[1] - sig.range[0]) / 2:
            # the range's middle is then within tolerance of any value the signal can take: within_tol
            # was 1.0 for a constant answer, and a fit refused every gold set as 'no wider than twice it'
            lo, hi = sig.range
            raise SpecError(f"spec {spec.name}: task {task.name}: tolerance {task.tolerance:g} is half the range of "
                            f"signal {sig.name} ([{lo:g}, {hi:g}]) or more: its middle, {(lo + hi) / 2:g}, is within "
                            "it of every value, so within_tol cannot tell a right answer from a wrong one; use less "
                            f"than {(hi - lo) / 2:g} (the default is 1/8 of the range)")
        if sig.kind == "scalar" and "tolerance" not in task.model_fields_set:
            # the default 0.25 is valence's, on [-1, 1]: on a 0-10 or 0-100 signal it counted almost
            # nothing within tolerance and its fit's confidence P(|error| <= 0.25) sent every value
            # to review. The same share of the signal's own range instead (1/8).
            lo, hi = sig.range
            task.tolerance = (hi - lo) * DEFAULT_TOLERANCE_SHARE


def shipped_specs() -> list[str]:
    folder = resources.files("linernotes.evals").joinpath("specs")
    return sorted(p.name.removesuffix(".yaml") for p in folder.iterdir() if p.name.endswith(".yaml"))


def load_spec(name_or_path: str | Path) -> GoldSpec:
    """A shipped spec by name (``bandcamp-genres``) or a YAML file path."""
    p = Path(name_or_path)
    if p.suffix in (".yaml", ".yml") or p.exists():
        if not p.exists():
            raise SpecError(f"{p}: no such spec file")
        # a FIFO, device or folder is named for what it is (a folder was 'no such spec file')
        text = read_regular_text(p, SpecError, ": a gold spec is a YAML file", limit=MAX_CONFIG_BYTES,
                                 what="a gold spec")
        origin = str(p.resolve())
    else:
        res = resources.files("linernotes.evals").joinpath("specs", f"{name_or_path}.yaml")
        if not res.is_file():
            raise SpecError(f"unknown gold spec {str(name_or_path)!r} (shipped: {', '.join(shipped_specs())})")
        text, origin = res.read_text(encoding="utf-8"), str(res)
    spec = parse_spec(text, origin)
    spec.origin = origin
    return spec


def parse_spec(text: str, origin: str) -> GoldSpec:
    """A GoldSpec from YAML text. Errors (SpecError) read ``origin:LINE: key path: reason``, e.g.
    ``spec.yaml:7: tasks[0].gold_field: required key is missing``; LINE is the offending key's
    line, or the line of the mapping that lacks a missing key."""
    try:
        data, lines = load_with_lines(text)
    except YamlSyntaxError as e:
        raise SpecError(f"{origin}:{e.line}: not valid YAML: {e.reason}") from None
    if not isinstance(data, dict):
        got = "nothing" if data is None else f"a {type(data).__name__}"
        raise SpecError(f"{origin}:{line_of(lines, ())}: not a valid gold spec: expected a mapping of keys "
                        f"(name, data, inputs, tasks, ...), got {got}")
    try:
        return GoldSpec.model_validate(data)
    except ValidationError as e:
        loc, msg = first_reason(e.errors())
        key = format_loc(loc) or "spec"
        raise SpecError(f"{origin}:{line_of(lines, loc)}: {key}: {msg}") from None


def resolve_data(spec: GoldSpec, override: str | Path | None = None, remedy: str = "pass --data PATH") -> Path:
    """``--data`` wins; else the spec's path against cwd, the spec's folder, then the repo root.
    SpecError when none exists: where it looked, then ``remedy`` (what the user can pass instead)."""
    if override is not None:
        p = Path(override)
        if not p.exists():
            raise SpecError(f"--data {p}: no such file or directory")
        return p
    raw = Path(spec.data)
    if raw.is_absolute():
        candidates = [raw]
    else:
        here = Path(spec.origin).parent if spec.origin else Path.cwd()
        candidates = [Path.cwd() / raw, here / raw, *(parent / raw for parent in here.parents[:3])]
    for c in candidates:
        if c.exists():
            return c.resolve()
    raise SpecError(f"spec {spec.name}: gold data {spec.data!r} not found (looked in {', '.join(map(str, candidates[:3]))}); "
                    f"{remedy}")
