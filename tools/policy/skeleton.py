"""Fold text for lexicon matching and keep the way back to the original characters.

``fold(text)`` returns a matching copy of ``text`` plus, for every character of the copy, the
index of the original character it came from, so a match found in the copy maps back to an exact
slice of the original (``span.text == text[start:end]`` still holds). Folding undoes the
Unicode tricks that hide a word from a lexicon without changing how it reads:

- invisible characters (format characters, category Cf: soft hyphen, zero-width space/joiners,
  word joiner, BOM; Hangul fillers) are dropped;
- compatibility forms become their plain letters (NFKD: fullwidth ``ｆ``, mathematical bold
  ``𝐟``, ligatures ``ﬀ``, circled letters), and combining marks are dropped (``fùck``, zalgo);
- apostrophe look-alikes (``APOSTROPHES``: curly quotes, primes, accents, modifier letters)
  become ``'``;
- look-alike letters of other scripts (Cyrillic ``а``, Greek ``ο`` ...) become the Latin letter
  they imitate, using the Unicode confusables table (UTS #39, data from the
  ``confusable-homoglyphs`` package). This is the skeleton idea of UTS #39 §4, restricted to
  single letters with a Latin prototype.

False positives: a Cyrillic or Greek word is folded to Latin only where it sits in Latin-script
text (most letters of the field are Latin) or is itself mixed-script (``fuсk`` with a Cyrillic
``с``); Russian or Greek text keeps its own letters, so ``рак`` in a Russian lyric is never read
as ``pak``. Accents are removed everywhere, which the word-boundary rules of the lexicon keep
harmless in practice (tested on clean text in several languages).
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

from linernotes.tools.text.plain import is_invisible

# Characters written for an apostrophe (the UTS #39 confusables of "'" that are punctuation, accents
# or modifier letters, not letters of a script): a left quote from autocorrect, a prime, an acute
# accent from a European keyboard, the modifier letters. Folded to "'", so a lexicon term or allow
# phrase with an apostrophe inside reads through any of them: "it won`t kill you" missed the allow
# phrase "it won't kill you" and flagged a threat, "f´ck you" (NFKD: a space) was no hit. The ASCII
# backtick is ASCII text, left as it is: ``obfuscation._INSERTED`` takes it between letters.
APOSTROPHES = ("\u2018\u2019\u201b\u2032\u2035\u00b4\u0384\u1fbd\u1fbf\u1ffd\u02b9\u0374\u02bb\u02bc\u02bd"
               "\u02c8\u02ca\u02cb\u02f4\u055a\uff07\uff40\u1fef")
_LETTERS = re.compile(r"[^\W\d_]")
_WORD = re.compile(r"[^\W_]+")
# The prototype "l" also stands for capital I (confusables.txt maps both to l): "|" matches either
# in the lexicon's letter classes (see obfuscation.LOOKALIKES).
_AMBIGUOUS_L = "|"


@lru_cache(maxsize=1)
def _confusable_letters() -> dict[str, str]:
    """Non-ASCII character -> the lower-case ASCII letter it imitates (single characters only)."""
    from confusable_homoglyphs.confusables import confusables_data

    out: dict[str, str] = {}
    for letter in "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ":
        for entry in confusables_data.get(letter, []):
            ch = entry["c"]
            if len(ch) == 1 and not ch.isascii():
                low = letter.lower()
                out.setdefault(ch, _AMBIGUOUS_L if low == "l" else low)
    return out


@lru_cache(maxsize=65536)
def _fold_char(ch: str, cross_script: bool) -> str:
    """What one original character becomes in the matching copy ("" when it is dropped)."""
    if ch.isascii():
        return ch
    if ch in APOSTROPHES:
        return "'"
    if is_invisible(ch):  # the same invisibles the other word-list tools drop (tools.text.plain)
        return ""
    out = []
    for part in unicodedata.normalize("NFKD", ch):
        if unicodedata.combining(part) or unicodedata.category(part) == "Mn":
            continue
        if not part.isascii() and cross_script:
            part = _confusable_letters().get(part, part)
        out.append(part)
    return "".join(out)


class _FoldTable(dict):
    """A ``str.translate`` table filled on first use of each code point (C speed after that)."""

    def __init__(self, cross_script: bool):
        super().__init__()
        self.cross_script = cross_script

    def __missing__(self, cp: int) -> str:
        value = self[cp] = _fold_char(chr(cp), self.cross_script)
        return value


_PLAIN = _FoldTable(cross_script=False)
_CROSS = _FoldTable(cross_script=True)
# Latin letters in any width or style: basic, Latin-1 to Latin Extended-B, IPA, Latin Extended
# Additional, fullwidth, mathematical alphanumerics
_LATIN = re.compile("[A-Za-z\u00c0-\u024f\u0250-\u02af\u1e00-\u1eff\uff21-\uff3a\uff41-\uff5a"
                    "\U0001d400-\U0001d6a5]")
_ASCII_LETTER = re.compile("[A-Za-z]")


def _mostly_latin(text: str) -> bool:
    letters = len(_LETTERS.findall(text))
    return letters > 0 and len(_LATIN.findall(text)) * 2 >= letters


def _segments(text: str) -> list[tuple[int, int, bool]]:
    """``(start, end, cross_script)`` pieces covering ``text``: all of it when it is mostly Latin,
    else only its mixed-script words (a Latin letter among other scripts' letters)."""
    if _mostly_latin(text):
        return [(0, len(text), True)]
    out: list[tuple[int, int, bool]] = []
    at = 0
    for word in _WORD.finditer(text):
        w = word.group()
        if not w.isascii() and _ASCII_LETTER.search(w):
            out += [(at, word.start(), False), (word.start(), word.end(), True)]
            at = word.end()
    out.append((at, len(text), False))
    return [s for s in out if s[0] < s[1]]


def fold(text: str) -> tuple[str, list[int] | None]:
    """``(copy, origin)``: the matching copy of ``text`` and, per copy character, the index of its
    original character (``origin`` is None when every character maps to one character, so that
    indices agree, e.g. ASCII text or accents only)."""
    if text.isascii():
        return text, None
    parts = []
    same_length = True
    for start, end, cross in _segments(text):
        piece = text[start:end].translate(_CROSS if cross else _PLAIN)
        same_length = same_length and len(piece) == end - start
        parts.append((start, end, cross, piece))
    copy = "".join(p[3] for p in parts)
    if same_length:
        return copy, None
    origin: list[int] = []
    for start, end, cross, piece in parts:
        if len(piece) == end - start:
            origin.extend(range(start, end))
            continue
        table = _CROSS if cross else _PLAIN
        for i in range(start, end):
            origin.extend([i] * len(table[ord(text[i])]))
    return copy, origin


def original_span(text: str, origin: list[int] | None, start: int, end: int) -> tuple[int, int]:
    """Map ``copy[start:end]`` back to ``text[a:b]``; the slice also takes in the combining marks
    that trail its last letter (they belong to the letter the reader sees)."""
    a, b = (start, end) if origin is None else (origin[start], origin[end - 1] + 1)
    while b < len(text) and (unicodedata.combining(text[b]) or unicodedata.category(text[b]) in ("Mn", "Me")):
        b += 1
    return a, b
