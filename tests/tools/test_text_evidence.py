"""The graph's tools node fills the text evidence route reads: valence, language, clauses."""

from __future__ import annotations

from linernotes.agents.nodes.run_tools import run_tools
from linernotes.agents.runtime import build_runtime
from linernotes.config import TagConfig
from linernotes.schema import Item


async def test_tools_node_fills_valence_language_and_retrieved_clauses() -> None:
    rt = build_runtime(TagConfig(), llm=object())
    item = Item(id="e1", title="Last Dance", description="A wonderful, joyful song about dancing all night "
                "long, even after the overdose scare.")
    ev = (await run_tools({"item": item, "plan": ["shortlist", "moods", "policy"]}, rt))["evidence"]
    assert ev.lexical_valence is not None and ev.lexical_valence > 0
    assert ev.language_guess == "en"
    assert "drugs.reference" in {c.id for c in ev.clauses}  # offered to the model, lexicon hit or not


async def test_tools_node_leaves_text_evidence_empty_without_policy_plan() -> None:
    rt = build_runtime(TagConfig(), llm=object())
    item = Item(id="e2", title="Untitled")
    ev = (await run_tools({"item": item, "plan": ["shortlist", "moods"]}, rt))["evidence"]
    assert ev.lexical_valence is None and ev.language_guess is None and ev.clauses == []
