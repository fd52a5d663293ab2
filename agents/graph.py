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
holding that item's own state (``GraphState``, as before) and the node it goes to next. One
step, ``items``, runs each item's whole path as its own chain, all concurrently: gather, tools
and triage (``evidence``), extract and verify (again while verify asks), fuse and route (route
alone for an item triage decided), then the declared signals when the run has some. Each item's
path is decided per item by the edges above (``after_triage``, ``after_verify``); an item makes
its call as soon as its own evidence is in, and its record is handed back as soon as its path
ends (``Slot.done``), so an item never waits for the others of its batch. Why
batches: LangGraph's per-invoke and per-step machinery (tasks, channels, callbacks: ~3 ms of CPU
per item at 16 items in flight, more than the tools) is paid once per batch instead of once per
item. An item whose node raises is set aside with its exception (``Slot.exception``: the runner
makes it the item's error record, as for an item alone) and the others go on.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, TypedDict

from langgraph.graph import END, START, StateGraph

from linernotes.agents.decisions import draftless_ahead
from linernotes.agents.nodes.extract import extract
from linernotes.agents.nodes.fuse import fuse
from linernotes.agents.nodes.gather import gather
from linernotes.agents.nodes.route import route
from linernotes.agents.nodes.run_tools import embed_ahead, run_tools
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
    """One item of a batch: its state, the step it goes to next (END: done), the exception its
    node raised, if one did (the item stops there; the runner makes its error record), and who to
    tell once its path has ended (``done``, with its position in the batch)."""

    state: GraphState
    next: str = "evidence"
    exception: Exception | None = None
    index: int = 0
    done: Callable[[int, Slot], None] | None = None


class BatchState(TypedDict):
    items: list[Slot]


async def _step(slot: Slot, node: Callable[..., Awaitable[GraphState]], rt: AgentRuntime) -> None:
    try:
        slot.state.update(await node(slot.state, rt))
    except Exception as e:  # noqa: BLE001 (one bad item never kills its batch)
        slot.exception, slot.next = e, END


def build_graph(rt: AgentRuntime) -> Graph:
    """Compile the batch graph with the run's shared runtime bound into every step."""
    declared = bool(rt.config.signals)  # declared signals: one more node; without them the path is what it was
    if declared:
        from linernotes.agents.nodes.signals import declared_signals

    async def path(slot: Slot, batch: list[Slot]) -> None:
        """One item's whole path, as its edges decide: evidence (gather, tools, triage), then ask
        (again while verify finds problems and attempts are left), then record (or route alone),
        then the declared signals; its ``done`` hears of it at once (a finished item never waits
        for a slower call of its batch). An item goes on to its call as soon as its own evidence
        is in: a step boundary after the batch's evidence made every item wait for the others'
        tools and then for the event loop's turn (~20 ms of 280 per item at C = 8 against the
        200 ms stub, one process)."""
        await _step(slot, evidence, rt)
        if slot.exception is None:
            slot.next = after_evidence(slot.state, rt)
        while slot.next == "ask":
            await _step(slot, ask, rt)
            if slot.exception is None:
                slot.next = after_ask(slot.state, rt)
        if slot.next == "record":
            # the batch's draftless combiners in one product, for every item asked so far (the
            # first to come back pays for the others; no call waits for it)
            draftless_ahead([s.state for s in batch if s.exception is None], rt)
        if slot.next in ("record", "route"):
            await _step(slot, record if slot.next == "record" else route_only, rt)
            if slot.exception is None:
                slot.next = "signals" if declared else END
        if slot.next == "signals":
            await _step(slot, declared_signals, rt)
            if slot.exception is None:
                slot.next = END
        if slot.done is not None:
            slot.done(slot.index, slot)

    async def items_step(batch: BatchState) -> BatchState:
        """Every item's path concurrently (tools, LLM calls, records, signals)."""
        if len(batch["items"]) > 1:
            embed_ahead([s.state for s in batch["items"]], rt)
        await asyncio.gather(*(path(s, batch["items"]) for s in batch["items"]))
        return batch

    g = StateGraph(BatchState)
    g.add_node("items", items_step)
    g.add_edge(START, "items")
    g.add_edge("items", END)
    return Graph(g.compile())


@dataclass
class Graph:
    """The compiled batch graph. ``run`` takes a batch of item states; ``ainvoke`` one item, as a
    batch of one (its node's exception raised, as LangGraph would)."""

    compiled: Any

    async def run(self, states: list[GraphState], on_done: Callable[[int, Slot], None] | None = None) -> list[Slot]:
        """Each item's final state (``Slot.state``, updated in place) or the exception it raised;
        ``on_done(position, slot)`` as each item's path ends, before the batch's does."""
        slots = [Slot(state=s, index=i, done=on_done) for i, s in enumerate(states)]
        if slots:
            await self.compiled.ainvoke({"items": slots})
        return slots

    async def ainvoke(self, state: GraphState) -> GraphState:
        (slot,) = await self.run([dict(state)])
        if slot.exception is not None:
            raise slot.exception
        return slot.state

