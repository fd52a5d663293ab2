"""A rerun into an existing output on another catalog is refused (QA, session 13): it was
accepted with exit 0, skipped every row whose id the first catalog had answered (keeping that
catalog's records for rows whose text had changed), left the first catalog's other records in
the output and rewrote the manifest's ``input`` to the new file. The same catalog path with rows
added resumes, as does a run folder moved with its catalog, and an output whose manifest predates
the check."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from linernotes.run.prepare import check_resume, manifest_path

NEVER = ["--llm", "never", "--no-progress"]


def _rows(ids: range, text: str) -> list[dict]:
    return [{"id": f"r{i}", "type": "track", "title": f"Song {i}", "description": text} for i in ids]


def _ids(out: Path, helpers) -> list[str]:
    return sorted(r["id"] for r in helpers.read_output(out))


def test_a_rerun_on_another_catalog_is_refused_naming_both_files(tmp_path, liner_in_process, helpers):
    first = helpers.write_jsonl(tmp_path / "monday.jsonl", _rows(range(3), "calm ambient piano"))
    other = helpers.write_jsonl(tmp_path / "tuesday.jsonl", _rows(range(1, 3), "loud punk rock"))
    out = tmp_path / "out" / "tagged.jsonl"
    assert liner_in_process(["tag", first, "-o", out, *NEVER]).returncode == 0
    before, manifest = out.read_bytes(), manifest_path(out).read_text()

    r = liner_in_process(["tag", other, "-o", out, *NEVER])
    assert r.returncode == 2, r.stderr
    err = " ".join(r.stderr.split())
    assert "Traceback" not in err
    assert "monday.jsonl\" (then) -> " in err and "tuesday.jsonl\" (now)" in err, err
    assert "another -o" in err
    assert out.read_bytes() == before and manifest_path(out).read_text() == manifest, "a refused rerun writes nothing"


def test_the_same_catalog_with_rows_added_resumes(tmp_path, liner_in_process, helpers):
    catalog = helpers.write_jsonl(tmp_path / "c.jsonl", _rows(range(2), "calm ambient piano"))
    out = tmp_path / "out.jsonl"
    assert liner_in_process(["tag", catalog, "-o", out, *NEVER]).returncode == 0
    helpers.write_jsonl(catalog, _rows(range(4), "calm ambient piano"))
    # the same file named another way (relative, from its folder) is the same catalog
    r = liner_in_process(["tag", "c.jsonl", "-o", out, *NEVER], cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    assert _ids(out, helpers) == ["r0", "r1", "r2", "r3"]
    assert json.loads(manifest_path(out).read_text())["summary"]["skipped"] == 2


def test_a_folder_moved_with_its_catalog_resumes(tmp_path, liner_in_process, helpers):
    here = tmp_path / "here"
    here.mkdir()
    catalog = helpers.write_jsonl(here / "c.jsonl", _rows(range(3), "calm ambient piano"))
    assert liner_in_process(["tag", catalog, "-o", here / "out.jsonl", *NEVER, "--limit", "1"]).returncode == 0
    there = tmp_path / "there"
    shutil.move(here, there)
    r = liner_in_process(["tag", there / "c.jsonl", "-o", there / "out.jsonl", *NEVER])
    assert r.returncode == 0, r.stderr
    assert _ids(there / "out.jsonl", helpers) == ["r0", "r1", "r2"]


def test_an_identity_from_before_the_input_was_recorded_is_not_compared_on_it(tmp_path):
    out = tmp_path / "out.jsonl"
    manifest_path(out).write_text(json.dumps({"output": str(out), "resume_identity": {"llm_mode": "never"}}))
    check_resume(out, {"llm_mode": "never", "input": str(tmp_path / "c.jsonl")}, has_records=True)  # no error
