"""One reading of text for every tool that matches words against a list, so that a disguise that
does not change how a word reads does not hide it from the list either.

``plain(text)`` drops the invisible characters (``is_invisible``: Unicode format characters,
category Cf, such as the soft hyphen U+00AD, zero-width space U+200B, ZWNJ/ZWJ U+200C/D, word
joiner U+2060, BOM U+FEFF, the bidi controls U+202A-202E and U+2066-2069; and the Hangul fillers,
default-ignorable letters that are not Cf), replaces each compatibility form of a letter or digit by
its NFKC letters (fullwidth ``ｆｕｃｋ``, mathematical ``𝐟𝐮𝐜𝐤``, ligatures ``ﬁ``, circled ``ⓕ``,
halfwidth katakana) and returns the result in NFC (a decomposed ``n`` + combining tilde is ``ñ``,
one word, as the precomposed letter reads).

Not the whole of NFKC on purpose: compatibility forms that are not letters keep their character
(``…`` is not ``...``, which negation marking reads as three clause ends; ``½`` is not ``1⁄2``;
``™`` does not glue ``TM`` onto the word before it), so prose that hides nothing reads as before.
Case and accents are kept: each tool lowercases as it always did.

Used by clause retrieval, lexical valence (TextBlob, AFINN), language id, negation marking (the
fusion's text features) and taxonomy lexical retrieval. The policy lexicon folds further (look-alike
letters of other scripts, accents) and keeps an offset map for its evidence spans
(``tools.policy.skeleton``); it shares ``is_invisible`` with this module. None of these tools
report offsets into the text, so the plain copy needs no way back.

Pure; no errors raised. ASCII text (nearly all catalog prose) is returned as it is.
"""

from __future__ import annotations

import unicodedata

# Default-ignorable letters that are not category Cf (UTS #39 / DerivedCoreProperties): the Hangul
# fillers render as nothing and are used as invisible padding like the format characters.
_IGNORABLE_LETTERS = frozenset("\u115f\u1160\u3164\uffa0")


def is_invisible(ch: str) -> bool:
    """Whether one character renders as nothing and can sit inside a word unseen."""
    return ch in _IGNORABLE_LETTERS or unicodedata.category(ch) == "Cf"


def _plain_char(ch: str) -> str:
    """What one character becomes: "" when invisible, its NFKC letters when it is a compatibility
    form of a letter or digit (one character for a symbol such as a circled letter, so ``™``, a
    symbol whose NFKC is ``TM``, stays), else itself."""
    if is_invisible(ch):
        return ""
    form = unicodedata.normalize("NFKC", ch)
    if form != ch and form.isalnum() and (ch.isalnum() or len(form) == 1):
        return form
    return ch


class _Table(dict):
    """A ``str.translate`` table filled on first use of each code point (C speed after that)."""

    def __missing__(self, cp: int) -> str:
        value = self[cp] = _plain_char(chr(cp))
        return value


_TABLE = _Table()


def plain(text: str) -> str:
    """``text`` without invisible characters, letters in their plain form, in NFC (the invisibles
    go first, so a letter and the accent a soft hyphen kept apart compose)."""
    if text.isascii():
        return text
    return unicodedata.normalize("NFC", text.translate(_TABLE))
