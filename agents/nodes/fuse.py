"""fuse: decide each field's value and confidence from the evidence and the LLM's draft
(``linernotes.agents.decisions``: the fitted combiners where the artifact has them, else the
hand-set rules, marked uncalibrated)."""

from __future__ import annotations

from linernotes.agents.decisions import decide
from linernotes.agents.runtime import AgentRuntime
from linernotes.agents.state import GraphState


def fuse(state: GraphState, rt: AgentRuntime) -> GraphState:
    return {"decisions": decide(state, rt)}
