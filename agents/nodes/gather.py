"""gather: decide which tools apply to this item (content type, fields present, audio path)."""

from __future__ import annotations

from linernotes.agents.runtime import AgentRuntime
from linernotes.agents.state import GraphState


def gather(state: GraphState, rt: AgentRuntime) -> GraphState:
    item = state["item"]
    plan = ["shortlist", "moods"]
    if item.text_fields():
        plan.append("policy")
    if item.audio_path:
        plan.append("audio")
    if rt.exemplars is not None:
        plan.append("exemplars")
    return {"plan": plan, "attempts": 0, "problems": [], "draft": None}
