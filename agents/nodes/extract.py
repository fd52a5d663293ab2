"""extract: one structured LLM call; labels constrained to the shortlisted ids (schema enums),
content passed as delimited data."""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from pydantic import Field, create_model

from linernotes.agents.runtime import AgentRuntime
from linernotes.agents.state import Draft, GraphState
from linernotes.llm.client import LLMError, schema_of
from linernotes.schema import ErrorInfo, Item, Usage

VALENCE_SCALE = {"very negative": -0.8, "negative": -0.4, "neutral": 0.0, "positive": 0.4, "very positive": 0.8}
LANGUAGES = ["en", "es", "fr", "de", "it", "pt", "nl", "sv", "pl", "ru", "ja", "ko", "zh", "ar", "hi", "tr", "und"]
DELIM_OPEN, DELIM_CLOSE = "<<<DATA", "DATA>>>"


@lru_cache(maxsize=16)
def answer_model(max_genres: int, max_moods: int, with_clauses: bool) -> type[Draft]:
    """The class the answer is parsed into: every field required (a grammar-constrained decoder may
    skip optional fields). Built once per shape; the item's ids go into ``draft_schema`` instead
    (a class per item cost ~2 ms of CPU in pydantic's ``create_model``). Pydantic accepts any
    string for an id: verify is what rejects."""

    def enum_list(n: int, min_items: int = 0) -> Any:
        return Field(..., json_schema_extra={
            "items": {"type": "string", "enum": []}, "maxItems": n, "minItems": min_items})

    fields: dict[str, Any] = {
        "genres": (list[str], enum_list(max_genres, 1)),
        "moods": (list[str], enum_list(max_moods, 1)),
        "valence": (str, Field(json_schema_extra={"enum": list(VALENCE_SCALE)})),
        "language": (str, Field(json_schema_extra={"enum": LANGUAGES})),
        "explicit": (bool, ...),
        "explicit_quote": (str, Field(..., json_schema_extra={"maxLength": 60})),
        "policy_clauses": (list[str], enum_list(4) if with_clauses else Field(
            ..., json_schema_extra={"maxItems": 0})),
        "rationale": (str, Field(..., json_schema_extra={"maxLength": 100})),
    }
    return create_model("Enrichment", __base__=Draft, **fields)


def draft_schema(genre_ids: tuple[str, ...], mood_ids: tuple[str, ...], clause_ids: tuple[str, ...],
                 max_genres: int, max_moods: int) -> dict[str, Any]:
    """The JSON schema sent with this item's call: ``answer_model``'s, with this item's candidates
    as enums, so constrained decoding can only emit shortlisted ids."""
    base = schema_of(answer_model(max_genres, max_moods, bool(clause_ids)))
    props = dict(base["properties"])
    for name, ids in (("genres", genre_ids), ("moods", mood_ids), ("policy_clauses", clause_ids)):
        if ids:
            props[name] = {**props[name], "items": {**props[name]["items"], "enum": list(ids)}}
    return {**base, "properties": props}


def sanitize(text: str, limit: int) -> str:
    """Content is data: strip our delimiters from it and bound its length."""
    text = text.replace(DELIM_OPEN, "<<DATA").replace(DELIM_CLOSE, "DATA>>")
    return text if len(text) <= limit else text[:limit] + " [...]"


def content_of(item: Item, limit: int) -> dict[str, str]:
    out = {k: sanitize(v, limit) for k, v in item.text_fields().items()}
    if item.year:
        out["year"] = str(item.year)
    for k, v in item.extra.items():
        if isinstance(v, str | int | float) and not isinstance(v, bool) and len(out) < 16:
            # column names are catalog content too: a name like "DATA>>>" must not close the block
            out[" ".join(sanitize(str(k), 60).split())] = sanitize(str(v), 200)
    return out


def render_messages(state: GraphState, rt: AgentRuntime) -> list[dict[str, str]]:
    item, ev = state["item"], state["evidence"]
    user = rt.prompt.user.render(item=item, content=content_of(item, rt.config.content_chars), evidence=ev,
                                 feedback=state.get("problems") or [])
    return [{"role": "system", "content": rt.prompt.system}, {"role": "user", "content": user}]


def response_for(state: GraphState, rt: AgentRuntime) -> tuple[type[Draft], dict[str, Any]]:
    """The parse class and the item's schema for the extract call."""
    ev, c = state["evidence"], rt.config
    genres, moods, clauses = (tuple(x.id for x in ev.genres), tuple(x.id for x in ev.moods),
                              tuple(x.id for x in ev.clauses))
    return (answer_model(c.max_genres, c.max_moods, bool(clauses)),
            draft_schema(genres, moods, clauses, c.max_genres, c.max_moods))


async def extract(state: GraphState, rt: AgentRuntime) -> GraphState:
    messages = render_messages(state, rt)
    usage = state.get("usage") or Usage(cache_hit=True)
    try:
        model, schema = response_for(state, rt)
        draft, call_usage = await rt.llm.structured(messages, model, schema)
    except LLMError as e:
        total = usage.add(e.usage)
        return {"usage": total, "error": ErrorInfo(kind=f"llm.{e.kind}", message=str(e)),
                "attempts": state.get("attempts", 0) + 1}
    return {"draft": Draft.model_validate(draft.model_dump()), "usage": usage.add(call_usage),
            "attempts": state.get("attempts", 0) + 1}
