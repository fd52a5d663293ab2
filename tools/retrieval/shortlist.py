"""Shortlist: the top-k taxonomy entries for an item's text, so the LLM only chooses among them.

Hybrid: lexical (names in the text), embedding (text near an entry's names and description)
and, when an exemplar index is given, the genres of the most similar labeled items. The
signals are fused by noisy-OR, so each score stays in [0, 1] and means roughly "how sure
would one be from the strongest evidence, a little more when several agree"; ancestors of a
strong entry inherit a discounted score (a progressive-trance track is a trance track).
"""

from __future__ import annotations

from dataclasses import dataclass, field
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


@dataclass(slots=True)
class Signals:
    """Per-entry evidence for one text, each array aligned with ``taxonomy.entries``; the dicts
    are keyed by entry row.

    A dataclass, not a pydantic model: ``signals`` builds two per item (genres, moods) from
    values it computed itself, and validating them (the arrays by isinstance, each dict copied
    key by key) cost 3.3-5.0 us a build against 0.6-1.0 (14 + 5 + 5 dict entries)."""

    lexical: np.ndarray
    embedding: np.ndarray
    exemplars: np.ndarray
    lexical_why: dict[int, str] = field(default_factory=dict)
    exemplar_why: dict[int, str] = field(default_factory=dict)
    exemplar_count: dict[int, int] = field(default_factory=dict)


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
    if order:
        # the chosen rows' values read at once (one numpy call per signal, not ~12 scalar reads
        # and 4 ``round`` calls per candidate); the same comparisons in the same dtypes
        rows = np.array(order)
        fin, dire, emb = final[rows], direct[rows], sig.embedding[rows]
        named = (sig.lexical[rows] > 0).tolist()
        similar = (weights.embedding * emb >= 0.05).tolist()
        lifted = (fin > dire).tolist()
        score, lexical, semantic, vote = (round4(a) for a in (fin, sig.lexical[rows], emb, sig.exemplars[rows]))
        emb_f, src = emb.tolist(), source[rows].tolist()
        for j, i in enumerate(order):
            reasons = []
            if named[j]:
                reasons.append(sig.lexical_why[i])
            if i in sig.exemplar_why:
                reasons.append(sig.exemplar_why[i])
            if similar[j]:
                reasons.append(f"similar to its description ({emb_f[j]:.2f})")
            if lifted[j]:
                reasons.append(f"parent of {index.ids[src[j]]}")
            entry = taxonomy.entries[i]
            out.append(Candidate(id=entry.id, label=entry.label, score=score[j], why="; ".join(reasons) or "weak similarity",
                                 lexical=lexical[j], semantic=semantic[j], vote=vote[j],
                                 votes=sig.exemplar_count.get(i, 0), inherited=lifted[j]))
    return _pad(out, taxonomy, k, defaults)


def round4(values: np.ndarray) -> list[float]:
    """``[round(float(v), 4) for v in values]`` for a 1-d array: Python's ``round`` is correctly
    rounded (the exact binary value to the nearest multiple of 1e-4, ties to even, then the
    nearest double), ~1 us a call. For float32 values the same in numpy: a float32 has 24
    significant bits and 10**4 = 2**4 * 625 needs 10, so ``v * 10000.0`` in float64 is exact,
    ``np.rint`` rounds that exact value half to even, and dividing the integer by 10000.0 gives
    the double nearest to it, as ``round`` does. Any other dtype takes ``round`` itself
    (``tests/tools/test_retrieval_shortlist.py`` compares both on millions of float32 values)."""
    if values.dtype != np.float32:
        return [round(v, 4) for v in values.astype(np.float64).tolist()]
    return (np.rint(values.astype(np.float64) * 10000.0) / 10000.0).tolist()


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
    """Each ancestor's best descendant score times ``decay`` per level, and which descendant.

    Level by level up the tree: a parent takes its best child's score (of those above 0) times
    ``decay``, and that child's source; among children tied at the best score, the last in row
    order. Written as a scatter in ascending score order (the last write wins) this sorted the
    live rows and swept every row at every level; the same values come from a scatter-max
    (multiplying by ``decay`` keeps the order of the scores, so the best child's product is the
    product of the best score), the same sources from scattering the children at their parent's
    best in row order, and above the first level only the entries with children (107 of the
    1,804 genres) can hold a score, so those levels run over them alone (``_Tree``)."""
    best = np.zeros_like(scores)
    source = np.full(len(scores), -1, dtype=np.int64)
    if decay <= 0:
        return best, source
    tree = _tree(parent_row)
    values = scores[tree.kids]
    live = values > 0
    if not live.any():
        return best, source
    # level 1: every child row, into the entries with children
    rows, parents, values = tree.kids[live], tree.kid_parent[live], values[live]
    frontier_src = np.full(len(tree.internal), -1, dtype=np.int64)
    frontier = _lift(values, parents, rows, frontier_src, scores.dtype, decay)
    inner_best, inner_source = frontier.copy(), np.where(frontier > 0, frontier_src, -1)
    while True:  # the levels above, among the entries with children
        live = np.flatnonzero(tree.has_parent & (frontier > 0))
        if not len(live):
            break
        up_src = np.full(len(tree.internal), -1, dtype=np.int64)
        up = _lift(frontier[live], tree.parent[live], frontier_src[live], up_src, scores.dtype, decay)
        better = up > inner_best
        inner_best[better], inner_source[better] = up[better], up_src[better]
        frontier, frontier_src = up, up_src
    best[tree.internal], source[tree.internal] = inner_best, inner_source
    return best, source


def _lift(values: np.ndarray, parents: np.ndarray, sources: np.ndarray, up_src: np.ndarray, dtype: np.dtype,
          decay: float) -> np.ndarray:
    """One level: each parent's best child value times ``decay`` (0 without a live child); fills
    ``up_src`` with that child's source, the last in row order among children tied at the best.
    ``values``, ``parents`` (positions among the entries with children) and ``sources`` are
    the live children's, in row order."""
    top = np.zeros(len(up_src), dtype=dtype)
    np.maximum.at(top, parents, values)
    at_top = values == top[parents]
    up_src[parents[at_top]] = sources[at_top]
    return top * decay


class _Tree:
    """A taxonomy's parent links as ``_inherit`` walks them: the rows with a parent (``kids``)
    and their parent's position among the entries with children (``internal``, rows in
    ascending order); each such entry's own parent's position (``parent``, -1 at a root)."""

    def __init__(self, parent_row: np.ndarray) -> None:
        self.kids = np.flatnonzero(parent_row >= 0)
        self.internal = np.unique(parent_row[self.kids])
        position = np.full(len(parent_row), -1, dtype=np.int64)
        position[self.internal] = np.arange(len(self.internal))
        self.kid_parent = position[parent_row[self.kids]]
        above = parent_row[self.internal]
        self.parent = np.where(above >= 0, position[np.maximum(above, 0)], -1)
        self.has_parent = self.parent >= 0


_TREES: dict[int, tuple[np.ndarray, _Tree]] = {}


def _tree(parent_row: np.ndarray) -> _Tree:
    """The ``_Tree`` of a parent-row array, kept per array (a taxonomy index's is built once) and
    checked against a copy of it (~1 us), so an array changed in place gets its own again."""
    hit = _TREES.get(id(parent_row))
    if hit is None or not np.array_equal(hit[0], parent_row):
        if len(_TREES) > 16:
            _TREES.clear()
        hit = _TREES[id(parent_row)] = (parent_row.copy(), _Tree(parent_row))
    return hit[1]


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
