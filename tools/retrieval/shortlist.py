"""Shortlist: the top-k taxonomy entries for an item's text, so the LLM only chooses among them."""

from __future__ import annotations

import re

from linernotes.tools.retrieval.taxonomy import Taxonomy
from pydantic import BaseModel

_WORD = re.compile(r"[\w']+", re.UNICODE)


class Candidate(BaseModel):
    id: str
    label: str
    score: float
    why: str = ""


def _tokens(text: str) -> list[str]:
    return [t.lower() for t in _WORD.findall(text)]


def shortlist(text: str, taxonomy: Taxonomy, k: int = 10, defaults: list[str] | None = None) -> list[Candidate]:
    """Lexical first version: entries whose label or alias occurs in the text, best first, padded
    with ``defaults`` (then root entries) so the model always has k choices."""
    low = " ".join(_tokens(text))
    scored: list[Candidate] = []
    for e in taxonomy.entries:
        names = [e.label, *e.aliases]
        best = 0.0
        for name in names:
            n = " ".join(_tokens(name))
            if n and re.search(rf"(?<!\w){re.escape(n)}(?!\w)", low):
                best = max(best, 0.5 + 0.5 * min(1.0, len(n) / 20))
        if best > 0:
            scored.append(Candidate(id=e.id, label=e.label, score=round(best, 4), why="name in text"))
    scored.sort(key=lambda c: (-c.score, c.id))
    out = scored[:k]
    seen = {c.id for c in out}
    index = taxonomy.by_id
    fill = [d for d in (defaults or []) if d in index] + [e.id for e in taxonomy.entries if e.parent is None]
    for gid in fill:
        if len(out) >= k:
            break
        if gid not in seen:
            out.append(Candidate(id=gid, label=index[gid].label, score=0.0, why="default"))
            seen.add(gid)
    return out
