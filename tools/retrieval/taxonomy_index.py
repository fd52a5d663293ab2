"""Lexical and embedding scores of every taxonomy entry for a text, each in [0, 1].

Built once per (pack, embedder) and kept for the process: the BM25 index over entry names and
the matrix of entry embeddings are the expensive parts, the per-query work is a few ms.
"""

from __future__ import annotations

import functools
import logging
import re
import threading

import bm25s
import numpy as np

from linernotes.tools.retrieval.embedding import DEFAULT_EMBEDDER, Embedder, load_embedder, similarities
from linernotes.tools.retrieval.taxonomy import Taxonomy, TaxonomyEntry
from linernotes.tools.text.plain import plain

# bm25s sets its logger to DEBUG at import: any root handler (Beam installs one, so does a user's
# logging.basicConfig) then printed 'DEBUG:bm25s:Building index from tokens' per index built
logging.getLogger("bm25s").setLevel(logging.WARNING)

_WORD = re.compile(r"\w+", re.UNICODE)
# words that carry no genre meaning on their own; "music" is kept (idf already discounts it)
STOPWORDS = frozenset({"and", "n", "the", "of", "a", "an", "in", "on", "to", "for", "with", "de", "la", "le"})


def tokens(text: str) -> list[str]:
    """Lower-case word tokens of ``text`` read through ``plain`` (``tech\\u00adno`` and ``ｔｅｃｈｎｏ`` are techno)."""
    return _WORD.findall(plain(text).lower().replace("&", " and "))


def entry_names(entry: TaxonomyEntry) -> list[str]:
    return list(dict.fromkeys([entry.label, *entry.aliases]))


def entry_text(entry: TaxonomyEntry) -> str:
    """What an entry's embedding is made of: its names and its one-line description."""
    return ". ".join([", ".join(entry_names(entry)), entry.description or ""]).strip(". ")


class TaxonomyIndex:
    def __init__(self, taxonomy: Taxonomy, embedder: Embedder) -> None:
        self.taxonomy = taxonomy
        self.embedder = embedder
        self.ids = [e.id for e in taxonomy.entries]
        self.row_of = row_of = {gid: i for i, gid in enumerate(self.ids)}
        self.root_ids = [e.id for e in taxonomy.entries if e.parent is None]
        self.parent_row = np.array([row_of[e.parent] if e.parent else -1 for e in taxonomy.entries], dtype=np.int64)
        self._names: list[tuple[int, tuple[str, ...]]] = []  # (entry row, name tokens)
        for row, e in enumerate(taxonomy.entries):
            for name in entry_names(e):
                toks = tuple(tokens(name))
                if toks:
                    self._names.append((row, toks))
        docs = [[t for t in toks if t not in STOPWORDS] or list(toks) for _, toks in self._names]
        self._bm25 = bm25s.BM25()
        self._bm25.index(docs, show_progress=False)
        # a name's score against itself: the most a query can earn from that name
        self._self = np.array([self._bm25.get_scores(d)[i] for i, d in enumerate(docs)], dtype=np.float32)
        self._name_row = np.array([row for row, _ in self._names], dtype=np.int64)
        # per name, built once: its row, its words joined (what ``why`` quotes) and padded with
        # spaces (a phrase test against the padded query), and the ``coverage`` divisor
        self._name_rows = [row for row, _ in self._names]
        self._name_text = [" ".join(toks) for _, toks in self._names]
        self._name_padded = [f" {name} " for name in self._name_text]
        self._self_floor = np.maximum(self._self, 1e-9)
        self.vectors = embedder.encode([entry_text(e) for e in taxonomy.entries])

    def lexical(self, text: str) -> tuple[np.ndarray, dict[int, str]]:
        """Per entry: half for the share of a name's (idf-weighted) words found in the text,
        half for the whole name appearing as a phrase. Returns scores and the name that scored."""
        query = tokens(text)
        scores = np.zeros(len(self.ids), dtype=np.float32)
        why: dict[int, str] = {}
        known = [t for t in dict.fromkeys(query) if t in self._bm25.vocab_dict and t not in STOPWORDS]
        if not known:
            return scores, why
        coverage = np.clip(self._bm25.get_scores(known) / self._self_floor, 0.0, 1.0)
        padded = f" {' '.join(query)} "
        hits = np.flatnonzero(coverage > 0)
        rows, texts, padded_names = self._name_rows, self._name_text, self._name_padded
        for i, share in zip(hits.tolist(), coverage[hits].tolist(), strict=True):
            row = rows[i]
            phrase = padded_names[i] in padded
            score = 0.5 * share + (0.5 if phrase else 0.0)
            if score > scores[row]:  # against the float32 entry, as before
                scores[row] = score
                name = texts[i]
                why[row] = f"name in text: {name!r}" if phrase else f"some words of {name!r} in text"
        return scores, why

    def semantic(self, text: str) -> np.ndarray:
        """Cosine similarity to each entry, rescaled so the query's median entry is 0 and a
        perfect match is 1: raw static-embedding cosines sit high for everything."""
        query = query_vector(self.embedder, text)
        if not query.any():
            return np.zeros(len(self.ids), dtype=np.float32)
        sims = similarities(self.vectors, query)
        floor = median(sims)
        return np.clip((sims - floor) / max(1e-6, 1.0 - floor), 0.0, 1.0)


def median(x: np.ndarray) -> float:
    """``float(np.median(x))`` of a non-empty 1-d float array by the same steps (one partition at
    the middle and the last place, NaN when the last is NaN, the middle values summed from +0 and
    halved in the array's dtype), without ``np.median``'s generic dispatch: ~20 of its ~25 us
    per call, two calls per item. Same bits (``tests/tools/test_retrieval_shortlist.py``)."""
    n = len(x)
    if n == 0 or x.ndim != 1:
        return float(np.median(x))
    h = n // 2
    even = n % 2 == 0
    part = np.partition(x, [h - 1, h, n - 1] if even else [h, n - 1])
    if np.isnan(part[-1]):
        return float("nan")
    zero = part.dtype.type(0)  # np.mean's sum starts at +0: a -0.0 median comes out +0.0
    return float((zero + part[h - 1] + part[h]) / 2) if even else float(zero + part[h])


@functools.lru_cache(maxsize=256)
def query_vector(embedder: Embedder, text: str) -> np.ndarray:
    """One encode per text: the genre and the mood shortlists of an item ask with the same text.
    Read-only, since it is shared. A row ``query_vectors_ahead`` encoded is used once, as is."""
    vec = _AHEAD.pop((embedder, text), None)
    if vec is None:
        vec = embedder.encode([text])[0]
    vec.flags.writeable = False
    return vec


# rows encoded ahead for query_vector, by (embedder, text); bounded: a row nobody asks for (its
# item failed first) is dropped with the rest when the map grows past AHEAD_MAX
_AHEAD: dict[tuple[Embedder, str], np.ndarray] = {}
AHEAD_MAX = 512


def query_vectors_ahead(embedder: Embedder, texts: list[str]) -> None:
    """Encode ``texts`` in one call, ready for ``query_vector`` (a micro-batch's items, before
    their shortlists): only for an embedder whose batch rows are bit-identical to one-text rows
    (``batch_identical``), so the shortlists' floats do not change; ~0.1 ms of CPU saved per text
    with WordLlama. Texts already waiting are skipped (one ``query_vector`` has cached is encoded
    again, harmlessly: the same bits); fewer than two left, nothing."""
    if not getattr(embedder, "batch_identical", False):
        return
    todo = [t for t in dict.fromkeys(texts) if (embedder, t) not in _AHEAD]
    if len(todo) < 2:
        return
    rows = embedder.encode(todo)
    if len(_AHEAD) + len(todo) > AHEAD_MAX:
        _AHEAD.clear()
    for text, row in zip(todo, rows, strict=True):
        _AHEAD[(embedder, text)] = row


_CACHE: dict[tuple[str, str, str], TaxonomyIndex] = {}
_LOCK = threading.Lock()


def taxonomy_index(taxonomy: Taxonomy, embedder: str = DEFAULT_EMBEDDER) -> TaxonomyIndex:
    """The process-wide index for a pack (keyed by id, version and content digest)."""
    key = (taxonomy.ref, taxonomy.digest or str(id(taxonomy)), embedder)
    with _LOCK:
        index = _CACHE.get(key)
        if index is None:
            index = _CACHE[key] = TaxonomyIndex(taxonomy, load_embedder(embedder))
        return index
