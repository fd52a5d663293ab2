"""Decided values the store's current field and signal definitions no longer allow.

A store rebuilt with an edited signal spec (a label renamed or dropped, a range narrowed) keeps
every decision made so far, and ``accept model`` takes the model's value from a run that may have
been tagged with an older spec. Such a value must not become gold: the eval would score it as a
label that can never be predicted. A store rebuilt from a gold set without a decided field (valence
decided, then rebuilt with a genres-only gold set) has no column or scale to write that decision
into either. ``disallowed`` lists them (build warns, export refuses). A gold set's own values
labelled under an older spec are no labels either: ``refused_gold`` lists them (build warns and
queues those items again).
"""

from __future__ import annotations

from typing import Any

MAX_SHOWN = 5


def removed_fields(store: Any) -> dict[str, list[str]]:
    """``{field: [item ids]}`` of the decided values of fields the store no longer has (a signal
    removed from the spec, a gold set rebuilt without a field). The review UI has no control for
    such a field, so relabelling cannot clear them; ``export_gold(leave_out_removed=True)`` writes
    the gold without them (the store keeps them: a rebuild with the field brings them back)."""
    fields = {f.name for f in store.fields()}
    out: dict[str, list[str]] = {}
    for summary in store.list_items():
        for name in store.get(summary.id).decision:
            if name not in fields:
                out.setdefault(name, []).append(summary.id)
    return dict(sorted(out.items()))


def disallowed(store: Any, leave_out_removed: bool = False) -> list[str]:
    """``["<id>: <field> <value>: <reason>", ...]`` for each decided value of a declared signal
    that its field (vocabulary, range) refuses now, of a field the store no longer has (unless
    ``leave_out_removed``: ``removed_fields``), or of an item no gold row holds any more; [] when
    every one can be exported."""
    fields = {f.name: f for f in store.fields()}
    specs = {n: f for n, f in fields.items() if f.signal is not None}
    rows = {str(r["id"]) for r in store.gold_rows() if r.get("id") is not None}
    out = []
    for summary in store.list_items():
        for name, value in store.get(summary.id).decision.items():
            if summary.id not in rows:  # rebuilt from a gold set without the item: export wrote no row for
                # it and still listed it under changed_items
                out.append(f"{summary.id!r}: {name} {value!r:.80}: no gold row has this id any more (rebuilt from "
                           "a gold set without it), so no row to write it into")
                continue
            if name not in fields and leave_out_removed:
                continue
            if name not in fields:  # a rebuild from a gold set (or signals) without this field: export
                # had no column or scale to write it into and stopped with a KeyError traceback
                out.append(f"{summary.id!r}: {name} {value!r:.80}: the store has no field {name!r} any more "
                           f"(rebuilt without it; its fields: {', '.join(fields) or 'none'})")
                continue
            if name in specs and (why := specs[name].refused(value)):
                out.append(f"{summary.id!r}: {name} {value!r:.80}: {why}")
    return out


def refused_gold(source: Any) -> list[str]:
    """``["<id>: <field> <gold>: <reason>", ...]`` for each gold value of a declared signal that
    the signal's current definition refuses (labelled under an older spec: a dropped label, a
    narrower range, another kind); the queue asks for those labels again (``queue._reasons``)."""
    from linernotes.review.queue import fields_for

    out = []
    for item in source.items:
        for f in fields_for(source, item):
            gold = f.from_gold(item.gold_row.get(f.gold_key))
            if why := f.refused(gold):
                out.append(f"{item.id!r}: {f.name} {gold!r:.80}: {why}")
    return out


def older_spec_runs(source: Any, signals: list[Any], run: str) -> list[str]:
    """One note per declared signal whose values in the run were tagged under another version of its
    spec (``provenance.spec_hash`` != the spec's ``content_hash``): review shows them as the model's
    answers, so say which definition they came from and how many of them it refuses now."""
    notes = []
    for spec in signals:
        field = next(f for f in source.fields if f.name == spec.name)
        hashes: dict[str, int] = {}
        refused = []
        for item in source.items:
            value = ((item.prediction or {}).get("signals") or {}).get(spec.name)
            prov = value.get("provenance") if isinstance(value, dict) else None
            tagged = prov.get("spec_hash") if isinstance(prov, dict) else None
            if tagged is None or tagged == spec.content_hash:
                continue
            hashes[str(tagged)] = hashes.get(str(tagged), 0) + 1
            if why := field.refused(field.from_prediction(item.prediction)):
                refused.append(f"{item.id!r}: {why}")
        if hashes:
            seen = ", ".join(f"{h} on {n} item(s)" for h, n in sorted(hashes.items()))
            notes.append(f"{run}: signal {spec.name} was tagged with another version of its spec ({seen}; "
                         f"{spec.origin or 'the spec'} is {spec.content_hash} now): "
                         + (f"{len(refused)} of the model's values are not allowed now ({_first(refused)}) and "
                            "'accept model' refuses them; " if refused else "")
                         + f"retag with this spec (liner tag --signals {spec.origin or 'SPEC'}) to review its own values")
    return notes


def _first(problems: list[str]) -> str:
    return "; ".join(problems[:MAX_SHOWN]) + (f"; ... ({len(problems) - MAX_SHOWN} more)"
                                              if len(problems) > MAX_SHOWN else "")


def gold_summary(origin: str, problems: list[str]) -> str:
    """One line for ``refused_gold``: how many, the first few, and what happens to them."""
    return (f"{origin}: {len(problems)} gold value(s) are not allowed by the signal definitions (labelled under "
            f"an older spec?): {_first(problems)}; those items are queued to be labelled again (an item left "
            "out by --sample keeps its gold as it is)")


def summary(problems: list[str], removed: dict[str, list[str]] | None = None) -> str:
    """One line: how many, the first few, and what to do. ``removed`` (``removed_fields``): the
    fields gone from the store, whose values no relabelling can clear (the UI shows no control for
    them): the way out for those is named."""
    shown = _first(problems)
    gone = (f"; the values of {', '.join(repr(n) for n in removed)} (no longer a field of the store) cannot be "
            "relabelled: export without them with liner review export --leave-out-removed (the store keeps them)"
            if removed else "")
    return (f"{len(problems)} decided value(s) are not allowed by the store's field or signal definitions (the "
            f"gold set or spec changed since they were decided, or the model's value came from an older spec): "
            f"{shown}; relabel those items in the review UI (/item/<id>), or build with the gold set or spec they "
            f"were decided on{gone}")
