"""The run summary's note on a run with 0 LLM calls says why: under --llm never nothing was asked
(QA: it claimed "every field decided from the evidence" while declared signals stayed undecided)."""

from __future__ import annotations

from linernotes.run.runner import RunSummary


def test_llm_never_does_not_claim_the_evidence_decided_everything() -> None:
    notes = RunSummary(ok=4, llm_mode="never").notes()
    assert notes == ["--llm never: 0 LLM calls made (values from the evidence alone)"]


def test_auto_with_no_call_still_says_the_evidence_decided() -> None:
    assert "every field decided from the evidence" in RunSummary(ok=4, llm_mode="auto").notes()[0]
