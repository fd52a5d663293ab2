"""verify: check the draft against the taxonomy, the policy pack and the input itself.

Ids must exist, quotes must be exact substrings of the input. Problems send the item back to
extract with feedback (bounded by ``max_attempts``); what is still wrong after that is dropped by
route and named as a review reason.
"""

from __future__ import annotations

from collections.abc import Callable, Container

from linernotes.agents.checks import BCP47, find_span, needs_reask
from linernotes.agents.runtime import AgentRuntime
from linernotes.agents.state import Draft, GraphState
from linernotes.schema import Item
from linernotes.signals import builtin
from linernotes.vocabulary import DRAFT_KEYS, LANGUAGES, VALENCE_SCALE


def _ids(field: str, item: Item, rt: AgentRuntime) -> tuple[Container[str], Callable[[str], str], str | None]:
    """A multilabel field's vocabulary for ``item``, how an id outside it is reported, and what
    to say when no answered id is in it (None: an empty answer is an answer). The wording is the
    re-ask's feedback to the model, so it names the candidate list the prompt shows."""
    if field == "genres":
        tax = rt.taxonomy_for(item)
        return (tax, lambda g: f"genre id {g!r} is not in taxonomy {tax.id}; use an id from GENRE CANDIDATES",
                "choose at least one genre id from GENRE CANDIDATES")
    if field == "moods":
        return rt.moods, lambda m: f"mood id {m!r} is not in the mood vocabulary", None
    return rt.policy.clause_index(), lambda c: f"policy clause {c!r} does not exist", None


def problems_in(draft: Draft, item: Item, rt: AgentRuntime) -> list[str]:
    """What is wrong with the answered fields, checked by each field's spec kind (a field the
    LLM was not asked about is not checked): multilabel ids must be in the field's vocabulary,
    a scalar answer one of the scale's levels, a text answer a language tag; any boolean is an
    answer. Policy's quote, when given, must be an exact quote from the item."""
    out: list[str] = []
    for field in builtin.fields():
        if field == "policy" and draft.explicit_quote and find_span(item, draft.explicit_quote) is None:
            out.append(f"explicit_quote {draft.explicit_quote[:60]!r} is not an exact quote from the item")
        if not draft.answered(field):
            continue
        kind, value = builtin.kind_of(field), getattr(draft, DRAFT_KEYS[field][0])
        if kind == "multilabel":
            allowed, unknown, empty = _ids(field, item, rt)
            out += [unknown(x) for x in value if x not in allowed]
            if empty is not None and not any(x in allowed for x in value):
                out.append(empty)
        elif kind == "scalar" and value not in VALENCE_SCALE:
            out.append(f"{field} {value!r} must be one of {list(VALENCE_SCALE)}")
        elif kind == "text" and value not in LANGUAGES and not BCP47.match(value):
            out.append(f"{field} {value!r} is not a BCP-47 tag")
    return out


def verify(state: GraphState, rt: AgentRuntime) -> GraphState:
    draft = state.get("draft")
    if draft is None:
        return {"problems": []}
    return {"problems": problems_in(draft, state["item"], rt)}


def after_verify(state: GraphState, rt: AgentRuntime) -> str:
    """Edge: re-ask while problems remain and attempts are left; otherwise fuse."""
    reask = any(needs_reask(p) for p in state.get("problems") or [])
    if state.get("error") is None and reask and state.get("attempts", 0) < rt.config.max_attempts:
        return "extract"
    return "fuse"
