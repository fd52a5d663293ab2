"""A STUB Enricher (no graph, no LLM): returns a fixed, realistic ok record per row, so the
runner's own costs — reading, scheduling, writing, per-item bookkeeping — can be measured over
a million rows in minutes. Never a stand-in for the graph's results."""

from __future__ import annotations

from types import SimpleNamespace

from linernotes.schema import (
    Confidence,
    Enrichment,
    Explicit,
    OutputRecord,
    Provenance,
    Review,
)
from linernotes.store.catalog import Row
from linernotes.store.records import error_record


def sample_enrichment() -> Enrichment:
    return Enrichment(
        genres=["techno"], moods=["energetic"], valence=0.2, language="en", explicit=Explicit(value=False),
        confidence=Confidence(genres=0.6, moods=0.5, valence=0.4, language=0.9, explicit=0.85, policy=0.9),
        rationale="stub", review=Review(routed=False),
        provenance=Provenance(model="stub", prompt_hash="stub", tool_versions={"stub": "0"}),
        evidence={"genre_taxonomy": "music-genres", "genres": [{"id": "techno", "label": "techno", "score": 0.5}]})


class StubEnricher:
    """``run_batch(..., enricher=StubEnricher())`` — same record shape, constant content."""

    def __init__(self) -> None:
        self.enrichment = sample_enrichment()
        self.runtime = SimpleNamespace(
            llm=SimpleNamespace(model_label="stub", cache=None), prompt=SimpleNamespace(name="stub", hash="stub"),
            tool_versions={"stub": "0"})

    def close(self) -> None:
        """Nothing to give back (``Enricher.close``'s shape)."""

    async def enrich(self, row: Row) -> OutputRecord:
        if row.item is None:
            return error_record(row.raw_id, row.error)
        return OutputRecord(id=row.item.id, status="ok", enrichment=self.enrichment)
