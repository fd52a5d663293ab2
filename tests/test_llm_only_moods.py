"""Moods (and a language) only the LLM gave, no tool supporting them, are marked as such in the
record (``confidence.llm_only``) with the flat hand-set confidence ``LLM_ONLY``, not a number
derived from a weak-similarity score; they never route an item by themselves (moods are advisory).

The packs, the tools and the shipped fusion artifact are real; the LLM is the recording test double
of ``test_cascade`` (it answers each list with its first handle: the mood shortlist's top candidate,
a weak similarity for a bare title line).
"""

from __future__ import annotations

import asyncio
import json
from typing import Any

from linernotes.agents.fields import LLM_ONLY
from linernotes.agents.graph import build_graph
from linernotes.agents.runtime import build_runtime
from linernotes.config import TagConfig
from linernotes.schema import Confidence, Item

from .test_cascade import RecordingLLM
from .test_instrumental_language import _example


def _record(item: Item, mode: str) -> Any:
    rt = build_runtime(TagConfig(llm_mode=mode), llm=RecordingLLM())
    return asyncio.run(build_graph(rt).ainvoke({"item": item}))["enrichment"]


BARE = _example("trk-004")  # title, artist, album, label, year: no mood word, no language id
SAD = _example("trk-002")  # "Melancholic ambient piano piece, calm and reflective": tool-found moods


def test_moods_only_the_llm_gave_are_marked_and_get_the_flat_level() -> None:
    e = _record(BARE, "auto")
    assert "moods" in e.provenance.llm_fields and e.moods, "the cascade asked; moods rode along"
    scores = {c["id"]: c["score"] for c in e.evidence["moods"]}
    assert all(scores[m] < 0.5 for m in e.moods), "no tool found these moods in the item"
    assert "moods" in e.confidence.llm_only
    assert e.confidence.moods == LLM_ONLY, "not 0.3 + half a weak-similarity score (0.3061)"
    assert "moods" not in e.confidence.calibrated
    assert not any("mood" in r for r in e.review.reasons), "moods are advisory: they route nothing"
    assert json.loads(e.model_dump_json())["confidence"]["llm_only"] == e.confidence.llm_only


def test_a_language_only_the_llm_named_is_marked_and_routed_for_it() -> None:
    e = _record(BARE, "always")
    assert e.draft["language"] == e.language != "und"
    assert "language" in e.confidence.llm_only and e.confidence.language == LLM_ONLY
    assert any(r.startswith("low confidence: language") for r in e.review.reasons)


class TopThreeLLM(RecordingLLM):
    """Test double: answers each list with its first three handles (what the embedded model does
    with the mood candidates: the shortlist's top three, supported or not)."""

    async def structured(self, messages, response_model, schema=None):
        for prop in (schema or {}).get("properties", {}).values():
            if prop.get("type") == "array" and (prop.get("items") or {}).get("enum"):
                prop["minItems"] = min(3, len(prop["items"]["enum"]), prop.get("maxItems", 3))
        return await super().structured(messages, response_model, schema)


def test_one_unsupported_mood_beside_supported_ones_marks_the_field() -> None:
    """'calm' and 'playful' beside a supported 'energetic' (a driving synthwave track): the field
    is as good as its weakest mood, not the supported one's 0.60."""
    rt = build_runtime(TagConfig(llm_mode="always"), llm=TopThreeLLM())
    e = asyncio.run(build_graph(rt).ainvoke({"item": _example("trk-001")}))["enrichment"]
    scores = {c["id"]: c["score"] for c in e.evidence["moods"]}
    assert len(e.moods) == 3 and any(scores[m] >= 0.5 for m in e.moods) and any(scores[m] < 0.5 for m in e.moods)
    assert "moods" in e.confidence.llm_only and e.confidence.moods == LLM_ONLY


def test_tool_supported_moods_are_not_marked() -> None:
    e = _record(SAD, "always")
    assert e.moods and "moods" not in e.confidence.llm_only
    assert e.confidence.moods > LLM_ONLY


def test_a_record_without_llm_only_fields_does_not_carry_the_key() -> None:
    """Records the LLM took no part in are written exactly as before the field existed."""
    e = _record(SAD, "never")
    dumped = json.loads(e.model_dump_json())["confidence"]
    assert "llm_only" not in dumped
    assert "llm_only" not in Confidence.field_names(), "not a per-field confidence (the Parquet columns)"
