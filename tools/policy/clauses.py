"""Clause retrieval: the policy clauses an item's text is about, so the LLM can cite a clause even
when no lexicon term fired (a lyric about overdosing names no slur, yet self-harm is relevant).

BM25 (bm25s) over one document per clause: its text, examples, retrieval keywords and one-word
lexicon terms; words are Snowball-stemmed so "threatening" meets "threat"; stopwords and words
under 3 letters are dropped.
"""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass
from functools import lru_cache

import bm25s
from bm25s.stopwords import STOPWORDS_EN_PLUS
from pydantic import BaseModel

from linernotes.tools.policy.pack import PolicyPack
from linernotes.tools.policy.snowball_en import EnglishStemmer
from linernotes.tools.text.plain import plain

_WORD = re.compile(r"[^\W\d_]+")
_STOP = frozenset(STOPWORDS_EN_PLUS)


class ClauseMatch(BaseModel):
    id: str
    policy_id: str
    severity: int
    text: str
    score: float


@lru_cache(maxsize=1)
def _stemmer() -> EnglishStemmer:
    """NLTK's English Snowball stemmer, copied (``snowball_en``): importing nltk costs ~1.7 s."""
    return EnglishStemmer()


def tokens(text: str) -> list[str]:
    """Stemmed content words of ``text`` read through ``plain`` (a soft hyphen or fullwidth letters
    inside "threatening" split or hid it)."""
    return [_stem(w) for w in _WORD.findall(plain(text).lower()) if len(w) > 2 and w not in _STOP]


@lru_cache(maxsize=65536)
def _stem(word: str) -> str:
    """Snowball's stem of one word, cached: catalog prose repeats its words, and the stemmer is
    pure Python (~20 us a word, a quarter of the clause search per item)."""
    return _stemmer().stem(word)


@dataclass(frozen=True)
class _Index:
    retriever: bm25s.BM25
    clauses: tuple[ClauseMatch, ...]


_INDEXES: dict[str, _Index] = {}
_BUILD = threading.Lock()


def _index(pack: PolicyPack) -> _Index:
    key = f"{pack.ref}:{pack.digest}"
    with _BUILD:
        if key in _INDEXES:
            return _INDEXES[key]
        terms: dict[str, list[str]] = {}
        for t in pack.lexicon:
            if not t.context_only and " " not in t.term:  # a phrase's words ("burn your house") mislead
                terms.setdefault(t.clause, []).append(t.term)
        docs, clauses = [], []
        for p in pack.policies:
            for c in p.clauses:
                docs.append(tokens(" ".join([c.text, *c.examples, *c.keywords, *terms.get(c.id, [])])))
                clauses.append(ClauseMatch(id=c.id, policy_id=p.id, severity=c.severity, text=c.text, score=0.0))
        retriever = bm25s.BM25()
        retriever.index(docs, show_progress=False)
        _INDEXES[key] = _Index(retriever, tuple(clauses))
        return _INDEXES[key]


def relevant_clauses(text: str, pack: PolicyPack, k: int = 3, min_score: float = 0.0) -> list[ClauseMatch]:
    """Up to ``k`` clauses whose wording shares stemmed words with ``text``, best first; clauses
    scoring ``<= min_score`` are left out (an unrelated text gets an empty list, not k guesses)."""
    query = tokens(text)
    if not query or k <= 0:
        return []
    idx = _index(pack)
    scores = idx.retriever.get_scores(query)
    ranked = sorted(range(len(idx.clauses)), key=lambda i: (-float(scores[i]), idx.clauses[i].id))
    return [idx.clauses[i].model_copy(update={"score": round(float(scores[i]), 4)})
            for i in ranked[:k] if float(scores[i]) > min_score]
