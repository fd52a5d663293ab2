"""A rerun after bad rows were deleted from the catalog leaves no record of them (QA, session
13): a catalog whose last line was not JSON got an ``input.invalid_json`` record keyed
``line:5``; the user deleted the line and reran: '4 input rows, 0 failed', exit 0, and the output
still held 5 records, the stale error among them (a row removed under its id alike). Error
records whose row the rerun does not meet are removed when the whole catalog was read; under
--limit they stay (the rest of the catalog was not read), and ok records always stay."""

from __future__ import annotations

import json

import pytest

NEVER = ["--llm", "never", "--no-progress"]


def _rows(n: int) -> list[str]:
    return [json.dumps({"id": f"r{i}", "title": f"Song {i}", "description": "calm piano"}) for i in range(n)]


@pytest.mark.parametrize("name", ["out.jsonl", "out.parquet"])
def test_deleted_bad_rows_leave_no_record(tmp_path, liner_in_process, helpers, name):
    catalog, out = tmp_path / "c.jsonl", tmp_path / name
    bad_field = json.dumps({"id": "w1", "title": ["a", "list"]})
    catalog.write_text("\n".join([*_rows(4), bad_field, "garbage"]) + "\n")
    assert liner_in_process(["tag", catalog, "-o", out, *NEVER]).returncode == 1
    assert sorted(r["id"] for r in helpers.read_output(out)) == ["line:6", "r0", "r1", "r2", "r3", "w1"]

    catalog.write_text("\n".join(_rows(4)) + "\n")  # the user deletes both bad rows
    r = liner_in_process(["tag", catalog, "-o", out, *NEVER])
    assert r.returncode == 0, r.stderr
    assert sorted(r["id"] for r in helpers.read_output(out)) == ["r0", "r1", "r2", "r3"]
    assert "2 error record(s) of rows no longer in the catalog removed" in " ".join(r.stderr.split())


def test_under_limit_error_records_past_it_stay_and_ok_records_of_removed_rows_stay(tmp_path, liner_in_process,
                                                                                     helpers):
    catalog, out = tmp_path / "c.jsonl", tmp_path / "out.jsonl"
    catalog.write_text("\n".join([*_rows(3), "garbage"]) + "\n")
    assert liner_in_process(["tag", catalog, "-o", out, *NEVER]).returncode == 1
    assert liner_in_process(["tag", catalog, "-o", out, *NEVER, "--limit", "2"]).returncode == 0
    assert "line:4" in {r["id"] for r in helpers.read_output(out)}, "rows past --limit were not read: their records stay"
    catalog.write_text("\n".join(_rows(2)) + "\n")  # r2 (ok) and the garbage line removed
    assert liner_in_process(["tag", catalog, "-o", out, *NEVER]).returncode == 0
    assert sorted(r["id"] for r in helpers.read_output(out)) == ["r0", "r1", "r2"]
