"""The built-in record fields as declared signals: ``signals/builtin/*.yaml`` (genres, moods,
valence, language, explicit, policy), loaded with the same loader as any user spec.

Their values stay in today's record fields (``Enrichment.genres`` ...), not under ``signals``; what
the specs decide is which built-ins the extract call may ask about for an item (``applies_to``),
and they carry each field's kind, vocabulary and guideline for review and evals. Code that works
per built-in field asks this module (``fields``, ``kind_of``, ``of_kind``, ``field_for_task``)
instead of spelling the list of fields itself.

Two lists stay literal elsewhere, and ``tests/signals/test_builtin_agreement.py`` holds them to
the shipped specs: the record schema's pydantic fields (``core/schema.py``: ``Enrichment``,
``Confidence``; the stable output format, and below this package in the layers) and the answer
order ``core.vocabulary.LLM_FIELDS`` (part of the extract call's byte-identical prompt and schema).
"""

from __future__ import annotations

from functools import lru_cache
from importlib import resources

from linernotes.signals.spec import SignalKind, SignalSpec, parse_signals
from linernotes.vocabulary import LLM_FIELDS

BUILTIN: tuple[str, ...] = LLM_FIELDS  # one shipped spec file per name, in the extract call's answer order

# The built-in gold-spec task kinds (``evals/specs``: a task without ``signal:``) and the field
# each scores and ``liner fit`` fits. The gold format predates declared signals and names two of
# them after their field; it is a stable input format, so the names stay and map here, once.
TASK_FIELD: dict[str, str] = {"multilabel": "genres", "valence": "valence", "policy": "policy"}


@lru_cache(maxsize=1)
def builtin_specs() -> dict[str, SignalSpec]:
    folder = resources.files("linernotes.signals").joinpath("builtin")
    out: dict[str, SignalSpec] = {}
    for name in BUILTIN:
        res = folder.joinpath(f"{name}.yaml")
        (spec,) = parse_signals(res.read_text(encoding="utf-8"), str(res))
        out[spec.name] = spec
    return out


def fields() -> tuple[str, ...]:
    """The built-in field names, in answer order (``genres``, ``moods``, ...)."""
    return tuple(builtin_specs())


def kind_of(field: str) -> SignalKind:
    """The shipped spec's kind of a built-in ``field``; KeyError for a name that is not one."""
    return builtin_specs()[field].kind


def of_kind(*kinds: str) -> tuple[str, ...]:
    """The built-in fields whose spec has one of ``kinds``, in answer order."""
    return tuple(name for name, spec in builtin_specs().items() if spec.kind in kinds)


def advisory() -> tuple[str, ...]:
    """The built-in fields whose spec never routes an item (``review_threshold: 0``: moods)."""
    return tuple(name for name, spec in builtin_specs().items() if spec.review_threshold == 0)


def field_for_task(kind: str) -> str:
    """The built-in field a gold task of ``kind`` (without ``signal:``) scores: ``multilabel`` ->
    ``genres``, ``valence`` -> ``valence``, ``policy`` -> ``policy``. KeyError for a kind that
    only declared signals have (``single_label``, ``boolean``, ``scalar``)."""
    return TASK_FIELD[kind]


def applicable(names: list[str] | tuple[str, ...], item_type: str) -> list[str]:
    """``names`` (built-in fields, order kept) whose shipped spec applies to ``item_type``."""
    specs = builtin_specs()
    return [f for f in names if f not in specs or specs[f].applies(item_type)]
