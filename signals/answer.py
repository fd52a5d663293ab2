"""The LLM side of declared signals: one structured call per item asks for every applicable
signal at once; its JSON schema is composed from the specs (one property per signal, typed by
kind, the vocabulary as an enum) so constrained decoding can only answer inside each spec.

Schema per kind: multilabel ``array`` of vocabulary ids (0..3), single_label a vocabulary id,
scalar a ``number`` within ``range``, boolean a ``boolean``, text a ``string`` (<= 200 chars).
A vocabulary longer than ``ENUM_LIMIT`` with ``evidence: [shortlist]`` is cut to the item's
shortlist (what the genre taxonomy does), so the prompt and the grammar stay small.
"""

from __future__ import annotations

from functools import lru_cache
from importlib import resources
from typing import Any

import jinja2
from pydantic import BaseModel, ConfigDict, create_model

from linernotes.digest import short_digest
from linernotes.signals.spec import SignalSpec

ENUM_LIMIT = 40
MAX_LABELS = 3
TEXT_LIMIT = 200


class SignalAnswer(BaseModel):
    """The parsed answer: one attribute per asked signal (by name)."""

    model_config = ConfigDict(extra="ignore")


def choices(spec: SignalSpec, evidence: dict[str, Any]) -> list[str]:
    """The ids the model may answer for a vocabulary signal (the shortlist for a long one)."""
    ids = spec.ids
    if len(ids) > ENUM_LIMIT and evidence.get("shortlist"):
        return [c["id"] for c in evidence["shortlist"]]
    return ids


_PY = {"multilabel": list[str], "single_label": str, "scalar": float, "boolean": bool, "text": str}


@lru_cache(maxsize=64)
def answer_model(kinds: tuple[tuple[str, str], ...]) -> type[SignalAnswer]:
    """The parse class for ``((name, kind), ...)``: every field required (a grammar-constrained
    decoder may skip optional ones); verify, not pydantic, rejects out-of-vocabulary values."""
    fields: dict[str, Any] = {name: (_PY[kind], ...) for name, kind in kinds}
    return create_model("Signals", __base__=SignalAnswer, **fields)


def property_schema(spec: SignalSpec, evidence: dict[str, Any]) -> dict[str, Any]:
    if spec.kind == "multilabel":
        return {"type": "array", "items": {"type": "string", "enum": choices(spec, evidence)},
                "minItems": 0, "maxItems": MAX_LABELS}
    if spec.kind == "single_label":
        return {"type": "string", "enum": choices(spec, evidence)}
    if spec.kind == "scalar":
        lo, hi = spec.range or (0.0, 1.0)
        return {"type": "number", "minimum": lo, "maximum": hi}
    if spec.kind == "boolean":
        return {"type": "boolean"}
    return {"type": "string", "maxLength": TEXT_LIMIT}


def response_for(specs: list[SignalSpec], evidence: dict[str, dict[str, Any]]
                 ) -> tuple[type[SignalAnswer], dict[str, Any]]:
    """(parse class, the JSON schema sent) for these specs and their per-item evidence."""
    model = answer_model(tuple((s.name, s.kind) for s in specs))
    props = {s.name: property_schema(s, evidence.get(s.name, {})) for s in specs}
    schema = {"title": "Signals", "type": "object", "properties": props, "required": [s.name for s in specs],
              "additionalProperties": False}
    return model, schema


class SignalPrompt(BaseModel):
    model_config = ConfigDict(arbitrary_types_allowed=True)

    system: str
    user: Any
    hash: str


@lru_cache(maxsize=1)
def load_prompt() -> SignalPrompt:
    """``signals/prompt.md``: system text, ``---``, the user template (jinja2)."""
    text = resources.files("linernotes.signals").joinpath("prompt.md").read_text(encoding="utf-8")
    system, _, user = text.partition("\n---\n")
    env = jinja2.Environment(autoescape=False, keep_trailing_newline=True, undefined=jinja2.StrictUndefined)
    return SignalPrompt(system=system.strip(), user=env.from_string(user),
                        hash=short_digest(text))


def render_messages(item_type: str, content: dict[str, str], specs: list[SignalSpec],
                    evidence: dict[str, dict[str, Any]]) -> list[dict[str, str]]:
    """The chat messages of one item's signal call (content as delimited data, like extract)."""
    prompt = load_prompt()
    shown = []
    for s in specs:
        ev = evidence.get(s.name, {})
        vocab = None
        if s.kind in ("multilabel", "single_label"):
            allowed = set(choices(s, ev))
            vocab = [(i, label) for i, label in s.vocabulary if i in allowed]
        shown.append({"spec": s, "vocab": vocab, "evidence": ev})
    user = prompt.user.render(item_type=item_type, content=content, signals=shown)
    return [{"role": "system", "content": prompt.system}, {"role": "user", "content": user}]
