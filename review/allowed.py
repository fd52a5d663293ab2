"""Decided values the store's current field and signal definitions no longer allow.

A store rebuilt with an edited signal spec (a label renamed or dropped, a range narrowed) keeps
every decision made so far, and ``accept model`` takes the model's value from a run that may have
been tagged with an older spec. Such a value must not become gold: the eval would score it as a
label that can never be predicted. A store rebuilt from a gold set without a decided field (valence
decided, then rebuilt with a genres-only gold set) has no column or scale to write that decision
into either. ``disallowed`` lists them (build warns, export refuses).
"""

from __future__ import annotations

from typing import Any

MAX_SHOWN = 5


def disallowed(store: Any) -> list[str]:
    """``["<id>: <field> <value>: <reason>", ...]`` for each decided value of a declared signal
    that its field (vocabulary, range) refuses now; [] when every one is allowed."""
    fields = {f.name: f for f in store.fields()}
    specs = {n: f for n, f in fields.items() if f.signal is not None}
    out = []
    for summary in store.list_items():
        for name, value in store.get(summary.id).decision.items():
            if name not in fields:  # a rebuild from a gold set (or signals) without this field: export
                # had no column or scale to write it into and stopped with a KeyError traceback
                out.append(f"{summary.id!r}: {name} {value!r:.80}: the store has no field {name!r} any more "
                           f"(rebuilt without it; its fields: {', '.join(fields) or 'none'})")
                continue
            if name not in specs or value is None:
                continue
            try:
                specs[name].parse(value)
            except ValueError as e:
                out.append(f"{summary.id!r}: {name} {value!r:.80}: {e}")
    return out


def summary(problems: list[str]) -> str:
    """One line: how many, the first few, and what to do."""
    shown = "; ".join(problems[:MAX_SHOWN]) + (f"; ... ({len(problems) - MAX_SHOWN} more)"
                                                if len(problems) > MAX_SHOWN else "")
    return (f"{len(problems)} decided value(s) are not allowed by the store's field or signal definitions (the "
            f"gold set or spec changed since they were decided, or the model's value came from an older spec): "
            f"{shown}; relabel those items in the review UI (/item/<id>), or build with the gold set or spec they "
            "were decided on")
