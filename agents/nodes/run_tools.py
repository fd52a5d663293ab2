"""tools: run every planned tool concurrently (each in a worker thread) and collect the evidence.

A tool that fails never fails the item: its error is kept as evidence and routed to review.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

from linernotes.agents.runtime import DEFAULT_GENRES, AgentRuntime
from linernotes.agents.state import ClauseRef, Evidence, Exemplar, GraphState
from linernotes.schema import Item
from linernotes.tools.audio.errors import AudioError
from linernotes.tools.audio.features import analyze
from linernotes.tools.policy.clauses import relevant_clauses
from linernotes.tools.policy.lookup import lookup
from linernotes.tools.retrieval.shortlist import shortlist
from linernotes.tools.text.language import guess_language
from linernotes.tools.text.valence import lexical_valence


def item_text(item: Item) -> str:
    """The text retrieval sees: every free-text field plus string-valued extra context."""
    parts = list(item.text_fields().values())
    parts += [str(v) for v in item.extra.values() if isinstance(v, str)]
    return " \n".join(parts)


def audio_location(path: str, base: str | None) -> str:
    p = Path(path)
    return str(Path(base) / p) if base and not p.is_absolute() else path


async def run_tools(state: GraphState, rt: AgentRuntime) -> GraphState:
    item, plan = state["item"], state["plan"]
    text = item_text(item)
    tax = rt.taxonomy_for(item)
    cfg = rt.config
    jobs: dict[str, Any] = {}
    jobs["shortlist"] = asyncio.to_thread(shortlist, text, tax, cfg.shortlist_k, DEFAULT_GENRES.get(item.type),
                                          rt.exemplars)
    jobs["moods"] = asyncio.to_thread(shortlist, text, rt.moods, cfg.mood_k, None)
    if "policy" in plan:
        jobs["policy"] = asyncio.to_thread(lookup, item.text_fields(), rt.policy)
        prose = " \n".join(item.text_fields().values())
        jobs["clauses"] = asyncio.to_thread(relevant_clauses, prose, rt.policy, 3)
        jobs["valence"] = asyncio.to_thread(lexical_valence, prose)
        jobs["language"] = asyncio.to_thread(guess_language, prose)
    if "audio" in plan:
        jobs["audio"] = asyncio.to_thread(analyze, audio_location(item.audio_path, cfg.audio_base),
                                          cfg.audio_max_seconds, cfg.audio_root)
    if "exemplars" in plan:
        jobs["exemplars"] = asyncio.to_thread(rt.exemplars.search, text, 3)
    results = dict(zip(jobs, await asyncio.gather(*jobs.values(), return_exceptions=True), strict=True))

    ev = Evidence(genre_taxonomy=tax.id)
    for name, res in results.items():
        if isinstance(res, AudioError):
            ev.audio_error = {"kind": res.kind, "message": str(res)}
        elif isinstance(res, BaseException):
            raise res
        elif name == "shortlist":
            ev.genres = res
        elif name == "moods":
            ev.moods = res
        elif name == "policy":
            ev.policy_hits = res.hits
        elif name == "valence":
            ev.lexical_valence = res
        elif name == "language":
            ev.language_guess = res
        elif name == "audio":
            ev.audio = res
        elif name == "exemplars":
            ev.exemplars = [Exemplar.model_validate(x, from_attributes=True) for x in res]
    index = rt.policy.clause_index()
    cited = {h.clause_id for h in ev.policy_hits} | {c.id for c in results.get("clauses", [])}
    ev.clauses = [ClauseRef(id=c.id, policy_id=p.id, severity=c.severity, text=c.text)
                  for cid, (p, c) in index.items() if cid in cited]
    return {"evidence": ev}
