"""route: turn the decisions, the draft and the tool evidence into the final record, and decide
whether a person must review it (and why).

Which fields are below their thresholds, and why, is ``linernotes.agents.fields``; a policy
severity at or above ``review_severity``, an audio failure and an unresolved draft problem are
review reasons too.
"""

from __future__ import annotations

from linernotes.agents.checks import needs_reask
from linernotes.agents.decisions import unread_policy_note
from linernotes.agents.fields import field_view, low_confidence
from linernotes.agents.runtime import AgentRuntime
from linernotes.agents.state import Draft, GraphState, evidence_json
from linernotes.schema import Enrichment, Explicit, Provenance, Review, Usage, round_cost


def route(state: GraphState, rt: AgentRuntime) -> GraphState:
    ev, cfg = state["evidence"], rt.config
    draft: Draft | None = state.get("draft")
    usage: Usage = state.get("usage") or Usage()
    reasons: list[str] = [f"unresolved: {p}" for p in state.get("problems") or [] if needs_reask(p)]
    view = field_view(state, rt)
    reasons += low_confidence(view, rt).values()
    if view.policy is not None and view.policy.note:  # a flag read in one passage of a long text
        reasons.append(view.policy.note)
    elif view.policy is None and (unread := unread_policy_note(state, rt)):  # too long to read passage by passage
        reasons.append(unread)
    max_sev = max((f.severity for f in view.flags), default=0)
    if max_sev >= cfg.review_severity:
        reasons.append(f"policy severity {max_sev}")
    if ev.audio_error:
        reasons.append(f"audio: {ev.audio_error['kind']}")

    prov = Provenance(model=rt.llm.model_label, prompt_hash=rt.prompt.hash,
                      tool_versions=rt.tool_versions, tokens_in=usage.tokens_in, tokens_out=usage.tokens_out,
                      tokens_cached=usage.tokens_cached,
                      cost_usd=round_cost(usage.cost_usd), latency_s=round(usage.latency_s, 4),
                      cache_hit=usage.cache_hit and usage.calls == 0, llm_calls=usage.calls,
                      attempts=state.get("attempts", 1), fusion=rt.fusion.content_hash if rt.fusion else None,
                      llm_consulted=draft is not None, llm_fields=list(draft.fields) if draft is not None else [])
    enrichment = Enrichment(
        genres=list(view.genres.value), moods=view.moods,
        valence=round(max(-1.0, min(1.0, float(view.valence.value))), 4), language=view.language,
        explicit=Explicit(value=bool(view.explicit_hits), evidence=[h.span for h in view.explicit_hits]),
        policy_flags=view.flags, confidence=view.conf, rationale=(draft.rationale if draft else "")[:500],
        review=Review(routed=bool(reasons), reasons=list(dict.fromkeys(reasons))),
        provenance=prov, evidence=evidence_json(state),
        draft=draft.answer() if draft is not None else None,
    )
    return {"enrichment": enrichment}
