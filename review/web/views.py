"""Turn an item's state into what the item page shows; pure functions, no HTML (templates escape)."""

from __future__ import annotations

from collections import Counter
from typing import Any

from pydantic import BaseModel

from linernotes.review.fields import FieldSpec
from linernotes.review.store import ItemState
from linernotes.schema import Confidence


class Segment(BaseModel):
    text: str
    mark: str | None = None


class Span(BaseModel):
    field: str
    start: int
    end: int
    text: str
    why: str


def evidence_spans(prediction: dict[str, Any] | None) -> list[Span]:
    """Quoted spans from policy flags and explicit evidence, labelled with the clause that cited them."""
    if not prediction:
        return []
    out = []
    for flag in prediction.get("policy_flags") or []:
        why = f"{flag.get('policy_id', '')}/{flag.get('clause_id', '')} severity {flag.get('severity', '?')}"
        for s in flag.get("spans") or []:
            out.append(Span(**{k: s[k] for k in ("field", "start", "end", "text")}, why=why))
    for s in (prediction.get("explicit") or {}).get("evidence") or []:
        out.append(Span(**{k: s[k] for k in ("field", "start", "end", "text")}, why="explicit"))
    return out


def segments(text: str, field: str, spans: list[Span]) -> list[Segment]:
    """Split ``text`` around the spans that quote it (by offsets, or by finding the quote when the
    run named the field differently, e.g. VADER's ``text`` mapped to ``description``). Spans may
    nest or overlap (a policy flag read in one passage of a long text quotes the whole passage,
    and the lexicon's words inside it are quoted too): each piece is marked with every span that
    covers it, so no quote hides another (before, the first span in order was shown and a span
    starting inside it was dropped: a passage hid its lexicon words, or a word at its start hid
    the passage)."""
    marks: list[tuple[int, int, str]] = []
    for s in spans:
        if s.field == field and text[s.start:s.end] == s.text:
            marks.append((s.start, s.end, s.why))
        elif s.text and (at := text.find(s.text)) >= 0:
            marks.append((at, at + len(s.text), s.why))
    # by start, the outer span first; spans of one range in the order the record gives them
    marks = sorted(dict.fromkeys(m for m in marks if m[0] < m[1]), key=lambda m: (m[0], -m[1]))
    cuts = sorted({0, len(text), *(a for a, _, _ in marks), *(b for _, b, _ in marks)})
    out: list[Segment] = []
    active: dict[tuple[int, int, str], None] = {}  # the marks covering the piece, by start (a sweep: many lexicon hits stay linear)
    nxt = 0
    for start, end in zip(cuts, cuts[1:], strict=False):
        while nxt < len(marks) and marks[nxt][0] <= start:
            active[marks[nxt]] = None
            nxt += 1
        for m in [m for m in active if m[1] <= start]:
            del active[m]
        whys = list(dict.fromkeys(why for _, _, why in active))
        piece = Segment(text=text[start:end], mark="; ".join(whys) or None)
        if out and out[-1].mark is None and piece.mark is None:
            out[-1] = Segment(text=out[-1].text + piece.text)
        else:
            out.append(piece)
    return out or [Segment(text=text)]


def display(value: Any, spec: FieldSpec | None = None) -> str:
    """A value as an annotator reads it (valence also on the gold set's own scale)."""
    if value is None:
        return "—"
    if isinstance(value, float):
        native = f" ({spec.to_gold(value):+.2f} on the gold scale)" if spec and spec.scale != 1 else ""
        return f"{value:+.3f}{native}"
    if isinstance(value, list):
        return ", ".join(map(str, value)) or "∅"
    return str(value)


def display_values(values: Any) -> str:
    """A decision's values (``{field: value}``, a history row's ``previous`` or ``new``) as an
    annotator reads them: ``decade: 2000s; genres: jazz, soul``, each value through ``display``
    ("—" when unset). The page showed the Python dict (``{'decade': None}``)."""
    if not isinstance(values, dict):
        return display(values)
    return "; ".join(f"{k}: {display(v)}" for k, v in values.items()) or "—"


def confidence_notes(prediction: dict[str, Any] | None) -> list[str]:
    """Each field's confidence as a reviewer reads it, the record's numbers as written: 'policy
    0.9 hand-set', 'policy 0.6132 calibrated, always reviewed', 'valence 0.6417 calibrated,
    reviewed below 0.5'. The record lists the calibrated fields and their thresholds apart
    (``schema.Confidence``); the page printed that list and dict as Python literals beside the
    numbers, so a hand-set 0.9 (a policy text beyond the combiner's fitted length, QA
    qa-policy18) read like a calibrated one."""
    conf = (prediction or {}).get("confidence")
    conf = conf if isinstance(conf, dict) else {}
    calibrated = Confidence.calibrated_in(conf)  # a store's predictions come from any file
    limits = conf.get("thresholds") if isinstance(conf.get("thresholds"), dict) else {}
    alone = conf.get("llm_only") if isinstance(conf.get("llm_only"), list) else []
    out = []
    for name, value in conf.items():
        if name in ("calibrated", "thresholds") or not isinstance(value, int | float) or isinstance(value, bool):
            continue
        limit = limits.get(name)
        if name not in calibrated and name in alone:  # the record's llm_only: no tool found the value
            kind = "hand-set, the LLM's alone (no tool supports it)"
        elif name not in calibrated:
            kind = "hand-set"
        elif not isinstance(limit, int | float) or isinstance(limit, bool):
            kind = "calibrated, advisory (never routed)"
        elif limit >= 1.0:  # as route says it: no level of this answer reached the target precision
            kind = "calibrated, always reviewed"
        else:
            kind = f"calibrated, reviewed below {limit}"
        out.append(f"{name} {value} {kind}")
    return out


def rater_summary(state: ItemState, specs: list[FieldSpec]) -> dict[str, str]:
    """Anonymous raters per field as a histogram ("-1.00 ×17 · -2.00 ×3"): up to 99 rows otherwise."""
    out = {}
    for spec in specs:
        values = [a.value for a in state.entry.annotations if a.field == spec.name and a.annotator.startswith("rater:")]
        if values:
            shown = Counter(f"{spec.to_gold(v):+.2f}" if isinstance(v, float) else display(v) for v in values)
            out[spec.name] = f"{len(values)} raters: " + " · ".join(f"{k} ×{n}" for k, n in sorted(shown.items()))
    return out


def annotator_rows(state: ItemState, specs: list[FieldSpec], raters: bool = False) -> list[dict[str, Any]]:
    """One row per annotator (gold, model, named annotators, reviewers; anonymous raters only if asked)."""
    rows: dict[str, dict[str, Any]] = {}
    by_name = {s.name: s for s in specs}
    for a in state.entry.annotations:
        if a.annotator.startswith("rater:") != raters:
            continue
        rows.setdefault(a.annotator, {})[a.field] = display(a.value, by_name.get(a.field))
    if raters:
        return [{"annotator": k, "values": v} for k, v in rows.items()]
    for name, value in state.entry.consensus.items():
        rows.setdefault("raters' mean", {})[name] = display(value, by_name.get(name))
    for h in state.history:
        for name, value in h.new.items():
            rows.setdefault(f"annotator:{h.annotator}", {})[name] = display(value, by_name.get(name))
    return [{"annotator": k, "values": v} for k, v in rows.items()]


def edit_default(state: ItemState, spec: FieldSpec) -> str:
    value = state.decision.get(spec.name, state.entry.gold.get(spec.name))
    if value is None:
        return ""
    if isinstance(value, list):
        return ", ".join(value)
    return f"{value:.3f}" if isinstance(value, float) else str(value)


# Bidi embedding/override/isolate controls and marks (Unicode UAX #9): inside an id they can make
# "abc<RLO>gpj.exe" read as "abcexe.jpg", so ids show each as a visible [U+XXXX] tag.
BIDI_CONTROLS = frozenset("\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
ID_LIMIT = 80  # characters of an id shown in lists (the whole id is the link's title)


def visible_controls(text: str) -> str:
    """C0/C1 control characters (NUL included) as visible symbols; tab and newlines kept.

    C0 and DEL map to their Unicode Control Pictures (U+2400 + code, U+2421), C1 to U+FFFD: raw
    NULs and friends never reach the HTML, where browsers drop or mangle them.
    """
    if text.isprintable() or not any(ord(c) < 32 or 127 <= ord(c) < 160 for c in text):
        return text
    out = []
    for c in text:
        o = ord(c)
        if o < 32 and c not in "\t\n\r":
            out.append(chr(0x2400 + o))
        elif o == 127:
            out.append("\u2421")
        elif 128 <= o < 160:
            out.append("\ufffd")
        else:
            out.append(c)
    return "".join(out)


def shown_id(item_id: Any) -> str:
    """An id as text that cannot reorder itself or hide characters: controls visible, bidi as [U+XXXX]."""
    s = visible_controls(str(item_id))
    return "".join(f"[U+{ord(c):04X}]" if c in BIDI_CONTROLS else c for c in s)


def shorten(text: str, limit: int = ID_LIMIT) -> str:
    """At most ``limit`` characters: the start, an ellipsis, and the last 20 (ids differ at their ends too)."""
    if len(text) <= limit:
        return text
    return text[: limit - 21] + "…" + text[-20:]
