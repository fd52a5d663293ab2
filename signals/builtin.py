"""The built-in record fields as declared signals: ``signals/builtin/*.yaml`` (genres, moods,
valence, language, explicit, policy), loaded with the same loader as any user spec.

Their values stay in today's record fields (``Enrichment.genres`` ...), not under ``signals``; what
the specs decide is which built-ins the extract call may ask about for an item (``applies_to``),
and they carry each field's kind, vocabulary and guideline for review and evals."""

from __future__ import annotations

from functools import lru_cache
from importlib import resources

from linernotes.signals.spec import SignalSpec, parse_signals

BUILTIN = ("genres", "moods", "valence", "language", "explicit", "policy")


@lru_cache(maxsize=1)
def builtin_specs() -> dict[str, SignalSpec]:
    folder = resources.files("linernotes.signals").joinpath("builtin")
    out: dict[str, SignalSpec] = {}
    for name in BUILTIN:
        res = folder.joinpath(f"{name}.yaml")
        (spec,) = parse_signals(res.read_text(encoding="utf-8"), str(res))
        out[spec.name] = spec
    return out


def applicable(fields: list[str] | tuple[str, ...], item_type: str) -> list[str]:
    """``fields`` (built-in names, order kept) whose shipped spec applies to ``item_type``."""
    specs = builtin_specs()
    return [f for f in fields if f not in specs or specs[f].applies(item_type)]
