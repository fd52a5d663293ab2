"""One call for "what does the policy say about this text": lexicon hits plus the clauses worth
citing, as the CLI and any other caller outside the graph want them."""

from __future__ import annotations

from pydantic import BaseModel, Field

from linernotes.tools.policy.clauses import ClauseMatch, relevant_clauses
from linernotes.tools.policy.lookup import PolicyHit, lookup
from linernotes.tools.policy.pack import PolicyPack


class PolicyCheck(BaseModel):
    pack: str
    hits: list[PolicyHit] = Field(default_factory=list)
    max_severity: int = 0
    clauses: list[ClauseMatch] = Field(default_factory=list, description="retrieved, cited or not")


def check(fields: dict[str, str], pack: PolicyPack, k: int = 3) -> PolicyCheck:
    report = lookup(fields, pack)
    text = " \n".join(fields.values())
    return PolicyCheck(pack=pack.ref, hits=report.hits, max_severity=report.max_severity,
                       clauses=relevant_clauses(text, pack, k))
