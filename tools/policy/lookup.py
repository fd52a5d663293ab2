"""Lexicon lookup: find policy terms in an item's text fields, with exact evidence spans.

Matching runs on the original text (see ``obfuscation``), so ``span.text == fields[field][start:end]``
holds by construction, whatever the case, leetspeak, stretching or punctuation of the spelling.
Text with Unicode disguises (invisible characters inside a word, look-alike letters of another
script, fullwidth or mathematical letters, stacked accents) is matched on its folded copy
(``skeleton.fold``) and every span is mapped back to the original characters.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable
from dataclasses import dataclass, field

from pydantic import BaseModel, Field

from linernotes.schema import EvidenceSpan
from linernotes.tools.policy.obfuscation import AFTER, BEFORE, LOOKALIKES, MASKS, term_tokens
from linernotes.tools.policy.pack import LexiconTerm, PolicyPack
from linernotes.tools.policy.skeleton import fold, original_span
from linernotes.tools.policy.trie import trie_regex
from linernotes.tools.policy.trie_cache import term_trie
from linernotes.tools.regex_cache import compile_cached


class PolicyHit(BaseModel):
    policy_id: str
    clause_id: str
    severity: int
    term: str = Field(description="canonical lexicon term the matched spelling stands for")
    span: EvidenceSpan


# A record quotes at most this many spans per clause. 100,000 characters of profane lyrics gave
# ~4,700 hits and a 1.5 MB record (the same spans in evidence, in the flags and in explicit); a
# reviewer reads a few, and every consumer of the hits (fusion features, baselines, routing) reads
# a clause's strongest severity, which the cap keeps (``keep_strongest``).
MAX_HITS_PER_CLAUSE = 50


class PolicyReport(BaseModel):
    hits: list[PolicyHit] = Field(default_factory=list)
    total: int | None = Field(None, description="hits found before the per-clause cap; None: none was left out")

    @property
    def max_severity(self) -> int:
        return max((h.severity for h in self.hits), default=0)


@dataclass(frozen=True)
class _Entry:
    policy_id: str
    clause_id: str
    severity: int
    term: str
    context_only: bool
    allow: bool = False


@dataclass
class _Matcher:
    pattern: re.Pattern[str]
    entries: tuple[_Entry, ...]  # entries[i] belongs to capture group i + 1
    ranked: tuple[_Entry, ...]  # every entry, best reading first
    strict: dict[str, tuple[re.Pattern[str], tuple[_Entry, ...]]] = field(default_factory=dict)
    terms_only: dict[str, tuple[re.Pattern[str], tuple[_Entry, ...]]] = field(default_factory=dict)

    def masked_terms(self, text: str, start: int, end: int) -> list[re.Match[str]]:
        """The lexicon terms (never an allowed phrase) read in ``text[start:end]``, an allowed
        phrase's match spelled with a mask (``*`` or ``#`` in it): a writer masks a rude word, never
        an innocent phrase, so 'skank.***' ('skanks' masked) is not the phrase 'skanking' masked
        (it was hidden as one) and the 'D**k' of 'Moby D**k' is a hit. Tried at each word start."""
        out: list[re.Match[str]] = []
        at = start
        while at < end:
            hit = self._term_at(text, at) if _WORD_START.match(text, at) else None
            if hit is not None:  # it may end past the phrase's match ('skank.****': four masks)
                out.append(hit)
                at = hit.end()
            else:
                at += 1
        return out

    def _term_at(self, text: str, at: int) -> re.Match[str] | None:
        """The best-ranked term (never an allowed phrase) spelled at ``at``: an unambiguous one if
        any fits (a writer who masks a word meant the rude one, as ``unambiguous_reading``), else a
        context-only one."""
        return (self._best_at(text, at, lambda letter: self._terms_trie(letter, False))
                or self._best_at(text, at, lambda letter: self._terms_trie(letter, True)))

    def _terms_trie(self, letter: str, context_only: bool) -> tuple[re.Pattern[str], tuple[_Entry, ...]]:
        return self._trie(self.terms_only, f"{letter}:{int(context_only)}",
                          lambda e: not e.allow and e.context_only == context_only and e.term[:1] == letter)

    def unambiguous_reading(self, text: str, at: int) -> re.Match[str] | None:
        """A match of a non-context-only term at ``at``, if the spelling there allows one.

        The trie picks the first reading its branch order reaches, so a masked or stretched
        spelling ("booo**") can land on a context-only word ("bonk") although an unambiguous term
        ("boobz") fits too; per first letter, a second trie of the unambiguous terms settles it."""
        return self._best_at(text, at, self._strict)

    def _best_at(self, text: str, at: int,
                 trie: Callable[[str], tuple[re.Pattern[str], tuple[_Entry, ...]]]) -> re.Match[str] | None:
        """The best-ranked match at ``at`` among the per-letter tries ``trie(letter)`` of the
        letters the character there can stand for (itself and those it is a look-alike of)."""
        first = text[at].lower()
        letters = {first} | {letter for letter, looks in LOOKALIKES.items() if first in looks}
        best: tuple[int, re.Match[str]] | None = None
        for letter in sorted(letters):
            pattern, entries = trie(letter)
            if (hit := pattern.match(text, at)) is not None:
                rank = self.ranked.index(entries[hit.lastindex - 1])
                if best is None or rank < best[0]:
                    best = (rank, hit)
        return best[1] if best else None

    def entry_of(self, hit: re.Match[str]) -> _Entry:
        for pattern, entries in (*self.strict.values(), *self.terms_only.values()):
            if hit.re is pattern:
                return entries[hit.lastindex - 1]
        return self.entries[hit.lastindex - 1]

    def _strict(self, letter: str) -> tuple[re.Pattern[str], tuple[_Entry, ...]]:
        return self._trie(self.strict, letter, lambda e: not e.context_only and e.term[:1] == letter)

    def _trie(self, cache: dict[str, tuple[re.Pattern[str], tuple[_Entry, ...]]], key: str,
              keep: Callable[[_Entry], bool]) -> tuple[re.Pattern[str], tuple[_Entry, ...]]:
        """The trie regex of the ranked entries ``keep`` takes, and those entries by capture
        group, built once per ``key`` into ``cache``."""
        if key not in cache:  # a race only builds the same small pattern twice
            chosen = [(rank, e) for rank, e in enumerate(self.ranked) if keep(e)]
            body, ranks = trie_regex([(form, rank) for rank, e in chosen for form in term_tokens(e.term)])
            # compile_cached: re's parser took 1.5 s of CPU for the 26 letters (up to 0.19 s one),
            # paid again by every process (each worker) on the first context-only hit of a letter
            pattern = compile_cached(f"{body}{AFTER}", re.IGNORECASE) if chosen else re.compile(r"(?!)")
            cache[key] = (pattern, tuple(self.ranked[r] for r in ranks))
        return cache[key]


_WORD_START = re.compile(BEFORE + r"\S")  # a term may start with a look-alike ("$kank")
_MATCHERS: dict[str, _Matcher] = {}
_BUILD = threading.Lock()  # the graph runs lookups in worker threads: build the matcher once, not per thread


def _matcher(pack: PolicyPack) -> _Matcher:
    key = f"{pack.ref}:{pack.digest}:{len(pack.lexicon)}"
    if key not in _MATCHERS:
        with _BUILD:
            if key not in _MATCHERS:
                _MATCHERS[key] = _compile(pack)
    return _MATCHERS[key]


def prepare(pack: PolicyPack) -> None:
    """Build the pack's matcher and every letter's trie of unambiguous terms now instead of at
    first use (``run.warm``: the workers' forkserver builds them once for all its workers)."""
    m = _matcher(pack)
    for letter in sorted({e.term[0] for e in m.ranked if not e.context_only and e.term}):
        m._strict(letter)


def _compile(pack: PolicyPack) -> _Matcher:
    """One trie regex over every spelling of every term, plus the pack's allowed phrases, which win
    as longer matches ("Moby Dick" over "dick") and are then dropped. Preference where spellings
    compete at one position: the longer match (``fucker`` over ``fuck``), then allowed phrases, then
    the pack's preferred readings, then
    unambiguous terms over context-only ones (a writer who masks a word meant the rude one), then
    the more severe term (``f***`` reads as ``fuck``, not ``feck``)."""
    index = pack.clause_index()
    terms: dict[str, LexiconTerm] = {}
    for t in pack.lexicon:
        key = t.term.lower()
        if key not in terms or t.severity > terms[key].severity:
            terms[key] = t
    ordered = sorted(terms.values(), key=lambda t: (t.prefer or 1 << 20, t.context_only, -t.severity, -len(t.term), t.term))
    entries = [_Entry("", "", 0, phrase.lower(), False, allow=True) for phrase in pack.allow]
    entries += [_Entry(index[t.clause][0].id, t.clause, t.severity, t.term.lower(), t.context_only) for t in ordered]
    body, ranks = term_trie([e.term for e in entries])  # the emitted source is kept on disk too
    # compile_cached: the ~275,000-character trie costs ~2 s in re's parser; its code is kept on disk
    return _Matcher(compile_cached(f"{BEFORE}{body}{AFTER}", re.IGNORECASE), tuple(entries[r] for r in ranks),
                    tuple(entries))


def lookup(fields: dict[str, str], pack: PolicyPack) -> PolicyReport:
    """Every lexicon term found on word boundaries, obfuscated spellings included.

    Context-only terms (ordinary words such as "suck" or "69") are kept only when the same field
    also has a hit of an unambiguous term: alone they are far more often innocent than not.
    Allowed phrases ("Homo sapiens", "Moby Dick") hide the terms inside them.
    """
    m = _matcher(pack)
    hits: list[PolicyHit] = []
    for name, text in fields.items():
        found = []
        copy, origin = fold(text)
        read_to = 0  # the end of the terms read through an allowed phrase's masks
        for hit in m.pattern.finditer(copy):
            if hit.start() < read_to:
                continue
            if m.entries[hit.lastindex - 1].context_only:
                hit = m.unambiguous_reading(copy, hit.start()) or hit
            entry = m.entry_of(hit)
            if not entry.allow:
                found.append((entry, hit))
            elif any(ch in hit.group() for ch in MASKS):
                terms = m.masked_terms(copy, hit.start(), hit.end())
                found += [(m.entry_of(h), h) for h in terms]
                read_to = max((h.end() for h in terms), default=0)
        anchored = any(not e.context_only for e, _ in found)
        for e, hit in found:
            if e.context_only and not anchored:
                continue
            start, end = original_span(text, origin, hit.start(), hit.end())
            hits.append(PolicyHit(policy_id=e.policy_id, clause_id=e.clause_id, severity=e.severity, term=e.term,
                                  span=EvidenceSpan(field=name, start=start, end=end, text=text[start:end])))
    kept = keep_strongest(hits, MAX_HITS_PER_CLAUSE)
    return PolicyReport(hits=kept, total=len(hits) if len(kept) < len(hits) else None)


def keep_strongest(hits: list[PolicyHit], per_clause: int) -> list[PolicyHit]:
    """At most ``per_clause`` hits of each clause, its most severe first (then the earliest),
    returned in their original order (field, then position)."""
    by_clause: dict[str, list[int]] = {}
    for i, h in enumerate(hits):
        by_clause.setdefault(h.clause_id, []).append(i)
    if all(len(v) <= per_clause for v in by_clause.values()):
        return hits
    keep = sorted(i for v in by_clause.values() for i in sorted(v, key=lambda i: -hits[i].severity)[:per_clause])
    return [hits[i] for i in keep]
