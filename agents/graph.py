"""The enrichment graph, nodes and edges in one place. One item's path:

    gather -> tools -> triage --(a field undecided)--> extract -> verify --(problems, attempts left)--> extract
                             \\                                        \\-> fuse -> route -> END
                              \\--(every field decided)--------------------------> route
    extract --(LLM failed for good)--> END (the item becomes an error record)

triage is the cascade: with ``--llm auto`` it asks the LLM only about the fields the evidence
leaves undecided (``always``: every field; ``never``: none). An item with every field decided
skips fuse: triage's evidence-only decisions are the record's.

Items go through the graph in batches (micro-batching; the runner forms them from its in-flight
window, one item at concurrency 1). The LangGraph state is the batch: one ``Slot`` per item,
holding that item's own state (``GraphState``, as before) and the node it goes to next. Each
step runs the nodes above for the items whose path reaches it, and each item's path is decided
per item by the edges above (``after_triage``, ``after_verify``); the batch moves to the next
step once every item in it has done this one. Why: LangGraph's per-invoke and per-step
machinery (tasks, channels, callbacks: ~3 ms of CPU per item at 16 items in flight, more than
the tools) is paid once per batch instead of once per item.

The steps (the same three as one item had, so a batch of one costs what an item did):
``evidence`` (gather, tools, triage), ``ask`` (extract, verify; repeated while an item re-asks)
and ``record`` (fuse, route; an item triage decided takes ``route`` alone), then ``signals``
when the run declares some. Items in a step run concurrently (``asyncio.gather``: LLM calls,
audio decoding and exemplar search overlap as they did across items); an item whose node raises
is set aside with its exception (``Slot.exception``: the runner makes it the item's error
record, as for an item alone) and the others go on.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, TypedDict

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


# -- one item's steps: the nodes a step joins, in the diagram's order ----------------------------
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


async def route_only(state: GraphState, rt: AgentRuntime) -> GraphState:
    """route alone: an item triage decided (its evidence-only decisions are the record's)."""
    return route(state, rt)


# -- one item's edges ----------------------------------------------------------------------------
def after_evidence(state: GraphState, rt: AgentRuntime) -> str:
    """Edge: the LLM only for an item with an undecided field (triage's ``after_triage``)."""
    return "ask" if after_triage(state, rt) == "extract" else "route"


def after_ask(state: GraphState, rt: AgentRuntime) -> str:
    """Edge: END when the LLM failed for good (the item becomes an error record); else verify's
    edge (re-ask while problems remain and attempts are left, otherwise fuse and route)."""
    if state.get("error") is not None:
        return END
    return "ask" if after_verify(state, rt) == "extract" else "record"


# -- the batch -----------------------------------------------------------------------------------
@dataclass
class Slot:
    """One item of a batch: its state, the step it goes to next (END: done), and the exception
    its node raised, if one did (the item stops there; the runner makes its error record)."""

    state: GraphState
    next: str = "evidence"
    exception: Exception | None = None


class BatchState(TypedDict):
    items: list[Slot]


async def _step(slot: Slot, node: Callable[..., Awaitable[GraphState]], rt: AgentRuntime) -> None:
    try:
        slot.state.update(await node(slot.state, rt))
    except Exception as e:  # noqa: BLE001 (one bad item never kills its batch)
        slot.exception, slot.next = e, END


async def _run(slots: list[Slot], nodes: dict[str, Callable[..., Awaitable[GraphState]]], rt: AgentRuntime,
               edge: Callable[[Slot], str]) -> None:
    """Run each slot's node (``nodes[slot.next]``) concurrently, then its edge; slots whose next
    step is not in ``nodes`` wait for a later step."""
    todo = [s for s in slots if s.next in nodes]
    await asyncio.gather(*(_step(s, nodes[s.next], rt) for s in todo))
    for s in todo:
        if s.exception is None:
            s.next = edge(s)


def build_graph(rt: AgentRuntime) -> Graph:
    """Compile the batch graph with the run's shared runtime bound into every step."""
    declared = bool(rt.config.signals)  # declared signals: one more step; without them the graph is what it was
    last = "signals" if declared else END

    async def evidence_step(batch: BatchState) -> BatchState:
        await _run(batch["items"], {"evidence": evidence}, rt, lambda s: after_evidence(s.state, rt))
        return batch

    async def ask_step(batch: BatchState) -> BatchState:
        await _run(batch["items"], {"ask": ask}, rt, lambda s: after_ask(s.state, rt))
        return batch

    async def record_step(batch: BatchState) -> BatchState:
        await _run(batch["items"], {"record": record, "route": route_only}, rt, lambda s: last)
        return batch

    def onward(batch: BatchState) -> str:
        """Batch edge: ``ask`` while any item still has a call to make, then ``record``."""
        return "ask" if any(s.next == "ask" for s in batch["items"]) else "record"

    g = StateGraph(BatchState)
    g.add_node("evidence", evidence_step)
    g.add_node("ask", ask_step)
    g.add_node("record", record_step)
    g.add_edge(START, "evidence")
    g.add_conditional_edges("evidence", onward, {"ask": "ask", "record": "record"})
    g.add_conditional_edges("ask", onward, {"ask": "ask", "record": "record"})
    if declared:
        from linernotes.agents.nodes.signals import declared_signals

        async def signals_step(batch: BatchState) -> BatchState:
            await _run(batch["items"], {"signals": declared_signals}, rt, lambda s: END)
            return batch

        g.add_node("signals", signals_step)
        g.add_edge("record", "signals")
        g.add_edge("signals", END)
    else:
        g.add_edge("record", END)
    return Graph(g.compile())


@dataclass
class Graph:
    """The compiled batch graph. ``run`` takes a batch of item states; ``ainvoke`` one item, as a
    batch of one (its node's exception raised, as LangGraph would)."""

    compiled: Any

    async def run(self, states: list[GraphState]) -> list[Slot]:
        """Each item's final state (``Slot.state``, updated in place) or the exception it raised."""
        slots = [Slot(state=s) for s in states]
        if slots:
            await self.compiled.ainvoke({"items": slots})
        return slots

    async def ainvoke(self, state: GraphState) -> GraphState:
        (slot,) = await self.run([dict(state)])
        if slot.exception is not None:
            raise slot.exception
        return slot.state

