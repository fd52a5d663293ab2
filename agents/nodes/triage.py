"""triage: the cascade's question, asked after the tools: which fields still need the LLM?

``--llm always`` asks for every field and ``--llm never`` for none. ``--llm auto`` decides every
field from the evidence alone first (the same ``fuse`` and ``route`` code that build the record)
and asks the LLM only about a review field that both

- would be routed to review as it stands (confidence below its threshold: the fusion artifact's
  calibrated threshold, else the run's ``review_threshold``), and
- can change with the LLM's answer (a combiner fitted without drafts cannot, nor can the
  lexicon's explicit flag; a language only the LLM names is never accepted by the router).

A field the router would auto-accept is decided: asking the LLM could not be justified by the
router's own standard. Advisory fields (moods; a calibrated field no threshold reached) never
cost a call by themselves; when a call is made, moods ride along (a few tokens) so the record's
moods come from the model whenever it was consulted.
"""

from __future__ import annotations

from linernotes.agents.decisions import decide, fusion_vocabulary
from linernotes.agents.fields import field_view, low_confidence
from linernotes.agents.runtime import AgentRuntime
from linernotes.agents.state import GraphState
from linernotes.fusion.decide import Decision, reads_draft
from linernotes.signals import builtin


def llm_can_change(field: str, state: GraphState, rt: AgentRuntime, decisions: dict[str, Decision]) -> bool:
    """Whether the LLM's answer can change ``field``'s value in the record, given the
    evidence-only ``decisions`` (a fitted combiner that applied, or the hand-set rules)."""
    item, ev = state["item"], state["evidence"]
    d = decisions.get(field)
    if d is not None and d.calibrated:  # a fitted combiner decided: does it read drafts?
        return reads_draft(rt.fusion, field, fusion_vocabulary(field, item, rt))
    if field == "policy":
        # the rules turn a cited clause into a flag only with an exact quote (verbose format)
        return rt.prompt.answer != "compact" and bool(ev.clauses)
    # a field the hand-set rules decide (genres, valence) takes the draft's answer; language: the
    # router never accepts a tag only the LLM gives (confidence 0.3), so asking cannot decide it;
    # explicit: the lexicon decides; moods: advisory
    return d is not None


def undecided(state: GraphState, rt: AgentRuntime, decisions: dict[str, Decision]) -> list[str]:
    """The review fields the evidence-only ``decisions`` leave undecided and the LLM could
    decide, in answer order."""
    routed = low_confidence(field_view({**state, "draft": None, "decisions": decisions}, rt), rt)
    return [f for f in builtin.fields() if f in routed and llm_can_change(f, state, rt, decisions)]


def triage(state: GraphState, rt: AgentRuntime) -> GraphState:
    """The built-in fields to ask, in answer order, restricted to those whose shipped signal spec
    (``linernotes.signals.builtin``) applies to the item's type. When none is asked, also the
    evidence-only decisions: they are the record's, and ``fuse`` need not compute them again;
    when some are asked, the same as ``evidence_decisions`` (``decide`` reuses those of combiners
    that do not read drafts)."""
    mode = rt.config.llm_mode
    if mode == "always":
        ask = builtin.applicable(builtin.fields(), state["item"].type)
        if ask:
            return {"ask": ask}
    decisions = decide({**state, "draft": None}, rt)
    ask = undecided(state, rt, decisions) if mode == "auto" else []
    if ask:
        # advisory fields (a spec that never routes: review_threshold 0, the moods) ride along, and
        # explicit with policy (one lexicon, one quote)
        ask = [f for f in builtin.fields() if f in ask or f in builtin.advisory()
               or (f == "explicit" and "policy" in ask)]
        ask = builtin.applicable(ask, state["item"].type)
    # asked: fuse decides again with the draft, and reuses the decisions no draft can change
    return {"ask": ask, "evidence_decisions": decisions} if ask else {"ask": [], "decisions": decisions}


def after_triage(state: GraphState, rt: AgentRuntime) -> str:
    """Edge: the LLM only for an item with an undecided field; an item with every field decided
    goes straight to route with triage's evidence-only decisions."""
    return "extract" if state.get("ask") else "route"
