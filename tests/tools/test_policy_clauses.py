"""Clause retrieval: the clauses a text is about, even without a lexicon hit."""

from __future__ import annotations

import pytest

from linernotes.tools.policy.clauses import relevant_clauses
from linernotes.tools.policy.pack import load_policy_pack

PACK = load_policy_pack("content-policy")


@pytest.mark.parametrize(("text", "clause"), [
    ("a song about his overdose and the pills he kept buying", "drugs.reference"),
    ("she felt hopeless and wanted to starve herself", "self-harm"),
    ("he threatened them with a knife", "violence.threat"),
    ("a racist rant about immigrants and their religion", "hate.identity"),
    ("explicit sexual fantasies", "explicit.sexual"),
    ("you stupid pathetic loser", "profanity.insult"),
])
def test_the_clause_a_text_is_about_comes_first(text: str, clause: str) -> None:
    assert relevant_clauses(text, PACK, 3)[0].id == clause


def test_results_are_ranked_bounded_and_cite_real_clauses() -> None:
    found = relevant_clauses("kill the drug dealer, then kill myself", PACK, 2)
    assert len(found) == 2
    assert found[0].score >= found[1].score > 0
    index = PACK.clause_index()
    assert all(c.id in index and c.policy_id == index[c.id][0].id for c in found)


@pytest.mark.parametrize("text", ["", "   ", "a quiet walk in the park at dawn", "12345"])
def test_unrelated_or_empty_text_gets_no_clauses(text: str) -> None:
    assert relevant_clauses(text, PACK, 3) == []
