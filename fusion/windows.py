"""A long text as passages the size of the single-label combiner's training texts, and the P(none)
threshold that holds the whole text's false-flag rate to the fit's budget.

The policy combiner is fitted on short texts (prompts of at most 34 tokens, sentences of prose);
beyond that length it does not apply (``SingleLabelModel.max_words``). A long text (a podcast
description, a transcript) is read as its passages instead: sentences (any line break ends one
too), each at most ``max_words`` tokens (a longer sentence is cut every ``max_words`` tokens), a
passage of fewer than ``MIN_WORDS`` words joined to its neighbour, a passage repeated word for
word read once. One sentence per passage, not as many
as fit: a request packed with the clean sentences around it reads cleaner than alone (scratch,
held-out prompts padded with held-out NYT sentences, the combiner fitted on the other half of the
prompts: 0.68 of them flagged with one sentence per passage at the short-text threshold against
0.47 packed, of 0.75 flagged alone).

Each passage is one more chance to flag clean text. ``window_threshold`` holds the text to the
budget with Sidak's correction (Sidak 1967): with m passages, each may false-flag at most
a = 1 - (1 - budget)^(1/m), and the threshold is the P(none) below which at most a of the fit's
clean texts fell (inner out of fold, the flaggiest clean source: ``CleanTail``). Passages of one
text are not independent (they share a topic), which makes the correction conservative.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence

from pydantic import ConfigDict, Field, model_validator

from linernotes.fusion.features import word_count
from linernotes.numbers import TextNumbers

# A sentence ends at . ! ? (or another script's full stop or question mark: Arabic, Urdu,
# Devanagari, Armenian, Ethiopic) followed by space, at a CJK full stop or mark with or without
# space after it (CJK puts none), or at a line break: any of Unicode's (``str.splitlines``'), not
# only \n: lyrics and show notes exported with \r or U+2028 between their lines were read as
# one run cut every ``max_tokens`` tokens, its lines glued into passages across their ends.
_LINE_BREAKS = "\n\r\v\f\x1c\x1d\x1e\x85\u2028\u2029"
_BREAK = re.compile(rf"(?<=[.!?\u061f\u06d4\u0964\u0965\u0589\u1362])\s+|(?<=[\u3002\uff01\uff1f\uff61])\s*"
                    rf"|\s*[{_LINE_BREAKS}]\s*")
_TOKEN = re.compile(r"\S+")
# Show-notes markup is not prose: a link (URL, bare domain with a path, e-mail address) ends a
# passage and is read by none, and a line's leading list markers (bullets, emoji, dashes, "1.",
# "a)") and timestamps ("02:15", "[00:12:30]") are left out of its passage. Read as prose, a line
# of two links scored P(none) 0.13-0.14 (flagged malicious_uses in any text of up to 7 passages),
# and "• 02:15 " before a request raised its P(none) from 0.31 to 0.49 (shipped combiner).
_LINK = re.compile(r"[A-Za-z][\w+.-]*://|^\W*www\.|^[^@\s]+@[^@\s]+\.[A-Za-z]{2,}\W*$"
                   r"|^\W*[\w-]+(?:\.[\w-]+)*\.[A-Za-z]{2,}/")
_MARKER = re.compile(r"\d{1,3}[.)]|[a-z]\)|[(\[]?\d{1,2}(?::\d{2}){1,2}[)\]]?[:.-]?")
# More passages than this and the per-passage allowance is below one clean text in 30,000: no
# passage of a fit's few thousand clean texts is that clean a measure, and the cost grows with the
# text (each passage is a lexicon pass, a clause search and a classifier row). Beyond it the
# lexicon alone decides, as for any text outside the fitted domain.
MAX_WINDOWS = 64


class CleanTail(TextNumbers):
    """The lowest inner-out-of-fold P(none) scores of one clean source's texts at fit time."""

    model_config = ConfigDict(extra="forbid")  # a misspelt key in a hand-edited file is named, not dropped

    source: str
    count: int = Field(ge=1, strict=True, description="clean texts of the source scored")
    lowest: list[float] = Field(min_length=1, description="their lowest P(none) scores, ascending")

    @model_validator(mode="after")
    def _sorted(self) -> CleanTail:
        if len(self.lowest) > self.count or any(not 0.0 <= x <= 1.0 for x in self.lowest) or \
                any(a > b for a, b in zip(self.lowest, self.lowest[1:], strict=False)):
            raise ValueError(f"clean tail {self.source!r}: lowest must be at most count ({self.count}) "
                             "probabilities in ascending order")
        return self

    def below(self, share: float) -> float:
        """The P(none) below which at most ``share`` of the source's clean texts fell: the
        ``floor(share * count)``-th lowest score, counted from 0 (at share 0, the lowest: no clean
        text fell below it)."""
        k = math.floor(share * self.count)
        return self.lowest[k] if k < len(self.lowest) else self.lowest[-1]


class WindowRule(TextNumbers):
    """How a long text is flagged from its passages (see the module docstring)."""

    model_config = ConfigDict(extra="forbid")  # a misspelt key in a hand-edited file is named, not dropped

    budget: float = Field(gt=0, lt=1, description="the fit's false-flag budget per clean text")
    tails: list[CleanTail] = Field(min_length=1)


def clean_tail(source: str, scores: Sequence[float], budget: float) -> CleanTail:
    """The lowest scores of ``scores`` (one source's clean texts) that ``window_threshold`` can
    read at any allowance up to ``budget``."""
    ranked = sorted(float(s) for s in scores)
    keep = min(len(ranked), math.floor(budget * len(ranked)) + 1)
    return CleanTail(source=source, count=len(ranked), lowest=ranked[:keep])


def window_threshold(rule: WindowRule, windows: int, cap: float) -> float:
    """The P(none) a passage of a ``windows``-passage text must fall below to flag it: the lowest
    over the clean sources at the Sidak allowance, never above ``cap`` (the short-text threshold)."""
    share = 1.0 - (1.0 - rule.budget) ** (1.0 / max(1, windows))
    return min(cap, *(t.below(share) for t in rule.tails))


def windows(text: str, max_tokens: int, min_words: int) -> list[tuple[int, int]]:
    """``text``'s distinct passages as (start, end) character offsets, in order: sentences of at
    most ``max_tokens`` whitespace tokens, one of fewer than ``min_words`` words joined to the one
    before it (or after it, for the first) while the two stay within ``max_tokens``; a passage
    whose text repeats an earlier one's exactly is left out (see below)."""
    # each piece: its tokens' offsets, and whether markup was left out just before it (a link, a
    # line's markers): such a piece is never joined to the one before, whose slice would quote it
    pieces: list[tuple[list[tuple[int, int]], bool]] = []
    gap = False
    start = 0
    for brk in [*_BREAK.finditer(text), None]:
        end = brk.start() if brk is not None else len(text)
        run: list[tuple[int, int]] = []
        for m in [*_TOKEN.finditer(text, start, end), None]:
            if m is not None and not _LINK.search(m.group()):
                if run or not _markup(m.group()):
                    run.append((m.start(), m.end()))
                else:
                    gap = True
                continue
            for i in range(0, len(run), max_tokens):
                pieces.append((run[i:i + max_tokens], gap))
                gap = False
            run, gap = [], gap or m is not None
        start = brk.end() if brk is not None else len(text)

    def short(piece: list[tuple[int, int]]) -> bool:
        return word_count(" ".join(text[a:b] for a, b in piece)) < min_words

    merged: list[list[tuple[int, int]]] = []
    for piece, after_markup in pieces:
        if merged and not after_markup and (short(merged[-1]) or short(piece)) \
                and len(merged[-1]) + len(piece) <= max_tokens:
            merged[-1] = merged[-1] + piece
        else:
            merged.append(piece)
    # A passage repeated word for word (a chorus, a pasted line) scores the same each time: it is
    # one more chance to flag the text only once, so it is kept once (its first place), and the
    # threshold counts distinct passages. Counted each time, a 5-line chorus sung 6 times took the
    # text from ~10 to ~35 passages (threshold 0.11 -> 0.06), and 65 copies of one request made
    # more than MAX_WINDOWS passages, so it was not read at all.
    seen: set[str] = set()
    out = []
    for p in merged:
        if (quote := text[p[0][0]:p[-1][1]]) not in seen:
            seen.add(quote)
            out.append((p[0][0], p[-1][1]))
    return out


def _markup(token: str) -> bool:
    """A list marker or timestamp that may open a line of show notes (no letter or digit at all:
    a bullet, an emoji, a dash; "1." "a)" "02:15" "[00:12:30]")."""
    return not any(ch.isalnum() for ch in token) or _MARKER.fullmatch(token) is not None
