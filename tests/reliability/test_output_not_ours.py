"""``-o`` naming a file that is not an output is refused, the file untouched (QA, session 13).

``liner tag catalog.jsonl -o catalog.jsonl`` (or ``-o`` any other JSONL file) read its rows as
records with no status, 'retried' them and compacted the file: the rows whose ids the run tagged
were replaced by output records, exit 0 ('3 earlier line(s) replaced'); a Parquet catalog given
as its own -o was replaced by the output table when the run ended. An output with a line
that is not JSON in its middle (an edit, a bad copy) was truncated there on resume, every record
after it lost; a kill cuts only the last line, which is still repaired."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from linernotes.run.prepare import manifest_path
from linernotes.store.records import OutputError, scan_state

NEVER = ["--llm", "never", "--no-progress"]


def _catalog(path: Path, n: int = 4) -> Path:
    path.write_text("".join(json.dumps({"id": f"r{i}", "title": f"Song {i}", "description": "calm piano"}) + "\n"
                            for i in range(n)))
    return path


@pytest.mark.parametrize("target", ["the catalog", "another jsonl"])
def test_an_output_path_holding_rows_that_are_not_records_is_refused(tmp_path, liner_in_process, target):
    catalog = _catalog(tmp_path / "c.jsonl")
    out = catalog if target == "the catalog" else _catalog(tmp_path / "other.jsonl", 6)
    before = out.read_bytes()
    r = liner_in_process(["tag", catalog, "-o", out, *NEVER, "--limit", "2"])
    assert r.returncode == 2, r.stderr
    said = " ".join(r.stderr.split())
    expected = f"{out}: is the catalog being read" if out == catalog else f"{out}:1: not a liner output record"
    assert expected in said and "write to another -o" in said, said
    assert "Traceback" not in said
    assert out.read_bytes() == before, "not a byte of the file changed"
    assert not manifest_path(out).exists()


def test_a_bad_line_inside_an_output_is_named_not_truncated_away(tmp_path, liner_in_process):
    catalog = _catalog(tmp_path / "c.jsonl")
    out = tmp_path / "out.jsonl"
    assert liner_in_process(["tag", catalog, "-o", out, *NEVER, "--limit", "3"]).returncode == 0
    lines = out.read_text().splitlines(keepends=True)
    out.write_text(lines[0] + "garbage from an editor\n" + "".join(lines[1:]))
    before = out.read_bytes()
    r = liner_in_process(["tag", catalog, "-o", out, *NEVER])
    assert r.returncode == 2, r.stderr
    assert f"{out}:2: not JSON, and lines follow it" in " ".join(r.stderr.split()), r.stderr
    assert out.read_bytes() == before


def test_only_a_last_line_is_repaired(tmp_path):
    rec = json.dumps({"id": "a", "status": "ok", "enrichment": None, "error": None}) + "\n"
    out = tmp_path / "o.jsonl"
    out.write_text(rec + "not json at all\n")  # the last line, whole but broken: repaired as before
    assert scan_state(out).done == {"a"} and out.read_text() == rec
    out.write_text(rec + '{"id": "b", "sta\n' + rec)
    with pytest.raises(OutputError, match=r"o\.jsonl:2: not JSON, and lines follow it"):
        scan_state(out)
    assert out.read_text().count("\n") == 3


@pytest.mark.parametrize("runner", ["local", "beam"])
def test_a_parquet_catalog_given_as_its_own_output_is_refused(tmp_path, liner_in_process, runner):
    import pyarrow as pa
    import pyarrow.parquet as pq

    catalog = tmp_path / "c.parquet"
    pq.write_table(pa.table({"id": ["a", "b"], "title": ["x", "y"], "description": ["calm", "dark"]}), catalog)
    before = catalog.read_bytes()
    # the same file by another name: a relative path from its folder
    r = liner_in_process(["tag", catalog, "-o", "./c.parquet", *NEVER, "--runner", runner], cwd=tmp_path)
    assert r.returncode == 2, r.stderr
    assert "is the catalog being read" in " ".join(r.stderr.split()), r.stderr
    assert catalog.read_bytes() == before
    assert sorted(x.name for x in tmp_path.iterdir()) == ["c.parquet"], "nothing written beside it"


@pytest.mark.parametrize("text", [
    "my notes, no newline at the end",          # truncated to nothing, then overwritten with records
    '{"name": "config", "x": 1}',               # a one-line JSON file as editors save it
    '{"id": 5, "title": "a row, not a record"}',  # a record line never has a space after '{"id":'
    "hello\n",                                  # one whole line, not JSON
    "SQLite format 3\x00\x10\x00\n\x01\x02 binary\n",  # -o review.sqlite: was told to 'fix or remove that line'
])
def test_a_file_that_never_held_a_record_is_refused_untouched(tmp_path, text):
    out = tmp_path / "o.jsonl"
    out.write_bytes(text.encode("latin-1"))
    with pytest.raises(OutputError, match=r"not a liner output \(line 1 is .*write to another -o"):
        scan_state(out)
    assert out.read_bytes() == text.encode("latin-1")


@pytest.mark.parametrize("cut", ['{', '{"i', '{"id":"a","sta'])
def test_a_first_record_cut_by_a_kill_is_still_repaired(tmp_path, cut):
    out = tmp_path / "o.jsonl"
    out.write_text(cut)
    assert scan_state(out).done == set() and out.read_text() == ""
