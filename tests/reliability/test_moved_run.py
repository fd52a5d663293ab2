"""An eval's run folder (``RUN.json.d``, with its exemplar index) moved elsewhere still resumes:
paths inside the run folder are written relative to it in resume identities and digests. A
resume with a changed option is refused naming each field, its value then and now, and what to do."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest

from linernotes.run.prepare import RUN_FOLDER, ResumeMismatch, check_resume, manifest_path

EVAL = ["eval", "ci-slice", "--llm", "never", "--no-progress", "--resamples", "0"]


def _predictions(folder: Path) -> list[dict]:
    return [json.loads(x) for x in (folder / "predictions.jsonl").read_text().splitlines() if x.strip()]


@pytest.mark.slow
def test_a_moved_eval_folder_resumes_and_a_changed_option_is_named(tmp_path, liner_in_process):
    first = tmp_path / "here"
    r = liner_in_process([*EVAL, "-o", first / "RUN.json"])
    assert r.returncode == 0, r.stderr
    done = _predictions(first / "RUN.json.d")
    assert len(done) == 20  # 12 slice items, 8 clean texts
    manifest = json.loads(manifest_path(first / "RUN.json.d" / "predictions.jsonl").read_text())
    assert manifest["resume_identity"]["exemplars"] == f"{RUN_FOLDER}/exemplars"
    # a run killed after 8 records: its first 8 lines (what a SIGKILL leaves, the cut line repaired)
    (first / "RUN.json.d" / "predictions.jsonl").write_text("".join(json.dumps(x) + "\n" for x in done[:8]))

    there = tmp_path / "elsewhere" / "deeper"
    there.mkdir(parents=True)
    shutil.move(first / "RUN.json", there / "RUN.json")
    shutil.move(first / "RUN.json.d", there / "RUN.json.d")
    r = liner_in_process([*EVAL, "-o", "RUN.json"], cwd=there)  # another folder, a relative -o
    assert r.returncode == 0, r.stderr
    records = _predictions(there / "RUN.json.d")
    assert sorted(x["id"] for x in records) == sorted(x["id"] for x in done), "one record per id"
    summary = json.loads(manifest_path(there / "RUN.json.d" / "predictions.jsonl").read_text())["summary"]
    assert (summary["skipped"], summary["ok"]) == (8, 12), "only the 12 missing items were tagged"
    assert not first.joinpath("RUN.json.d").exists(), "nothing was written at the old place"

    r = liner_in_process([*EVAL, "-o", there / "RUN.json", "--rationale", "--prompt", "extract.v1"])
    assert r.returncode == 2
    err = " ".join(r.stderr.split())
    assert "rationale: false (then) -> true (now)" in err, err
    assert "prompt: \"extract.v2\" (then) -> \"extract.v1\" (now)" in err, err
    assert "--fresh to start over" in err
    assert _predictions(there / "RUN.json.d") == records, "a refused resume writes nothing"


def test_an_identity_written_before_relative_paths_still_matches_after_a_move(tmp_path):
    """A manifest from before this change holds the exemplar folder as an absolute path at the
    old place (and no ``run_folder``): it is read relative to its own ``output``'s folder."""
    old_dir, new_dir = tmp_path / "a" / "RUN.json.d", tmp_path / "b" / "RUN.json.d"
    new_dir.mkdir(parents=True)
    out = new_dir / "predictions.jsonl"
    manifest_path(out).write_text(json.dumps({
        "output": str(old_dir / "predictions.jsonl"),
        "resume_identity": {"exemplars": str(old_dir / "exemplars"), "llm_mode": "never",
                            "audio_base": "/data/gold"}}))
    now = {"exemplars": f"{RUN_FOLDER}/exemplars", "llm_mode": "never", "audio_base": "/data/gold"}
    check_resume(out, now, has_records=True)  # no error
    with pytest.raises(ResumeMismatch, match=r"audio_base: \"/data/gold\" \(then\) -> \"/elsewhere\" \(now\)"):
        check_resume(out, {**now, "audio_base": "/elsewhere"}, has_records=True)  # outside the folder: compared as is
    assert os.path.isabs(json.loads(manifest_path(out).read_text())["resume_identity"]["exemplars"])
