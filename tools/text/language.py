"""Language identification for item text, so route can check the LLM's language tag against a
deterministic guess (py3langid: langid.py's naive Bayes over byte n-grams, 97 languages, numpy only).
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any

from linernotes.tools.text.plain import plain

MIN_LETTERS = 12  # below this (a one-word title) byte n-grams guess near randomly: better no guess
_LETTER = re.compile(r"[^\W\d_]", re.UNICODE)


@lru_cache(maxsize=1)
def _identifier() -> Any:
    from linernotes.tools.text.langid_model import load_identifier  # its decompressed model is cached

    return load_identifier()


def detect_language(text: str, min_letters: int = MIN_LETTERS) -> tuple[str, float] | None:
    """(ISO 639-1 code, which is a valid BCP-47 primary tag; posterior probability in [0, 1]),
    or None when the text has fewer than ``min_letters`` letters. Read through ``plain``: fullwidth
    letters are other bytes to the n-gram model (fullwidth French read as Cantonese)."""
    text = plain(text)
    if not text or len(_LETTER.findall(text)) < min_letters:
        return None
    code, prob = _identifier().classify(text)
    return str(code), round(float(prob), 4)


def guess_language(text: str, min_confidence: float = 0.5) -> str | None:
    """The language tag when langid is more sure of it than of all other languages together, else
    None: route trusts a guess it is given, so an unsure one is better withheld."""
    found = detect_language(text)
    return found[0] if found and found[1] >= min_confidence else None
