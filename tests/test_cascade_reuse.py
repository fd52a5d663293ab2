"""The cascade's asked items (``--llm auto``): ``fuse`` reuses triage's evidence-only decisions of
combiners fitted without drafts (no answer can change them) instead of computing them again,
and decides the rest with the draft as before. The packs, tools and shipped fusion artifact are
real; the LLM is the recording test double of ``tests/test_cascade.py``."""

from __future__ import annotations

import asyncio

from linernotes.agents.decisions import decide, fusion_vocabulary
from linernotes.agents.graph import build_graph
from linernotes.agents.nodes.triage import triage
from linernotes.agents.runtime import build_runtime
from linernotes.config import TagConfig
from linernotes.fusion.decide import reads_draft
from linernotes.schema import Item

from .test_cascade import UNDECIDED, RecordingLLM

# the policy and valence combiners apply (three words or more); the genres shortlist is unsure
ASKED = Item(id="t-asked", type="track", title="Caught In The Middle", artist="James Ruskin",
             description="Late night session, recorded in one take with friends.")


def _run(item: Item):
    rt = build_runtime(TagConfig(llm_mode="auto"), llm=RecordingLLM())
    return rt, asyncio.run(build_graph(rt).ainvoke({"item": item}))


def test_fuse_reuses_the_decisions_no_draft_can_change() -> None:
    for item in (ASKED, UNDECIDED):
        rt, state = _run(item)
        assert state["ask"] and state["draft"] is not None, "the item is asked"
        earlier, final = state["evidence_decisions"], state["decisions"]
        reusable = {f for f, d in earlier.items()
                    if d.calibrated and not reads_draft(rt.fusion, f, fusion_vocabulary(f, item, rt))}
        assert reusable, "a combiner fitted without drafts applied"
        for f in final:
            assert (final[f] is earlier.get(f)) == (f in reusable), f
        # deciding again from scratch gives the same decisions and the same record
        again = decide({k: v for k, v in state.items() if k != "evidence_decisions"}, rt)
        assert {f: d.model_dump() for f, d in again.items()} == {f: d.model_dump() for f, d in final.items()}


def test_triage_hands_on_its_decisions_whether_or_not_it_asks() -> None:
    rt = build_runtime(TagConfig(llm_mode="auto"), llm=RecordingLLM())
    state = asyncio.run(build_graph(rt).ainvoke({"item": ASKED}))
    update = triage({"item": state["item"], "evidence": state["evidence"]}, rt)
    assert set(update) == {"ask", "evidence_decisions"}
    never = build_runtime(TagConfig(llm_mode="never"), llm=RecordingLLM())
    assert set(triage({"item": state["item"], "evidence": state["evidence"]}, never)) == {"ask", "decisions"}
