"""The enrichment graph, nodes and edges in one place:

    gather -> tools -> extract -> verify --(problems, attempts left)--> extract
                                         \\-> route -> END
    extract --(LLM failed for good)--> END (the item becomes an error record)
"""

from __future__ import annotations

from functools import partial

from langgraph.graph import END, START, StateGraph

from linernotes.agents.nodes.extract import extract
from linernotes.agents.nodes.gather import gather
from linernotes.agents.nodes.route import route
from linernotes.agents.nodes.run_tools import run_tools
from linernotes.agents.nodes.verify import after_verify, verify
from linernotes.agents.runtime import AgentRuntime
from linernotes.agents.state import GraphState


def _after_extract(state: GraphState) -> str:
    return END if state.get("error") is not None else "verify"


def build_graph(rt: AgentRuntime):
    """Compile the graph with the run's shared runtime bound into every node."""
    g = StateGraph(GraphState)
    g.add_node("gather", partial(gather, rt=rt))
    g.add_node("tools", partial(run_tools, rt=rt))
    g.add_node("extract", partial(extract, rt=rt))
    g.add_node("verify", partial(verify, rt=rt))
    g.add_node("route", partial(route, rt=rt))
    g.add_edge(START, "gather")
    g.add_edge("gather", "tools")
    g.add_edge("tools", "extract")
    g.add_conditional_edges("extract", _after_extract, {"verify": "verify", END: END})
    g.add_conditional_edges("verify", partial(after_verify, rt=rt), {"extract": "extract", "route": "route"})
    g.add_edge("route", END)
    return g.compile()
