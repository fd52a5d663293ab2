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


def test_one_cached_answer_reads_in_the_singular() -> None:
    """The bundled example's first run on a warm cache said '1 LLM answers came from the cache and 7
    items needed none'."""
    assert RunSummary(ok=8, cache_hits=1, llm_mode="auto").notes()[0].startswith(
        "1 LLM answer came from the cache and 7 items needed none")
    assert RunSummary(ok=2, cache_hits=1, llm_mode="auto").notes()[0].startswith(
        "1 LLM answer came from the cache and 1 item needed none")
    assert RunSummary(ok=5, cache_hits=3, llm_mode="auto").notes()[0].startswith(
        "3 LLM answers came from the cache and 2 items needed none")


def test_one_item_that_succeeded_reads_in_the_singular() -> None:
    notes = RunSummary(ok=1, failed=2, llm_mode="auto").notes()
    assert notes[0].startswith("the 1 item that succeeded needed no LLM call")
