"""Lexicon lookup: find policy terms in an item's text fields, with exact evidence spans.

Matching runs on the original text (see ``obfuscation``), so ``span.text == fields[field][start:end]``
holds by construction, whatever the case, leetspeak, stretching or punctuation of the spelling.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from pydantic import BaseModel, Field

from linernotes.schema import EvidenceSpan
from linernotes.tools.policy.obfuscation import AFTER, BEFORE, term_tokens
from linernotes.tools.policy.pack import LexiconTerm, PolicyPack
from linernotes.tools.policy.trie import trie_regex


class PolicyHit(BaseModel):
    policy_id: str
    clause_id: str
    severity: int
    term: str = Field(description="canonical lexicon term the matched spelling stands for")
    span: EvidenceSpan


class PolicyReport(BaseModel):
    hits: list[PolicyHit] = Field(default_factory=list)

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


@dataclass(frozen=True)
class _Matcher:
    pattern: re.Pattern[str]
    entries: tuple[_Entry, ...]  # entries[i] belongs to capture group i + 1


_MATCHERS: dict[str, _Matcher] = {}


def _matcher(pack: PolicyPack) -> _Matcher:
    key = f"{pack.ref}:{pack.digest}:{len(pack.lexicon)}"
    if key not in _MATCHERS:
        _MATCHERS[key] = _compile(pack)
    return _MATCHERS[key]


def _compile(pack: PolicyPack) -> _Matcher:
    """One trie regex over every spelling of every term. Preference where spellings compete at one
    position: the longer match (``fucker`` over ``fuck``), then the pack's preferred readings, then
    the more severe term (``f***`` reads as ``fuck``, not ``feck``)."""
    index = pack.clause_index()
    terms: dict[str, LexiconTerm] = {}
    for t in pack.lexicon:
        key = t.term.lower()
        if key not in terms or t.severity > terms[key].severity:
            terms[key] = t
    ordered = sorted(terms.values(), key=lambda t: (t.prefer or 1 << 20, -t.severity, -len(t.term), t.term))
    entries = [_Entry(index[t.clause][0].id, t.clause, t.severity, t.term.lower(), t.context_only) for t in ordered]
    body, ranks = trie_regex([(form, rank) for rank, e in enumerate(entries) for form in term_tokens(e.term)])
    return _Matcher(re.compile(f"{BEFORE}{body}{AFTER}", re.IGNORECASE), tuple(entries[r] for r in ranks))


def lookup(fields: dict[str, str], pack: PolicyPack) -> PolicyReport:
    """Every lexicon term found on word boundaries, obfuscated spellings included.

    Context-only terms (ordinary words such as "suck" or "69") are kept only when the same field
    also has a hit of an unambiguous term: alone they are far more often innocent than not.
    """
    m = _matcher(pack)
    hits: list[PolicyHit] = []
    for name, text in fields.items():
        found = [(m.entries[hit.lastindex - 1], hit) for hit in m.pattern.finditer(text)]
        anchored = any(not e.context_only for e, _ in found)
        for e, hit in found:
            if e.context_only and not anchored:
                continue
            hits.append(PolicyHit(policy_id=e.policy_id, clause_id=e.clause_id, severity=e.severity, term=e.term,
                                  span=EvidenceSpan(field=name, start=hit.start(), end=hit.end(), text=hit.group())))
    return PolicyReport(hits=hits)
