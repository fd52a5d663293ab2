"""A text with more passages than the policy combiner reads one by one (``MAX_WINDOWS``, 64) is
left to the lexicon, and the record now says so. Before: such a text (a long transcript) came out
with the hand-set policy confidence 0.9 and no review reason, the same record as a text read
passage by passage and found clean, so no reviewer could know the combiner never read it. Through
the graph, with the shipped artifact and --llm never."""

from __future__ import annotations

import asyncio

import pytest

from linernotes.fusion.windows import MAX_WINDOWS
from linernotes.schema import Item

pytestmark = pytest.mark.timeout(300)


def _sentences(n: int) -> str:
    # distinct clean sentences: a repeated one is read once (fusion.windows), so each must differ
    return " ".join(f"Episode {i} talks about baking bread number {i} in a stone oven at home." for i in range(n))


@pytest.fixture(scope="module")
def tag():
    from linernotes.agents.graph import build_graph
    from linernotes.agents.runtime import build_runtime
    from linernotes.config import TagConfig
    from tests.test_cascade import RecordingLLM

    graph = build_graph(build_runtime(TagConfig(llm_mode="never"), llm=RecordingLLM()))

    def run(description: str):
        item = Item(id="ep", type="episode", title="Bread", description=description)
        return asyncio.run(graph.ainvoke({"item": item}))["enrichment"]

    return run


def test_a_text_past_max_windows_says_the_combiner_did_not_read_it(tag) -> None:
    out = tag(_sentences(MAX_WINDOWS + 6))
    notes = [r for r in out.review.reasons if "combiner did not read it" in r]
    assert notes == [f"to confirm: policy: the text is longer than {MAX_WINDOWS} passages ({MAX_WINDOWS + 6}), so the "
                     "policy combiner did not read it; only the lexicon read it"], out.review.reasons
    assert out.review.routed
    assert "policy" not in out.confidence.calibrated


def test_a_long_text_read_passage_by_passage_has_no_such_note(tag) -> None:
    for n in (MAX_WINDOWS, 1):
        out = tag(_sentences(n))
        assert not [r for r in out.review.reasons if "combiner did not read it" in r], (n, out.review.reasons)


def test_unread_passages_counts_only_texts_past_the_cap() -> None:
    from linernotes.fusion.artifact import default_fusion_dir, load_fusion
    from linernotes.fusion.decide import passages_of, unread_passages
    from linernotes.fusion.observation import Observation

    art = load_fusion(default_fusion_dir())

    def obs(text: str) -> Observation:
        return Observation(item=Item(id="x", type="episode", description=text), evidence={}, draft=None)

    long = obs(_sentences(MAX_WINDOWS + 1))
    assert passages_of(art, "policy", long, "content-policy") == []
    assert unread_passages(art, "policy", long, "content-policy") == MAX_WINDOWS + 1
    assert unread_passages(art, "policy", obs(_sentences(MAX_WINDOWS)), "content-policy") == 0
    assert unread_passages(art, "policy", obs("A short request."), "content-policy") == 0
    assert unread_passages(None, "policy", long) == 0
