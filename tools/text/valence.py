"""Lexical valence: how positive or negative a text reads, from a hand-rated word lexicon, as
independent evidence next to the LLM's valence (route averages the two and measures their gap).

TextBlob's pattern lexicon (adjectives rated by hand, with negation and intensifiers) is used
rather than VADER on purpose: the VADER multi-rater set we evaluate against is the VADER authors'
own ground truth, and VADER's lexicon was built from those raters' work, so VADER scored on it
would be circular.
"""

from __future__ import annotations

import re
import threading
from functools import lru_cache
from typing import Any

from linernotes.tools.regex_cache import compile_cached
from linernotes.tools.text.plain import plain

_LOAD = threading.Lock()


@lru_cache(maxsize=1)
def _sentiment() -> Any:
    """textblob loads its lexicon lazily on first use; the graph calls from worker threads, so the
    first call happens once, under a lock, before anyone reads the lexicon."""
    with _LOAD:
        # textblob's analyzer from its own files: the package import pulls in nltk (~1.7 s)
        from linernotes.tools.text.textblob_lite import english_sentiment

        sentiment = english_sentiment()
        sentiment("good")
        return sentiment


def lexical_valence(text: str) -> float | None:
    """Polarity in [-1, 1], or None when no lexicon word occurs (silence is not neutrality). The
    text is read through ``plain`` (invisible characters dropped, NFKC), as every word-list tool."""
    if not text or not text.strip():
        return None
    scored = _sentiment()(plain(text))
    if not scored.assessments:
        return None
    polarity, _subjectivity = scored
    return round(max(-1.0, min(1.0, float(polarity))), 4)


@lru_cache(maxsize=1)
def _afinn() -> tuple[Any, re.Pattern[str] | None]:
    """The lexicon, and its matching pattern factored by first character (None: use the
    library's own). AFINN's pattern is one alternation of ~3,500 words, longest first, tried at
    every position of the text (~270 us per 100-character text). Grouping the alternatives by
    their first character, in the same order within a group, matches the same strings: only the
    alternatives starting with the character at a position can match there, and they are tried in
    the library's order, backtracking through the trailing word boundary as before. ~12x faster;
    the same matches on 18,864 gold texts and edge strings (``tests/tools/test_text_valence.py``).
    Built from the library's own token lists, and only when its unfactored pattern is exactly the
    library's (a future afinn that builds it otherwise keeps its own)."""
    from afinn import Afinn  # the lexicon file ships in the wheel; loading it reads ~2,500 lines once
    from afinn.afinn import LANGUAGE_TO_FILENAME

    class CachedAfinn(Afinn):
        """The library's own pattern through ``compile_cached`` (the pattern object re.compile
        gives, without ~0.2 s of re's parser per process); afinn's hook is only that compile."""

        def _setup_pattern_from_regex(self, regex: str) -> None:
            self._pattern = compile_cached(regex, re.UNICODE)

    lib = CachedAfinn(language="en", emoticons=True)
    try:
        words, emoticons = (list(Afinn.read_word_file(lib.full_filename(LANGUAGE_TO_FILENAME[name])))
                            for name in ("en", "emoticons"))
        plain = "(" + Afinn.regex_from_tokens(words, word_boundary=True, capture=False) + "|" + \
            Afinn.regex_from_tokens(emoticons, word_boundary=False, capture=False) + ")"
        if plain != lib._pattern.pattern or lib._pattern.flags != re.compile("", re.UNICODE).flags:
            return lib, None
        # compile_cached: ~0.15 s of re's parser per process for ~3,500 alternatives, kept on disk
        return lib, compile_cached(r"(\b" + _by_first_char(words) + r"\b|" + _by_first_char(emoticons) + ")",
                                   re.UNICODE)
    except (AttributeError, KeyError, TypeError, ValueError, OSError):
        return lib, None


def _by_first_char(tokens: list[str]) -> str:
    """``(?:t1|t2|...)`` (tokens longest first, as ``Afinn.regex_from_tokens`` orders them) as
    ``(?:a(?:...)|b(?:...)|...)``: the alternatives grouped by first character, in order."""
    groups: dict[str, list[str]] = {}
    for token in sorted(tokens, key=len, reverse=True):
        groups.setdefault(token[0], []).append(token[1:])
    return "(?:" + "|".join(re.escape(first) + "(?:" + "|".join(re.escape(rest) for rest in tails) + ")"
                            for first, tails in groups.items()) + ")"


def _afinn_scores(text: str) -> list[int]:
    """``Afinn.scores(text)``: the lexicon scores of the matched words and emoticons, in order."""
    lib, pattern = _afinn()
    if pattern is None:
        return lib.scores(text)
    return [lib._dict[word] for word in pattern.findall(_SPACES.sub(" ", text).lower())]


_SPACES = re.compile(r"\s+")  # what Afinn.find_all collapses before matching


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
    return tuple(float(s) for s in _afinn_scores(plain(text)))  # h\u00adate is hate


def afinn_valence(text: str) -> float | None:
    """Mean AFINN score of the matched words divided by 5, in [-1, 1]; None when none matched."""
    scores = afinn_terms(text)
    if not scores:
        return None
    return round(max(-1.0, min(1.0, sum(scores) / len(scores) / 5.0)), 4)
