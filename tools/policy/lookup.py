"""Lexicon lookup: find policy terms in an item's text fields, with exact evidence spans."""

from __future__ import annotations

import re

from linernotes.schema import EvidenceSpan
from linernotes.tools.policy.pack import PolicyPack
from pydantic import BaseModel, Field


class PolicyHit(BaseModel):
    policy_id: str
    clause_id: str
    severity: int
    term: str
    span: EvidenceSpan


class PolicyReport(BaseModel):
    hits: list[PolicyHit] = Field(default_factory=list)

    @property
    def max_severity(self) -> int:
        return max((h.severity for h in self.hits), default=0)


_MATCHERS: dict[str, tuple[re.Pattern[str], dict[str, tuple[str, str, int]]]] = {}


def _matcher(pack: PolicyPack) -> tuple[re.Pattern[str], dict[str, tuple[str, str, int]]]:
    key = f"{pack.ref}:{pack.digest}"
    if key not in _MATCHERS:
        _MATCHERS[key] = _compile(pack)
    return _MATCHERS[key]


def _compile(pack: PolicyPack) -> tuple[re.Pattern[str], dict[str, tuple[str, str, int]]]:
    index = pack.clause_index()
    table: dict[str, tuple[str, str, int]] = {}
    for t in pack.lexicon:
        policy, clause = index[t.clause]
        table[t.term.lower()] = (policy.id, clause.id, max(t.severity, 0))
    terms = sorted(table, key=len, reverse=True)
    pattern = re.compile(r"(?<![\w])(" + "|".join(re.escape(t) for t in terms) + r")(?![\w])", re.IGNORECASE)
    return pattern, table


def lookup(fields: dict[str, str], pack: PolicyPack) -> PolicyReport:
    """Every lexicon term found on word boundaries; ``span.text == fields[span.field][start:end]``."""
    pattern, table = _matcher(pack)
    hits: list[PolicyHit] = []
    for name, text in fields.items():
        for m in pattern.finditer(text):
            policy_id, clause_id, sev = table[m.group(1).lower()]
            hits.append(PolicyHit(policy_id=policy_id, clause_id=clause_id, severity=sev, term=m.group(1).lower(),
                                  span=EvidenceSpan(field=name, start=m.start(1), end=m.end(1), text=m.group(1))))
    return PolicyReport(hits=hits)
