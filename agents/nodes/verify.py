"""verify: check the draft against the taxonomy, the policy pack and the input itself.

Ids must exist, quotes must be exact substrings of the input. Problems send the item back to
extract with feedback (bounded by ``max_attempts``); what is still wrong after that is dropped by
route and named as a review reason.
"""

from __future__ import annotations

from linernotes.agents.checks import BCP47, find_span, needs_reask
from linernotes.agents.runtime import AgentRuntime
from linernotes.agents.state import Draft, GraphState
from linernotes.schema import Item
from linernotes.vocabulary import LANGUAGES, VALENCE_SCALE


def problems_in(draft: Draft, item: Item, rt: AgentRuntime) -> list[str]:
    """What is wrong with the answered fields (a field the LLM was not asked about is not checked)."""
    tax = rt.taxonomy_for(item)
    out: list[str] = []
    if draft.answered("genres"):
        for g in draft.genres:
            if g not in tax:
                out.append(f"genre id {g!r} is not in taxonomy {tax.id}; use an id from GENRE CANDIDATES")
        if not any(g in tax for g in draft.genres):
            out.append("choose at least one genre id from GENRE CANDIDATES")
    if draft.answered("moods"):
        for m in draft.moods:
            if m not in rt.moods:
                out.append(f"mood id {m!r} is not in the mood vocabulary")
    if draft.answered("valence") and draft.valence not in VALENCE_SCALE:
        out.append(f"valence {draft.valence!r} must be one of {list(VALENCE_SCALE)}")
    if draft.answered("language") and draft.language not in LANGUAGES and not BCP47.match(draft.language):
        out.append(f"language {draft.language!r} is not a BCP-47 tag")
    if draft.explicit_quote and find_span(item, draft.explicit_quote) is None:
        out.append(f"explicit_quote {draft.explicit_quote[:60]!r} is not an exact quote from the item")
    if draft.answered("policy"):
        clauses = rt.policy.clause_index()
        for c in draft.policy_clauses:
            if c not in clauses:
                out.append(f"policy clause {c!r} does not exist")
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
