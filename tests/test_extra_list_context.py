"""A list-valued extra column (JSONL ``"tags": ["synthwave", "instrumental"]``) is context the
tagger reads, as the same words in a string cell are: retrieval's text and the prompt's data."""

from __future__ import annotations

import asyncio

from linernotes.agents.content import content_of, item_text
from linernotes.agents.graph import build_graph
from linernotes.agents.runtime import build_runtime
from linernotes.config import TagConfig
from linernotes.schema import Item

from .test_cascade import RecordingLLM

LISTED = Item(id="t-list", title="Night Drive", extra={"tags": ["synthwave", "instrumental"], "flags": [True],
                                                       "meta": {"a": "b"}, "bpm": [124]})
CELL = LISTED.model_copy(update={"extra": {"tags": "synthwave, instrumental"}})


def test_a_list_cell_reads_as_its_string_cell() -> None:
    assert "synthwave, instrumental" in item_text(LISTED)
    assert item_text(LISTED).startswith(item_text(CELL))
    shown = content_of(LISTED, 1200)
    assert shown["tags"] == "synthwave, instrumental" and shown["bpm"] == "124"
    assert "flags" not in shown and "meta" not in shown, "a bool or an object is no text"


def test_a_list_cell_reaches_the_genre_shortlist() -> None:
    """Before: 'Night Drive' alone made 'nightcore' the genre; the tags name synthwave."""
    rt = build_runtime(TagConfig(llm_mode="never"), llm=RecordingLLM())
    listed = asyncio.run(build_graph(rt).ainvoke({"item": LISTED}))["enrichment"]
    cell = asyncio.run(build_graph(rt).ainvoke({"item": CELL}))["enrichment"]
    assert listed.genres == cell.genres == ["synthwave"]
