"""The enrichment graph, nodes and edges in one place:

    gather -> tools -> triage --(a field undecided)--> extract -> verify --(problems, attempts left)--> extract
                             \\                                        \\-> fuse -> route -> END
                              \\--(every field decided)--------------------------> route
    extract --(LLM failed for good)--> END (the item becomes an error record)

triage is the cascade: with ``--llm auto`` it asks the LLM only about the fields the evidence
leaves undecided (``always``: every field; ``never``: none). An item with every field decided
skips fuse: triage's evidence-only decisions are the record's.

LangGraph runs the nodes above as three steps at most: gather, tools and triage are one step
(``evidence``), extract and verify another (``ask``), fuse and route a third (``record``; an item
triage decided takes ``route`` alone). Each LangGraph step
costs ~0.3 ms of CPU in its own machinery (tasks, channels, checkpoints, callbacks), more than
gather, triage's ``always``/``never`` path or verify take, and nothing runs between the nodes
a step joins; the node functions, their order and the edges' decisions are the diagram's.
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


async def evidence(state: GraphState, rt: AgentRuntime) -> GraphState:
    """gather -> tools -> triage as one step: each node sees the state its predecessors left."""
    update: GraphState = gather(state, rt)
    update.update(await run_tools({**state, **update}, rt))
    update.update(triage({**state, **update}, rt))
    return update


async def ask(state: GraphState, rt: AgentRuntime) -> GraphState:
    """extract -> verify as one step; an item whose call failed for good is not verified."""
    update = await extract(state, rt)
    if update.get("error") is None:
        update = {**update, **verify({**state, **update}, rt)}
    return update


async def record(state: GraphState, rt: AgentRuntime) -> GraphState:
    """fuse -> route as one step."""
    update = fuse(state, rt)
    return {**update, **route({**state, **update}, rt)}


def _after_ask(state: GraphState, rt: AgentRuntime) -> str:
    """Edge: END when the LLM failed for good (the item becomes an error record); else verify's
    edge (re-ask while problems remain and attempts are left, otherwise fuse)."""
    return END if state.get("error") is not None else after_verify(state, rt)


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
    g.add_node("evidence", on_loop(evidence, rt))
    g.add_node("ask", on_loop(ask, rt))
    g.add_node("record", on_loop(record, rt))
    g.add_node("route", on_loop(route, rt))
    g.add_edge(START, "evidence")
    g.add_conditional_edges("evidence", on_loop(after_triage, rt), {"extract": "ask", "route": "route"})
    g.add_conditional_edges("ask", on_loop(_after_ask, rt), {"extract": "ask", "fuse": "record", END: END})
    if rt.config.signals:  # declared signals: one more node; without them the graph is what it was
        from linernotes.agents.nodes.signals import declared_signals

        g.add_node("signals", on_loop(declared_signals, rt))
        for last in ("route", "record"):
            g.add_edge(last, "signals")
        g.add_edge("signals", END)
    else:
        for last in ("route", "record"):
            g.add_edge(last, END)
    return g.compile()
