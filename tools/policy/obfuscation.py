"""Obfuscation-tolerant term patterns: one lexicon term matches its leetspeak, stretched, dotted,
spaced and starred spellings, so lookup needs one canonical entry per word, and every match is
a slice of the original text (spans stay exact because nothing is rewritten before matching).

Rules (documented in packs/policy/README.md):
- case: matched with IGNORECASE;
- leetspeak: each letter also matches its look-alikes (``a``: ``@ 4``, ``i``: ``1 ! |``, ``s``: ``$ 5`` …);
- repeated letters: a single letter matches 1 or >= 3 copies (``fuuuck``), never exactly 2, so that
  ``assess`` is not read as ``asses`` stretched; a double letter matches 2 or more;
- inserted punctuation: one of ``. - _ ~ * ' ` `` may sit between letters (``f.u.c.k``, ``f-u-c-k``);
  an apostrophe's look-alikes (``’ ‘ ´ ʹ`` ...) are folded to ``'`` first (``skeleton.APOSTROPHES``);
- masking: any letter but the first may be replaced by ``*`` or ``#`` (``f*ck``, ``a**hole``, ``f***``);
  where a masked spelling fits several terms the pack's ``prefer`` order decides;
- spacing: a single word of >= 3 letters also matches with every letter separated by spaces
  or punctuation (``f u c k``);
- word boundaries: no letter or digit directly before or after the match (no ``Scunthorpe``);
- Unicode disguises (invisible characters inside a word, look-alike letters of other scripts,
  fullwidth/mathematical letters, accents) are undone before matching by ``skeleton.fold``, whose
  offset map keeps spans on the original characters.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache
from itertools import groupby

from linernotes.tools.policy.skeleton import APOSTROPHES

# look-alike characters a writer substitutes for a letter
LOOKALIKES: dict[str, str] = {
    "a": "@4^", "b": "8", "e": "3€", "g": "9", "i": "1!|", "l": "1|", "o": "0", "s": "$5", "t": "7+", "u": "v",
}
# the reverse map used to canonicalise lexicon spellings ("sh1t" -> "shit"); 1 reads as i
_LEET_TO_LETTER = {"0": "o", "1": "i", "3": "e", "4": "a", "5": "s", "7": "t", "9": "g", "@": "a", "$": "s",
                   "+": "t", "!": "i", "|": "i", "€": "e"}
MASKS = "*#"
# lazy: "f**k" reads as two masked letters before one letter plus a dot. An apostrophe's look-alikes
# (typographic, primes, accents, modifier letters) are folded to "'" before matching
# (``skeleton.APOSTROPHES``); the backtick, ASCII, is taken here: "it won`t kill you" missed the
# allow phrase "it won't kill you" and flagged a threat
_INSERTED = r"[-.~*'`_]??"
_SPACED_SEP = r"[-\s.~*/_]{1,3}"
_WORD_SEP = r"[-\s_.]{1,3}"
BEFORE = r"(?<![^\W_])"
AFTER = r"(?![^\W_])"


def canonical_term(raw: str) -> str | None:
    """The plain spelling of a lexicon entry (``"@ssh0le"`` -> ``"asshole"``, ``"f_u_c_k"`` -> ``"fuck"``),
    or None when nothing word-like is left. Numbers (``"69"``) stay numbers."""
    # an apostrophe look-alike first: NFKC turns an acute accent into a space ("won´t": two words)
    s = unicodedata.normalize("NFKC", re.sub(f"[`{APOSTROPHES}]", "'", raw)).strip().lower()
    if re.fullmatch(r"[\d\s]+", s):
        return re.sub(r"\s+", " ", s) or None
    if re.fullmatch(r"(?:[^\W_][._/\-]){2,}[^\W_]?[._/\-]?", s):  # letters one by one: s.o.b., f_u_c_k
        s = re.sub(r"[._/\-]", "", s)
    s = re.sub(r"\s*\+\s*", "+", s)  # "bi + ch" is "bi+ch"
    s = "".join(_LEET_TO_LETTER.get(ch, ch) for ch in s)
    s = s.replace("'", "")
    s = re.sub(r"[\s\-_/]+", " ", s)
    s = re.sub(r"[^a-z ]", "", s).strip()
    return s or None


@lru_cache(maxsize=256)
def _letter_class(ch: str, maskable: bool) -> str:
    chars = "".join(dict.fromkeys(ch + LOOKALIKES.get(ch, "") + (MASKS if maskable else "")))
    if len(chars) == 1:
        return re.escape(chars)
    return "[" + re.sub(r"([\\\]\[^-])", r"\\\1", chars) + "]"


def _compact_word(word: str) -> list[str]:
    runs = [(ch, len(list(g))) for ch, g in groupby(word)]
    parts = []
    for i, (ch, n) in enumerate(runs):
        if not ch.isalpha():
            piece = re.escape(ch) * n
        else:
            cls = _letter_class(ch, maskable=i > 0)
            piece = f"{cls}(?:{cls}{cls}+)?" if n == 1 else f"{cls}{{{n},}}"
        parts.append(piece if i == 0 else _INSERTED + piece)
    return parts


def term_tokens(term: str) -> list[list[str]]:
    """The spellings of ``term`` as sequences of regex pieces (one per letter run), so that callers
    can merge many terms into one prefix trie: compact form first, then the letter-spaced form."""
    if term.isdigit():
        return [[re.escape(term)]]
    words = term.split(" ")
    compact: list[str] = []
    for i, w in enumerate(words):
        pieces = _compact_word(w)
        compact += pieces if i == 0 else [_WORD_SEP + pieces[0], *pieces[1:]]
    forms = [compact]
    if len(words) == 1 and len(term) >= 3 and term.isalpha():
        forms.append([_letter_class(ch, False) if i == 0 else _SPACED_SEP + _letter_class(ch, False)
                      for i, ch in enumerate(term)])
    return forms


def term_pattern(term: str) -> str:
    """Regex source (no boundaries, no groups) matching ``term`` and its obfuscated spellings."""
    return "(?:" + "|".join("".join(form) for form in term_tokens(term)) + ")"
