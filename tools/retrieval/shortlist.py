"""Shortlist: the top-k taxonomy entries for an item's text, so the LLM only chooses among them.

Hybrid: lexical (names in the text), embedding (text near an entry's names and description)
and, when an exemplar index is given, the genres of the most similar labeled items. The
signals are fused by noisy-OR, so each score stays in [0, 1] and means roughly "how sure
would one be from the strongest evidence, a little more when several agree"; ancestors of a
strong entry inherit a discounted score (a progressive-trance track is a trance track).
"""

from __future__ import annotations

from typing import Literal, Protocol

import numpy as np
from pydantic import BaseModel

from linernotes.tools.retrieval.exemplars import GenreVote
from linernotes.tools.retrieval.taxonomy import Taxonomy
from linernotes.tools.retrieval.taxonomy_index import taxonomy_index

Mode = Literal["lexical", "embedding", "hybrid"]


class Candidate(BaseModel):
    """One shortlisted entry. ``score`` is the fused score the LLM is shown; the per-signal values
    behind it (each in [0, 1], 0 when the signal is absent) are kept for the learned fusion:
    ``lexical`` name match, ``semantic`` embedding similarity, ``vote`` the similarity-weighted
    share of the nearest exemplars carrying the entry (``votes`` of them), ``inherited`` when the
    score was lifted from a descendant."""

    id: str
    label: str
    score: float
    why: str = ""
    lexical: float = 0.0
    semantic: float = 0.0
    vote: float = 0.0
    votes: int = 0
    inherited: bool = False


class FusionWeights(BaseModel):
    """How far each signal alone can push a score.

    Chosen on the *tune* rows of the bandcamp dev file (never the reported rows; see
    benchmarks/bench_retrieval.py --tune), maximising label-held-out + random recall@10. On that
    data lower text weights scored slightly higher still (lexical 0.4: +0.006), because bandcamp
    titles name genres rarely and by accident; 0.6 is kept so a genre named in an item's own
    description still outranks a weak vote on catalogs that have descriptions."""

    lexical: float = 0.6
    embedding: float = 0.1
    exemplars: float = 0.9
    ancestor_decay: float = 0.7
    neighbours: int = 40


DEFAULT_WEIGHTS = FusionWeights()


class VoteSource(Protocol):
    def votes(self, text: str, k: int = 10) -> list[GenreVote]: ...


class Signals(BaseModel):
    """Per-entry evidence for one text, each array aligned with ``taxonomy.entries``."""

    model_config = {"arbitrary_types_allowed": True}

    lexical: np.ndarray
    embedding: np.ndarray
    exemplars: np.ndarray
    lexical_why: dict[int, str] = {}
    exemplar_why: dict[int, str] = {}
    exemplar_count: dict[int, int] = {}


def signals(text: str, taxonomy: Taxonomy, exemplars: VoteSource | None = None, mode: Mode = "hybrid",
            neighbours: int = DEFAULT_WEIGHTS.neighbours) -> Signals:
    index = taxonomy_index(taxonomy)
    n = len(index.ids)
    lex, lex_why = index.lexical(text) if mode in ("lexical", "hybrid") else (np.zeros(n, np.float32), {})
    emb = index.semantic(text) if mode in ("embedding", "hybrid") else np.zeros(n, np.float32)
    vote = np.zeros(n, dtype=np.float32)
    vote_why: dict[int, str] = {}
    vote_count: dict[int, int] = {}
    if exemplars is not None and mode == "hybrid":
        for v in exemplars.votes(text, neighbours):
            row = index.row_of.get(v.id)
            if row is not None:
                vote[row] = v.score
                vote_why[row] = f"{v.count}/{v.of} similar items"
                vote_count[row] = v.count
    return Signals(lexical=lex, embedding=emb, exemplars=vote, lexical_why=lex_why, exemplar_why=vote_why,
                   exemplar_count=vote_count)


def fuse(sig: Signals, parent_row: np.ndarray, weights: FusionWeights = DEFAULT_WEIGHTS
         ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Noisy-OR of the signals, then ancestors lifted to their best descendant's discounted
    score. Returns (final, direct, which descendant lifted each entry or -1)."""
    miss = ((1 - weights.lexical * sig.lexical) * (1 - weights.embedding * sig.embedding)
            * (1 - weights.exemplars * sig.exemplars))
    direct = 1.0 - miss
    inherited, source = _inherit(direct, parent_row, weights.ancestor_decay)
    return np.maximum(direct, inherited), direct, source


def shortlist(text: str, taxonomy: Taxonomy, k: int = 10, defaults: list[str] | None = None,
              exemplars: VoteSource | None = None, mode: Mode = "hybrid",
              weights: FusionWeights = DEFAULT_WEIGHTS) -> list[Candidate]:
    """Best k entries first, padded with ``defaults`` (then root entries) at score 0 so the model
    always has k choices."""
    index = taxonomy_index(taxonomy)
    sig = signals(text, taxonomy, exemplars, mode, weights.neighbours)
    final, direct, source = fuse(sig, index.parent_row, weights)
    order = top_k(final, k)
    out = []
    for i in order:
        reasons = []
        if sig.lexical[i] > 0:
            reasons.append(sig.lexical_why[i])
        if i in sig.exemplar_why:
            reasons.append(sig.exemplar_why[i])
        if weights.embedding * sig.embedding[i] >= 0.05:
            reasons.append(f"similar to its description ({sig.embedding[i]:.2f})")
        if final[i] > direct[i]:
            reasons.append(f"parent of {index.ids[source[i]]}")
        entry = taxonomy.entries[i]
        out.append(Candidate(id=entry.id, label=entry.label, score=round(float(final[i]), 4),
                             why="; ".join(reasons) or "weak similarity",
                             lexical=round(float(sig.lexical[i]), 4), semantic=round(float(sig.embedding[i]), 4),
                             vote=round(float(sig.exemplars[i]), 4), votes=sig.exemplar_count.get(i, 0),
                             inherited=bool(final[i] > direct[i])))
    return _pad(out, taxonomy, k, defaults)


def top_k(scores: np.ndarray, k: int) -> list[int]:
    """Rows of the k highest positive ``scores``, highest first, ties in row order: the first k
    positive rows of ``np.argsort(-scores, kind="stable")``, without sorting every row. Every row
    of that prefix scores at least the k-th highest positive score ``v``, and the rows scoring at
    least ``v`` are taken in row order and sorted stably, so ties keep row order as in the full
    sort (``tests/tools/test_retrieval_shortlist.py`` compares both on tie-heavy arrays)."""
    pos = np.flatnonzero(scores > 0)
    if len(pos) > k > 0:
        vals = scores[pos]
        pos = pos[vals >= np.partition(vals, len(vals) - k)[len(vals) - k]]
    return pos[np.argsort(-scores[pos], kind="stable")][:k].tolist() if k > 0 else []


def _inherit(scores: np.ndarray, parent_row: np.ndarray, decay: float) -> tuple[np.ndarray, np.ndarray]:
    """Each ancestor's best descendant score times ``decay`` per level, and which descendant."""
    best = np.zeros_like(scores)
    source = np.full(len(scores), -1, dtype=np.int64)
    if decay <= 0:
        return best, source
    frontier, frontier_src = scores, np.arange(len(scores))
    has_parent = parent_row >= 0
    while True:
        live = np.flatnonzero(has_parent & (frontier > 0))
        if not len(live):
            return best, source
        live = live[np.argsort(frontier[live], kind="stable")]  # ascending: the best write lands last
        up = np.zeros_like(scores)
        up_src = np.full(len(scores), -1, dtype=np.int64)
        up[parent_row[live]] = frontier[live] * decay
        up_src[parent_row[live]] = frontier_src[live]
        better = up > best
        best[better], source[better] = up[better], up_src[better]
        frontier, frontier_src = up, up_src


def _pad(out: list[Candidate], taxonomy: Taxonomy, k: int, defaults: list[str] | None) -> list[Candidate]:
    if len(out) >= k:
        return out
    index = taxonomy_index(taxonomy)
    seen = {c.id for c in out}
    fill = [d for d in (defaults or []) if d in index.row_of] + index.root_ids
    for gid in fill:
        if len(out) >= k:
            break
        if gid not in seen:
            out.append(Candidate(id=gid, label=taxonomy.entries[index.row_of[gid]].label, score=0.0, why="default"))
            seen.add(gid)
    return out
