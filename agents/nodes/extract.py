"""extract: one structured LLM call; labels constrained to the shortlisted candidates (schema
enums), content passed as delimited data.

Two answer formats, chosen by the prompt (``Prompt.answer``):
- ``compact`` (default, extract.v2): candidates are named by short handles (``G1``, ``M2``,
  ``C1``), valence is an integer level -2..2, no quote, a rationale only when asked. About a
  quarter of the verbose format's output tokens on the bundled example.
- ``verbose`` (extract.v1): taxonomy ids, a valence word, an explicit quote and a rationale.
Either is turned into the same ``Draft`` (ids), so verify, route and fusion never see handles.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from pydantic import BaseModel, Field, create_model

from linernotes.agents.content import content_of
from linernotes.agents.runtime import AgentRuntime, PromptError
from linernotes.agents.state import Draft, Evidence, GraphState
from linernotes.llm.client import LLMError, schema_of
from linernotes.schema import ErrorInfo, Usage
from linernotes.signals import builtin
from linernotes.vocabulary import DRAFT_KEYS, LANGUAGES, VALENCE_SCALE

LEVELS = dict(zip(range(-2, 3), VALENCE_SCALE, strict=True))  # -2 -> "very negative" ... 2 -> "very positive"
PREFIX = {"genres": "G", "moods": "M", "clauses": "C"}


def _enum_list(n: int, min_items: int = 0) -> Any:
    return Field(..., json_schema_extra={"items": {"type": "string", "enum": []}, "maxItems": n, "minItems": min_items})


@lru_cache(maxsize=16)
def answer_model(max_genres: int, max_moods: int, with_clauses: bool) -> type[Draft]:
    """The verbose format's parse class: every field required (a grammar-constrained decoder may
    skip optional fields). Built once per shape; the item's ids go into ``draft_schema`` instead
    (a class per item cost ~2 ms of CPU in pydantic's ``create_model``). Pydantic accepts any
    string for an id: verify is what rejects."""
    fields: dict[str, Any] = {
        "genres": (list[str], _enum_list(max_genres, 1)),
        "moods": (list[str], _enum_list(max_moods, 1)),
        "valence": (str, Field(json_schema_extra={"enum": list(VALENCE_SCALE)})),
        "language": (str, Field(json_schema_extra={"enum": LANGUAGES})),
        "explicit": (bool, ...),
        "explicit_quote": (str, Field(..., json_schema_extra={"maxLength": 60})),
        "policy_clauses": (list[str], _enum_list(4) if with_clauses else Field(
            ..., json_schema_extra={"maxItems": 0})),
        "rationale": (str, Field(..., json_schema_extra={"maxLength": 100})),
    }
    return create_model("Enrichment", __base__=Draft, **fields)


class CompactAnswer(BaseModel):
    """The compact format as parsed (handles, not ids); the fields are the ones asked for."""


ANSWER_KEY = {"policy": "clauses"}  # record field -> its key in the compact answer (and its handle list)
CODES = {"language": LANGUAGES}  # a text field's answer codes


def answer_key(field: str) -> str:
    return ANSWER_KEY.get(field, field)


def _compact_field(field: str, sizes: dict[str, tuple[int, int] | None]) -> tuple[Any, Any]:
    """One field's answer type by its shipped spec's kind (``signals.builtin``): multilabel, a list
    of candidate handles (``sizes``: at most, at least; None: no candidates, so an empty list);
    scalar, an integer level -2..2 (``LEVELS``); text, one of the field's codes; boolean, a bool."""
    kind = builtin.kind_of(field)
    if kind == "multilabel":
        size = sizes[field]
        return list[str], _enum_list(*size) if size else Field(..., json_schema_extra={"maxItems": 0})
    if kind == "scalar":
        return int, Field(..., json_schema_extra={"enum": list(LEVELS)})
    if kind == "text":
        return str, Field(..., json_schema_extra={"enum": CODES[field]})
    if kind == "boolean":
        return bool, ...
    raise ValueError(f"built-in field {field}: the compact answer has no {kind} type")


@lru_cache(maxsize=64)
def compact_model(fields: tuple[str, ...], max_genres: int, max_moods: int, with_clauses: bool,
                  rationale: bool) -> type[CompactAnswer]:
    """The compact answer class for ``fields`` (record field names, in answer order), every one
    required (a grammar-constrained decoder may skip optional fields); each field's type by kind."""
    sizes = {"genres": (max_genres, 1), "moods": (max_moods, 0), "policy": (3, 0) if with_clauses else None}
    chosen = {answer_key(f): _compact_field(f, sizes) for f in fields}
    if rationale:
        chosen["rationale"] = (str, Field(..., json_schema_extra={"maxLength": 100}))
    return create_model("Answer", __base__=CompactAnswer, **chosen)


def handles(ev: Evidence) -> dict[str, dict[str, str]]:
    """Per list, handle -> id (``G1`` is the first genre candidate)."""
    lists = {"genres": [c.id for c in ev.genres], "moods": [c.id for c in ev.moods],
             "clauses": [c.id for c in ev.clauses]}
    return {name: {f"{PREFIX[name]}{i}": cid for i, cid in enumerate(ids, 1)} for name, ids in lists.items()}


def _with_enums(base: dict[str, Any], enums: dict[str, tuple[str, ...]]) -> dict[str, Any]:
    props = dict(base["properties"])
    for name, ids in enums.items():
        if ids and name in props:
            props[name] = {**props[name], "items": {**props[name]["items"], "enum": list(ids)}}
    return {**base, "properties": props}


def draft_schema(genre_ids: tuple[str, ...], mood_ids: tuple[str, ...], clause_ids: tuple[str, ...],
                 max_genres: int, max_moods: int) -> dict[str, Any]:
    """The verbose format's JSON schema for this item: ``answer_model``'s, with this item's
    candidates as enums, so constrained decoding can only emit shortlisted ids."""
    base = schema_of(answer_model(max_genres, max_moods, bool(clause_ids)))
    return _with_enums(base, {"genres": genre_ids, "moods": mood_ids, "policy_clauses": clause_ids})


def asked(state: GraphState, rt: AgentRuntime) -> tuple[str, ...]:
    """The fields this call asks for: the cascade's (``triage``) in the compact format; the
    verbose format's answer class is fixed, so it always asks for every field."""
    every = builtin.fields()
    if rt.prompt.answer != "compact":
        return every
    ask = state.get("ask")
    return every if ask is None else tuple(f for f in every if f in ask)


def render_messages(state: GraphState, rt: AgentRuntime,
                    by_list: dict[str, dict[str, str]] | None = None) -> list[dict[str, str]]:
    """The extract call's messages; ``by_list``: ``handles(evidence)`` when the caller has it."""
    item, ev = state["item"], state["evidence"]
    genre_handle = {cid: h for h, cid in (handles(ev) if by_list is None else by_list)["genres"].items()}
    ask = asked(state, rt)
    try:
        user = rt.prompt.user.render(item=item, content=content_of(item, rt.config.content_chars), evidence=ev,
                                     feedback=state.get("problems") or [], handles=genre_handle,
                                     rationale=rt.config.rationale, ask=ask,
                                     restricted=list(ask) if ask != builtin.fields() else [])
    except Exception as e:  # a custom template's expression may raise anything
        # jinja2's own error ('list object has no element 50', "unsupported operand type(s) for +")
        # named neither the prompt nor the item, and ended --dry-run in a traceback
        raise PromptError(f"--prompt {rt.prompt.name}: the user template cannot be rendered for item "
                          f"{item.id!r:.80}: {type(e).__name__}: {e}") from None
    return [{"role": "system", "content": rt.prompt.system}, {"role": "user", "content": user}]


def response_for(state: GraphState, rt: AgentRuntime, by_list: dict[str, dict[str, str]] | None = None
                 ) -> tuple[type[BaseModel], dict[str, Any]]:
    """The parse class and the item's schema for the extract call; ``by_list``: ``handles(evidence)``
    when the caller has it."""
    ev, c = state["evidence"], rt.config
    if rt.prompt.answer == "compact":
        h = handles(ev) if by_list is None else by_list
        model = compact_model(asked(state, rt), c.max_genres, c.max_moods, bool(h["clauses"]), c.rationale)
        return model, _with_enums(schema_of(model), {k: tuple(v) for k, v in h.items()})
    genres, moods, clauses = (tuple(x.id for x in ev.genres), tuple(x.id for x in ev.moods),
                              tuple(x.id for x in ev.clauses))
    return (answer_model(c.max_genres, c.max_moods, bool(clauses)),
            draft_schema(genres, moods, clauses, c.max_genres, c.max_moods))


def to_draft(answer: BaseModel, ev: Evidence, by_list: dict[str, dict[str, str]] | None = None) -> Draft:
    """The answer as ids. A handle that names no candidate is kept as written, so verify reports
    it and the re-ask can correct it. ``by_list``: ``handles(ev)`` when the caller has it."""
    if not isinstance(answer, CompactAnswer):
        return Draft.model_validate(answer.model_dump())
    h, a = handles(ev) if by_list is None else by_list, answer.model_dump()
    fields = [f for f in builtin.fields() if answer_key(f) in a]
    out: dict[str, Any] = {"fields": fields, "rationale": str(a.get("rationale", ""))}
    for f in fields:  # by kind: handles -> ids, a level -> its word, the rest as answered
        value, kind = a[answer_key(f)], builtin.kind_of(f)
        if kind == "multilabel":
            value = [h[answer_key(f)].get(x, x) for x in value]
        elif kind == "scalar":
            value = LEVELS.get(value, str(value))
        out[DRAFT_KEYS[f][0]] = value
    return Draft(**out)


async def extract(state: GraphState, rt: AgentRuntime) -> GraphState:
    # the candidates' handles once for the prompt, the schema and the answer (each built them)
    by_list = handles(state["evidence"])
    messages = render_messages(state, rt, by_list)
    usage = state.get("usage") or Usage(cache_hit=True)
    try:
        model, schema = response_for(state, rt, by_list)
        answer, call_usage = await rt.llm.structured(messages, model, schema)
    except LLMError as e:
        total = usage.add(e.usage)
        return {"usage": total, "error": ErrorInfo(kind=f"llm.{e.kind}", message=str(e)),
                "attempts": state.get("attempts", 0) + 1}
    return {"draft": to_draft(answer, state["evidence"], by_list), "usage": usage.add(call_usage),
            "attempts": state.get("attempts", 0) + 1}
