"""The enrichment graph, nodes and edges in one place:

    gather -> tools -> triage --(a field undecided)--> extract -> verify --(problems, attempts left)--> extract
                             \\                                        \\-> fuse -> route -> END
                              \\--(every field decided)--------------------------> route
    extract --(LLM failed for good)--> END (the item becomes an error record)

triage is the cascade: with ``--llm auto`` it asks the LLM only about the fields the evidence
leaves undecided (``always``: every field; ``never``: none). An item with every field decided
skips fuse: triage's evidence-only decisions are the record's.
"""

from __future__ import annotations

import inspect
from collections.abc import Awaitable, Callable
from functools import partial
from typing import Any

from langgraph.graph import END, START, StateGraph

from linernotes.agents.nodes.extract import extract
from linernotes.agents.nodes.fuse import fuse
from linernotes.agents.nodes.gather import gather
from linernotes.agents.nodes.route import route
from linernotes.agents.nodes.run_tools import run_tools
from linernotes.agents.nodes.triage import after_triage, triage
from linernotes.agents.nodes.verify import after_verify, verify
from linernotes.agents.runtime import AgentRuntime
from linernotes.agents.state import GraphState


def _after_extract(state: GraphState, rt: AgentRuntime) -> str:
    return END if state.get("error") is not None else "verify"


def on_loop(fn: Callable[..., Any], rt: AgentRuntime) -> Callable[[GraphState], Awaitable[Any]]:
    """Bind the runtime; a sync function becomes a coroutine. LangGraph hands a sync node or
    branch to a worker thread, a ~0.1 ms round trip per step; ours take microseconds of CPU."""
    if inspect.iscoroutinefunction(fn):
        return partial(fn, rt=rt)

    async def step(state: GraphState) -> Any:
        return fn(state, rt=rt)

    step.__name__ = fn.__name__
    return step


def build_graph(rt: AgentRuntime):
    """Compile the graph with the run's shared runtime bound into every node."""
    g = StateGraph(GraphState)
    g.add_node("gather", on_loop(gather, rt))
    g.add_node("tools", on_loop(run_tools, rt))
    g.add_node("triage", on_loop(triage, rt))
    g.add_node("extract", on_loop(extract, rt))
    g.add_node("verify", on_loop(verify, rt))
    g.add_node("fuse", on_loop(fuse, rt))
    g.add_node("route", on_loop(route, rt))
    g.add_edge(START, "gather")
    g.add_edge("gather", "tools")
    g.add_edge("tools", "triage")
    g.add_conditional_edges("triage", on_loop(after_triage, rt), {"extract": "extract", "route": "route"})
    g.add_conditional_edges("extract", on_loop(_after_extract, rt), {"verify": "verify", END: END})
    g.add_conditional_edges("verify", on_loop(after_verify, rt), {"extract": "extract", "fuse": "fuse"})
    g.add_edge("fuse", "route")
    if rt.config.signals:  # declared signals: one more node; without them the graph is what it was
        from linernotes.agents.nodes.signals import declared_signals

        g.add_node("signals", on_loop(declared_signals, rt))
        g.add_edge("route", "signals")
        g.add_edge("signals", END)
    else:
        g.add_edge("route", END)
    return g.compile()
