"""Output records read back (``liner export``, ``liner monitor``) keep the id rule every other
reader applies (``schema.id_character_reason``): a hand-written record whose id holds ESC, a C1
control (U+0085), a newline or a line separator is named by file, line and reason and left out;
the rest of the file is still read. Review session 25 (leftover of ef113bd): such a record was
exported and monitored."""

from __future__ import annotations

import re

import pyarrow.parquet as pq
import pytest

from linernotes.monitor.load import load_output
from linernotes.schema import OutputRecord
from linernotes.sinks.export import export_parquet
from linernotes.sinks.table import to_table
from linernotes.testing.stub_enricher import sample_enrichment

BAD = {"esc\x1bred": "U+001B", "nel\x85id": "U+0085", "two\nlines": "U+000A", "ls\u2028id": "U+2028"}
# ids every reader takes: spaces at either end, a zero-width space and a bidi control (Cf) are
# kept as written, and an error record's line:N key
GOOD = [" spaced ", "zw\u200bsp", "rtl\u202eid", "line:4", "ok-1"]


def _line(rid: str) -> str:
    """An ok record's JSON line under ``rid``, written without the model's checks (as a hand-written
    or another program's line would be)."""
    return OutputRecord.model_construct(id=rid, status="ok", enrichment=sample_enrichment(),
                                        error=None).model_dump_json()


@pytest.fixture()
def mixed(tmp_path):
    """A JSONL output: the GOOD ids, then each BAD one (lines len(GOOD)+1 ...)."""
    src = tmp_path / "run.jsonl"
    src.write_text("".join(_line(r) + "\n" for r in [*GOOD, *BAD]), encoding="utf-8")
    return src


@pytest.mark.parametrize("rid", BAD)
def test_the_record_model_refuses_an_id_that_breaks_the_line(rid):
    with pytest.raises(ValueError, match=f"id contains .* {re.escape(BAD[rid])}"):
        OutputRecord.model_validate_json(_line(rid))


@pytest.mark.parametrize("rid", GOOD)
def test_the_record_model_keeps_ids_every_reader_keeps(rid):
    assert OutputRecord.model_validate_json(_line(rid)).id == rid


def test_export_names_each_bad_id_and_converts_the_rest(mixed, tmp_path):
    res = export_parquet(mixed, tmp_path / "o.parquet")
    assert pq.read_table(tmp_path / "o.parquet").column("id").to_pylist() == GOOD
    got = {p.line: p.reason for p in res.problems}
    for k, code in enumerate(BAD.values(), start=len(GOOD) + 1):
        assert got[k].startswith("not an output record: id: id contains") and code in got[k], got
        assert "Value error" not in got[k]  # pydantic's wrapper of the validator's own reason
    assert len(got) == len(BAD)


def test_monitor_names_each_bad_id_in_a_log_and_reads_the_rest(mixed):
    loaded = load_output(mixed)
    assert loaded.table.column("id").to_pylist() == GOOD
    got = {(p.file, p.line): p.reason for p in loaded.problems}
    for k, code in enumerate(BAD.values(), start=len(GOOD) + 1):
        assert code in got[(str(mixed), k)] and "Value error" not in got[(str(mixed), k)]
    assert len(got) == len(BAD)


def test_monitor_names_each_bad_id_in_a_parquet_output_by_row(tmp_path):
    records = [OutputRecord.model_construct(id=r, status="ok", enrichment=sample_enrichment(), error=None)
               .model_dump(mode="json") for r in ["a", "esc\x1bred", "b", "nel\x85id"]]
    path = tmp_path / "run.parquet"
    pq.write_table(to_table(records), path)
    loaded = load_output(path)
    assert loaded.table.column("id").to_pylist() == ["a", "b"]
    assert [(p.file, p.line) for p in loaded.problems] == [(str(path), 2), (str(path), 4)]
    assert "U+001B" in loaded.problems[0].reason and "U+0085" in loaded.problems[1].reason
