"""A policy flag read in one passage of a long text quotes that passage even when the lexicon has
already flagged the same clause (QA passages19). Before, the lexicon's flag was only relabelled
'lexicon+fusion': its spans kept the lexicon's words alone, while the routing note named the
passage by its characters ("description characters 0-94") that no span quoted; a podcast on the
opioid crisis quoted 'opioid', not the sentence read as malicious_uses."""

from __future__ import annotations

from linernotes.agents.fields import fused_flags
from linernotes.fusion.decide import Decision
from linernotes.schema import EvidenceSpan, PolicyFlag
from linernotes.tools.policy.pack import load_policy_pack

TEXT = ("Our guest is an addiction researcher who studies how communities respond to the opioid crisis. "
        "She explains how naloxone saves lives.")


def _span(word: str, end: int | None = None) -> EvidenceSpan:
    start = TEXT.index(word)
    end = start + len(word) if end is None else end
    return EvidenceSpan(field="description", start=start, end=end, text=TEXT[start:end])


def test_the_passage_is_quoted_beside_the_lexicons_words() -> None:
    pack = load_policy_pack()
    pol, clause = pack.clause_index()["drugs.reference"]
    word = _span("opioid")
    lexicon = PolicyFlag(policy_id=pol.id, clause_id=clause.id, severity=clause.severity, spans=[word])
    passage = _span("Our guest", TEXT.index("crisis.") + len("crisis."))
    decision = Decision(value="drugs.reference", label="malicious_uses", confidence=0.79, calibrated=False,
                        passage=passage, note="to confirm: policy malicious_uses read in one passage")
    [flag] = fused_flags([lexicon], decision, pack)
    assert flag.source == "lexicon+fusion" and flag.spans == [word, passage]
    assert all(TEXT[s.start:s.end] == s.text for s in flag.spans)
    assert lexicon.spans == [word]  # the lexicon's own flag is not changed in place
    # a short text's decision has no passage: the lexicon's words stay the only quote
    [short] = fused_flags([lexicon], decision.model_copy(update={"passage": None}), pack)
    assert short.spans == [word]


def test_the_passage_keeps_the_flag_within_the_records_cap_on_quotes() -> None:
    """A long profane text fills a clause's quotes with lexicon hits (MAX_HITS_PER_CLAUSE); the
    passage replaces the last of them instead of going over the cap (the CI run of 609d714:
    test_a_long_profane_item_makes_a_small_record_that_says_what_was_left_out failed)."""
    from linernotes.tools.policy.lookup import MAX_HITS_PER_CLAUSE

    pack = load_policy_pack()
    pol, clause = pack.clause_index()["drugs.reference"]
    word = _span("opioid")
    full = PolicyFlag(policy_id=pol.id, clause_id=clause.id, severity=clause.severity,
                      spans=[word] * MAX_HITS_PER_CLAUSE)
    passage = _span("Our guest", TEXT.index("crisis.") + len("crisis."))
    decision = Decision(value="drugs.reference", label="malicious_uses", confidence=0.79, calibrated=False,
                        passage=passage, note="to confirm")
    [flag] = fused_flags([full], decision, pack)
    assert len(flag.spans) == MAX_HITS_PER_CLAUSE and flag.spans[-1] == passage
