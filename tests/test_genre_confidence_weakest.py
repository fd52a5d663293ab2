"""The hand-set genres confidence (no fitted combiner applies: no exemplar index, or podcast
categories) is the support of the weakest genre chosen, not the strongest: one wrong genre makes
the field wrong, so a model that adds weakly supported genres to a well-supported one must not
leave the field auto-accepted at the well-supported one's level.

The LLM is a scripted test double (``ScriptedLLM``) answering what the embedded 135M model answered
on the bundled example under ``--llm always``: the first three shortlist entries."""

from __future__ import annotations

import asyncio
from typing import Any

from linernotes.agents.decisions import genre_confidence
from linernotes.agents.graph import build_graph
from linernotes.agents.runtime import build_runtime
from linernotes.config import TagConfig
from linernotes.schema import Item, Usage


class ScriptedLLM:
    """Test double for LLMClient: returns ``answer`` (genres by position in the shortlist) for every call."""

    model_label = "test-double:scripted"

    def __init__(self, answer: dict[str, Any]):
        self.answer = answer

    async def structured(self, messages, response_model, schema=None):
        return response_model.model_validate(self.answer), Usage(calls=1, tokens_in=10, tokens_out=5)


# examples/catalog.jsonl's ep-002
EPISODE = Item(id="ep-002", type="episode", title="The Lost Expedition", artist="History Uncovered",
               description="A true story of a doomed 19th-century polar expedition, told through diaries and letters.",
               transcript="In 1845 two ships left England to find the Northwest Passage. None of the men returned.")


def _run(item: Item, n_genres: int) -> dict[str, Any]:
    """The graph with the compact answer format and the shipped fusion, every field asked
    (``--llm always``); the model picks the first ``n_genres`` genre handles."""
    answer = {"genres": [f"G{i}" for i in range(1, n_genres + 1)], "moods": ["M1"], "valence": 0,
              "language": "en", "explicit": False, "clauses": []}
    rt = build_runtime(TagConfig(llm_mode="always"), llm=ScriptedLLM(answer))
    return asyncio.run(build_graph(rt).ainvoke({"item": item}))


def test_weakly_supported_genres_added_by_the_model_send_the_field_to_review() -> None:
    """New-user QA (newuser16): under --llm always ep-002 (a polar expedition) was tagged
    ['history', 'tv-and-film/film-history', 'music/music-history'] at genres 0.5258, auto-accepted
    (review threshold 0.50): the confidence was the best-supported genre's alone. ch-001 likewise
    got comedy and science fiction beside fiction."""
    one = _run(EPISODE, 1)["enrichment"]
    three = _run(EPISODE, 3)
    e = three["enrichment"]
    assert one.genres == ["history"] and not one.review.routed, "the well-supported genre alone is accepted"
    assert e.genres[0] == "history" and len(e.genres) == 3 and "genres" not in e.confidence.calibrated
    scores = {c.id: c.score for c in three["evidence"].genres}
    assert min(scores[g] for g in e.genres) < 0.2, "the added genres are weakly supported"
    assert e.confidence.genres < one.confidence.genres
    assert e.review.routed and any(r.startswith("low confidence: genres") for r in e.review.reasons)


def test_the_confidence_follows_the_weakest_genre(tmp_path) -> None:
    ev = _run(EPISODE, 3)["evidence"]
    ids = [c.id for c in ev.genres[:3]]
    assert genre_confidence(ids, ev) == genre_confidence([ids[0], ids[2]], ev) < genre_confidence(ids[:1], ev)
