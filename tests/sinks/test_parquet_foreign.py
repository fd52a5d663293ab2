"""A Parquet ``-o`` that holds Parquet no liner run wrote is refused, untouched (QA, session 13):
``liner tag c.jsonl -o users.parquet`` replaced the user's table with the output when the run
ended, exit 0; ``-o folder/`` added part files beside the folder's own .parquet files, so
reading the folder mixed both."""

from __future__ import annotations

import json

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

NEVER = ["--llm", "never", "--no-progress"]


@pytest.fixture
def catalog(tmp_path):
    p = tmp_path / "c.jsonl"
    p.write_text("".join(json.dumps({"id": f"r{i}", "title": f"Song {i}", "description": "calm"}) + "\n"
                         for i in range(2)))
    return p


def test_an_existing_parquet_table_that_is_not_an_output_is_refused(tmp_path, catalog, liner_in_process):
    theirs = tmp_path / "users.parquet"
    pq.write_table(pa.table({"id": ["u1"], "name": ["Ann"]}), theirs)
    before = theirs.read_bytes()
    r = liner_in_process(["tag", catalog, "-o", theirs, *NEVER])
    assert r.returncode == 2, r.stderr
    assert f"{theirs}: exists and is not a liner output (its columns: id, name)" in " ".join(r.stderr.split())
    assert theirs.read_bytes() == before
    assert sorted(x.name for x in tmp_path.iterdir()) == ["c.jsonl", "users.parquet"]


def test_a_file_that_is_not_parquet_is_refused(tmp_path, catalog, liner_in_process):
    notes = tmp_path / "notes.parquet"
    notes.write_text("my notes\n")
    r = liner_in_process(["tag", catalog, "-o", notes, *NEVER])
    assert r.returncode == 2 and "exists and is not a Parquet file" in r.stderr, r.stderr
    assert notes.read_text() == "my notes\n"


def test_a_folder_with_foreign_parquet_files_is_refused(tmp_path, catalog, liner_in_process):
    folder = tmp_path / "lake"
    folder.mkdir()
    pq.write_table(pa.table({"x": [1]}), folder / "mine.parquet")
    r = liner_in_process(["tag", catalog, "-o", folder, *NEVER])
    assert r.returncode == 2, r.stderr
    assert "holds Parquet files no liner tag run wrote (mine.parquet)" in " ".join(r.stderr.split())
    assert [x.name for x in folder.iterdir()] == ["mine.parquet"]


def test_an_output_copied_without_its_journal_is_not_refused(tmp_path, catalog, liner_in_process):
    out = tmp_path / "out.parquet"
    assert liner_in_process(["tag", catalog, "-o", out, *NEVER, "--limit", "1"]).returncode == 0
    (tmp_path / "out.parquet.journal.jsonl").unlink()  # an output copied without its journal
    r = liner_in_process(["tag", catalog, "-o", out, *NEVER])
    assert r.returncode == 0, r.stderr
    assert sorted(pq.read_table(out).column("id").to_pylist()) == ["r0", "r1"]
