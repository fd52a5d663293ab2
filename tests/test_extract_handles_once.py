"""One extract call builds its candidates' handles once (``agents.nodes.extract.handles``) for
the prompt, the answer's schema and the answer's ids: each of the three built them again. The
packs, tools and shipped fusion artifact are real; the LLM is the recording test double."""

from __future__ import annotations

import asyncio

from linernotes.agents.graph import build_graph
from linernotes.agents.nodes import extract
from linernotes.agents.runtime import build_runtime
from linernotes.config import TagConfig

from .test_cascade import DECIDED, UNDECIDED, RecordingLLM


def test_each_extract_call_builds_its_handles_once(monkeypatch) -> None:
    llm = RecordingLLM()
    rt = build_runtime(TagConfig(llm_mode="always"), llm=llm)
    built: list[int] = []
    handles = extract.handles

    def counted(ev):  # instrumentation: counts, then builds them as before
        built.append(id(ev))
        return handles(ev)

    monkeypatch.setattr(extract, "handles", counted)
    slots = asyncio.run(build_graph(rt).run([{"item": item} for item in (DECIDED, UNDECIDED)]))
    assert all(s.exception is None for s in slots)
    assert len(llm.requests) == 2 and len(built) == 2, f"{len(built)} handle builds for {len(llm.requests)} calls"
    for s in slots:  # the answer's handles still become the candidates' ids
        by_handle = handles(s.state["evidence"])["genres"]
        assert s.state["draft"].genres == [by_handle["G1"]]
