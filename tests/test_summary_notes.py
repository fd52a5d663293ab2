"""The run summary's note on a run with 0 LLM calls says why: under --llm never nothing was asked
(QA: it claimed "every field decided from the evidence" while declared signals stayed undecided)."""

from __future__ import annotations

from linernotes.run.runner import RunSummary
from linernotes.schema import ErrorInfo, OutputRecord


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


def _error(item_id: str, line: int, kind: str, message: str) -> OutputRecord:
    return OutputRecord(id=item_id, status="error", error=ErrorInfo(kind=kind, message=message, line=line,
                                                                    source="cat.jsonl"))


def test_each_failed_kind_names_its_items_by_catalog_line_and_id() -> None:
    """QA: 'input.invalid (1): year: year 'soon' is not a number' said neither the line nor the id;
    a kind of several items named none of the others."""
    s = RunSummary(llm_mode="auto")
    s.count(_error("line:2", 2, "input.invalid_json", "invalid JSON: Expecting value at column 27"))
    s.count(_error("bad-year", 3, "input.invalid", "year: year 'soon' is not a number"))
    for n in range(6):
        s.count(_error(f"f{n}", 10 + n, "llm.server_error", "500 internal server error"))
    notes = s.notes()
    assert "input.invalid (1): cat.jsonl:3 id 'bad-year': year: year 'soon' is not a number" in notes
    assert "input.invalid_json (1): cat.jsonl:2 id 'line:2': invalid JSON: Expecting value at column 27" in notes
    assert ("llm.server_error (6): cat.jsonl:10 id 'f0': 500 internal server error; also cat.jsonl:11 id 'f1', "
            "cat.jsonl:12 id 'f2' and 3 more (the output's records name each)") in notes


def test_a_rationale_run_says_why_records_lack_one(tmp_path) -> None:
    """QA session 24: `liner tag --llm never --rationale` wrote no rationale and said nothing, and
    under --llm auto 7 of the example's 8 records had none (only trk-004 reached the LLM)."""
    import asyncio
    import json

    from linernotes.config import TagConfig
    from linernotes.run.runner import RunOptions, run_batch

    catalog = tmp_path / "c.jsonl"
    catalog.write_text(json.dumps({"id": "a", "title": "Night Drive", "description": "driving synthwave"}) + "\n")
    summary = asyncio.run(run_batch(TagConfig(llm_mode="never", rationale=True),
                                    RunOptions(input=catalog, output=tmp_path / "out.jsonl")))
    assert "--rationale: no record has one: only the LLM writes a rationale and --llm never makes no call" \
        in summary.notes()
    assert not any("--rationale" in n for n in RunSummary(ok=1, llm_mode="never").notes())

    auto = RunSummary(ok=8, llm_mode="auto", rationale=True, llm_consulted=2, with_rationale=1, llm_calls=2)
    assert auto.notes() == ["--rationale: 1 of 8 records have a rationale: 6 items made no LLM call (every field "
                            "decided from the evidence; --llm always asks the LLM about every item); the LLM's "
                            "answer for 1 item held none"]
    assert RunSummary(ok=3, llm_mode="always", rationale=True, llm_consulted=3, with_rationale=3,
                      llm_calls=3).notes() == []
