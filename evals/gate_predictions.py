"""The parts of a run record's predictions that ``liner gate`` scores, checked before it scores them.

A record ``liner eval`` wrote holds ``linernotes.schema.Enrichment`` dumps; a hand-edited or
forged one may hold anything there, and the scorer then stopped half-way with a traceback
(``'str' object has no attribute 'get'``, ``int too large to convert to float``) and exit 1,
the code of a regression. Only what the scorer reads is checked, as the type it needs
(``evals.scoring``, ``evals.metrics.baselines``): numbers must be finite, lists must hold what
the metric compares. A field left out, and every field the scorer never reads, passes, so the
partial predictions of older records and test doubles still load.

``prediction_problem(item_id, prediction)`` returns ``"item 'x': prediction.valence: Input
should be a finite number"`` or None.
"""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import (
    BeforeValidator,
    ConfigDict,
    Field,
    StrictBool,
    StrictInt,
    StrictStr,
    TypeAdapter,
    ValidationError,
)

from linernotes.json_lines import first_non_finite
from linernotes.numbers import TextNumbers, refusing_underscores

# float() of it must not raise and must give a number a metric can use (NaN, inf, 10**400 cannot)
# (a quoted "1_0" is refused, not read as 10: a run record is a file a person may edit)
Num = Annotated[float, BeforeValidator(refusing_underscores), Field(allow_inf_nan=False)]
# a confidence or review level is a probability; usage figures are counts and durations. The
# tagger writes no other (``schema.Confidence``): a hand-edited latency of -1e9 s or -10**6
# tokens moved the run's p50 latency / mean tokens and passed a usage rule the run had failed
Unit = Annotated[float, Field(allow_inf_nan=False, ge=0, le=1)]
NonNegative = Annotated[float, Field(allow_inf_nan=False, ge=0)]
Count = Annotated[int, Field(ge=0)]


class _Open(TextNumbers):
    model_config = ConfigDict(extra="allow")


class _Flag(_Open):
    clause_id: str = ""  # flags are sorted by (source, -severity, clause_id): None beside a str cannot sort
    severity: int = 0


class _Candidate(_Open):
    id: str  # shortlists are read as c["id"] and compared with gold ids


class _Exemplar(_Open):
    score: Num | None = None
    genres: list[str] | None = None


class _Hit(_Open):
    clause_id: str | None = None
    severity: int | None = None


class _Evidence(_Open):
    genres: list[_Candidate] | None = None
    exemplars: list[_Exemplar] | None = None
    policy_hits: list[_Hit] | None = None
    lexical_valence: Num | None = None


class _Confidence(_Open):
    __pydantic_extra__: dict[str, Unit]  # one confidence per field
    calibrated: list[str] = Field(default_factory=list)
    thresholds: dict[str, Unit] = Field(default_factory=dict)
    llm_only: list[str] = Field(default_factory=list)  # the fields only the LLM's answer supports (schema.Confidence)


class _Provenance(_Open):
    latency_s: NonNegative = 0.0
    tokens_in: Count = 0
    tokens_out: Count = 0
    cost_usd: NonNegative | None = 0.0


class _Review(_Open):
    reasons: list[Any] | None = None


class _SignalEvidence(_Open):
    shortlist: list[_Candidate] | None = None


class _Signal(_Open):
    confidence: Unit | None = None
    evidence: _SignalEvidence | None = None


class ScoredPrediction(_Open):
    """A prediction as far as the gate's scoring reads it."""

    genres: list[str] | None = None
    valence: Num | None = None
    policy_flags: list[_Flag] | None = None
    confidence: _Confidence | None = None
    evidence: _Evidence | None = None
    provenance: _Provenance | None = None
    review: _Review | None = None
    signals: dict[str, _Signal | None] | None = None
    rationale: str | None = None


# a declared signal's value, by its task's kind, as ``evals.scoring.signal_quality`` compares it
# with gold (a list of labels sorted with the gold ones; a number; one label shown as text)
SIGNAL_VALUE: dict[str, tuple[TypeAdapter[Any], str]] = {
    "multilabel": (TypeAdapter(list[StrictStr] | None), "a list of labels (text)"),
    "scalar": (TypeAdapter(Num | None), "a finite number"),
    "single_label": (TypeAdapter(StrictStr | StrictBool | StrictInt | None), "one label (text)"),
    "boolean": (TypeAdapter(StrictStr | StrictBool | StrictInt | None), "true or false"),
}


def _reasons(e: ValidationError, where: tuple[str, ...]) -> str:
    return "; ".join(".".join((*where, *map(str, err["loc"]))) + ": " + err["msg"].split(" or instance of ")[0]
                     for err in e.errors()[:2])


def prediction_problem(item_id: str, prediction: dict[str, Any] | None,
                       tasks: list[dict[str, Any]] = ()) -> str | None:
    """Why the gate cannot score this item's prediction under ``tasks`` (the record's task specs:
    a declared signal's value is checked by its task's kind), naming the item and the key path;
    None when it can."""
    if prediction is None:
        return None
    try:
        pred = ScoredPrediction.model_validate(prediction)
    except ValidationError as e:
        return f"item {item_id!r:.80}: {_reasons(e, ('prediction',))}"
    for task in tasks:
        name, kind = task.get("signal"), str(task.get("kind"))
        entry = (pred.signals or {}).get(name) if name else None
        if entry is None or kind not in SIGNAL_VALUE:
            continue
        adapter, expected = SIGNAL_VALUE[kind]
        value = (entry.model_extra or {}).get("value")
        try:
            adapter.validate_python(value)
        except ValidationError as e:
            err = e.errors()[0]  # a validator's own reason ('1_0': '_' is not allowed ...) is told
            why = ": " + err["msg"].removeprefix("Value error, ") if err["type"] == "value_error" else ""
            return (f"item {item_id!r:.80}: prediction.signals.{name}.value: a {kind} signal's value is {expected}, "
                    f"not {type(value).__name__} {str(value)[:40]!r}{why}")
    return None


def gold_problem(item_id: str, gold: dict[str, Any]) -> str | None:
    """The first non-finite number in an item's gold (``gold.valence: nan``), or None.

    ``liner eval`` never writes one (a missing value is left out); a NaN in a baseline's gold made
    that task's metrics NaN, the gate read them as "baseline lacks this metric" and skipped the
    rule as not applicable, so a candidate could lose any amount on it and pass.
    """
    found = first_non_finite(gold, "gold")
    return None if found is None else f"item {item_id!r:.80}: {found[0]}: {found[1]} is not a finite number"
