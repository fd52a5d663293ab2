"""tools: run every planned tool and collect the evidence.

Text tools take about a millisecond of CPU and hold the GIL, so they run inline: a worker thread
would add a handoff without adding parallelism. Audio decoding and exemplar search (numpy and
HNSW release the GIL; seconds for a long file or a big exact index) run in worker threads,
concurrently with the text tools. An audio failure never fails the item: it is kept as evidence
and routed to review.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

from linernotes.agents.content import item_text
from linernotes.agents.evidence import collect, text_tools
from linernotes.agents.runtime import DEFAULT_GENRES, AgentRuntime
from linernotes.agents.state import GraphState, dump_evidence
from linernotes.tools.audio.features import analyze
from linernotes.tools.retrieval.shortlist import shortlist
from linernotes.tools.retrieval.taxonomy_index import query_vectors_ahead, taxonomy_index
from linernotes.tools.text.vocals import no_vocals_cue


def audio_location(path: str, base: str | None) -> str:
    p = Path(path)
    return str(Path(base) / p) if base and not p.is_absolute() else path


async def run_tools(state: GraphState, rt: AgentRuntime) -> GraphState:
    item, plan = state["item"], state["plan"]
    text = item_text(item)
    tax = rt.taxonomy_for(item)
    cfg = rt.config
    threaded: dict[str, Any] = {}
    if "audio" in plan:
        # errors name the row's own audio_path: the resolved one would show liner serve's
        # clients the server's folders (the summary and review name the catalog line anyway)
        threaded["audio"] = asyncio.ensure_future(asyncio.to_thread(
            analyze, audio_location(item.audio_path, cfg.audio_base), cfg.audio_max_seconds, cfg.audio_root,
            name=item.audio_path))
    if "exemplars" in plan:
        threaded["exemplars"] = asyncio.ensure_future(asyncio.to_thread(rt.exemplars.search, text, 3))
    results: dict[str, Any] = {}
    try:
        results["shortlist"] = shortlist(text, tax, cfg.shortlist_k, DEFAULT_GENRES.get(item.type), rt.exemplars)
        results["moods"] = shortlist(text, rt.moods, cfg.mood_k, None)
        if "policy" in plan:
            results.update(text_tools(item, rt.policy))
        if item.type == "track":  # a track's language is its lyrics' (episodes and chapters are spoken)
            results["no_vocals"] = no_vocals_cue(item.text_fields(), item.extra)
        if rt.exemplars is not None:  # the votes' catalog size: fusion calibrates by it
            results["exemplar_index_size"] = len(rt.exemplars)
    finally:  # a failing text tool must not leave a thread's result unawaited
        done = await asyncio.gather(*threaded.values(), return_exceptions=True)
    results.update(zip(threaded, done, strict=True))
    ev = collect(results, tax.id, rt.policy)
    return {"evidence": ev, "evidence_json": dump_evidence(ev)}


def embed_ahead(states: list[GraphState], rt: AgentRuntime) -> None:
    """Embed a batch's item texts in one encode before their tools run (``query_vectors_ahead``:
    the same bits as one text at a time, ~0.1 ms of CPU less per item). Only a saving: an item
    this cannot read is left to its own path, which reports it."""
    texts: dict[Any, list[str]] = {}
    for state in states:
        try:
            item = state["item"]
            texts.setdefault(taxonomy_index(rt.taxonomy_for(item)).embedder, []).append(item_text(item))
        except Exception:  # noqa: BLE001, S112 (the item's own path raises it, into its own record)
            continue
    for embedder, group in texts.items():
        query_vectors_ahead(embedder, group)
