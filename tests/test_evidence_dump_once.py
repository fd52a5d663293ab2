"""An item's evidence is dumped to JSON once, by the tools step (``agents.state.evidence_json``):
triage, the combiners' observations and the record read that dump (each dumped it again, three
dumps an item under ``--llm always``), and the record's evidence is still that dump. The packs,
tools and shipped fusion artifact are real; the LLM is the recording test double."""

from __future__ import annotations

import asyncio

import pytest

from linernotes.agents.graph import build_graph
from linernotes.agents.runtime import build_runtime
from linernotes.agents.state import Evidence
from linernotes.config import TagConfig
from linernotes.schema import Item

from .test_batched_draftless import WaitingLLM
from .test_cascade import DECIDED, UNDECIDED

ITEMS = [DECIDED, UNDECIDED,
         Item(id="t-angry", type="track", title="I hate this stupid song", artist="Nobody",
              description="The worst thing I ever heard, kill it with fire.")]


@pytest.mark.parametrize("mode", ["always", "auto", "never"])
def test_each_items_evidence_is_dumped_once_and_the_record_carries_that_dump(mode: str, monkeypatch) -> None:
    rt = build_runtime(TagConfig(llm_mode=mode), llm=WaitingLLM())
    dumps: list[int] = []
    dump = Evidence.model_dump

    def counted(self, *args, **kwargs):  # instrumentation: counts, then dumps as before
        if kwargs.get("mode") == "json":
            dumps.append(id(self))
        return dump(self, *args, **kwargs)

    monkeypatch.setattr(Evidence, "model_dump", counted)
    slots = asyncio.run(build_graph(rt).run([{"item": item} for item in ITEMS]))
    assert all(s.exception is None for s in slots)
    assert len(dumps) == len(ITEMS) == len(set(dumps)), f"{len(dumps)} JSON dumps of {len(ITEMS)} items' evidence"
    for s in slots:
        monkeypatch.setattr(Evidence, "model_dump", dump)
        assert s.state["enrichment"].evidence == s.state["evidence"].model_dump(mode="json", exclude_none=True)
