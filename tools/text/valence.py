"""Lexical valence: how positive or negative a text reads, from a hand-rated word lexicon, as
independent evidence next to the LLM's valence (route averages the two and measures their gap).

TextBlob's pattern lexicon (adjectives rated by hand, with negation and intensifiers) is used
rather than VADER on purpose: the VADER multi-rater set we evaluate against is the VADER authors'
own ground truth, and VADER's lexicon was built from those raters' work, so VADER scored on it
would be circular.
"""

from __future__ import annotations

import threading
from functools import lru_cache
from typing import Any

_LOAD = threading.Lock()


@lru_cache(maxsize=1)
def _sentiment() -> Any:
    """textblob loads its lexicon lazily on first use; the graph calls from worker threads, so the
    first call happens once, under a lock, before anyone reads the lexicon."""
    with _LOAD:
        from textblob.en import sentiment  # imported late: textblob pulls in nltk (~1-2 s)

        sentiment("good")
        return sentiment


def lexical_valence(text: str) -> float | None:
    """Polarity in [-1, 1], or None when no lexicon word occurs (silence is not neutrality)."""
    if not text or not text.strip():
        return None
    scored = _sentiment()(text)
    if not scored.assessments:
        return None
    polarity, _subjectivity = scored
    return round(max(-1.0, min(1.0, float(polarity))), 4)


@lru_cache(maxsize=1)
def _afinn() -> Any:
    from afinn import Afinn  # the lexicon file ships in the wheel; loading it reads ~2,500 lines once

    return Afinn(language="en", emoticons=True)


def afinn_terms(text: str) -> list[float]:
    """AFINN-165 scores (integers in [-5, 5]) of the lexicon words and emoticons found in ``text``,
    in order. AFINN (Finn Årup Nielsen, 2011; ``afinn`` on PyPI, Apache-2.0) was rated by its
    author, independently of the VADER raters, so it is not circular on the VADER gold either."""
    return list(_afinn_terms(text))


@lru_cache(maxsize=64)
def _afinn_terms(text: str) -> tuple[float, ...]:
    """Cached per text: the tools and the valence combiner's features score the same prose of an
    item (~0.2 ms each time)."""
    if not text or not text.strip():
        return ()
    return tuple(float(s) for s in _afinn().scores(text))


def afinn_valence(text: str) -> float | None:
    """Mean AFINN score of the matched words divided by 5, in [-1, 1]; None when none matched."""
    scores = afinn_terms(text)
    if not scores:
        return None
    return round(max(-1.0, min(1.0, sum(scores) / len(scores) / 5.0)), 4)
