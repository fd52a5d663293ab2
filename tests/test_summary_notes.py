"""The run summary's note on a run with 0 LLM calls says why: under --llm never nothing was asked
(QA: it claimed "every field decided from the evidence" while declared signals stayed undecided)."""

from __future__ import annotations

from linernotes.run.runner import RunSummary


def test_llm_never_does_not_claim_the_evidence_decided_everything() -> None:
    notes = RunSummary(ok=4, llm_mode="never").notes()
    assert notes == ["--llm never: 0 LLM calls made (values from the evidence alone)"]


def test_auto_with_no_call_still_says_the_evidence_decided() -> None:
    assert "every field decided from the evidence" in RunSummary(ok=4, llm_mode="auto").notes()[0]


def test_a_failed_item_is_not_counted_among_those_the_evidence_decided() -> None:
    """QA: with no API key, an item that needed the LLM failed (llm.config) while the summary said
    "no item needed the LLM (every field decided from the evidence)"."""
    notes = RunSummary(ok=7, failed=1, llm_mode="auto", errors_by_kind={"llm.config": 1},
                       error_examples={"llm.config": "Missing credentials"}).notes()
    assert notes[0] == ("the 7 items that succeeded needed no LLM call (every field decided from the evidence); "
                        "1 failed (below): 0 LLM calls made")
    assert not any("no item needed" in n for n in notes)
    assert notes[1].startswith("llm.config (1): Missing credentials")
