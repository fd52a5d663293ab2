"""A resumed ``liner eval`` never scores a prediction made from other inputs than the record shows.

The runner resumes by id, so after a gold row's text was edited (or the spec's ``inputs``
changed, or another spec shared the ``-o``) the rerun skipped the item and the record paired
the new text with the old text's prediction, exit 0. Now such items are tagged again
(``evals.input_digests``), and the resumed record equals a fresh run's. Real tools and fusion,
``--llm never``."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.conftest import run_liner_in_process
from tests.evals.vader_slice import vader_spec

EDITED = "I absolutely love this, wonderful, fantastic, the best thing ever!"


def _eval(spec: Path, out: Path, log: pytest.LogCaptureFixture) -> dict:
    """The record's items by id, and what the run logged (``stderr``)."""
    log.clear()
    r = run_liner_in_process(["eval", spec, "-o", out, "--llm", "never", "--resamples", "0", "--no-progress"])
    assert r.returncode == 0, r.stderr
    return {"stderr": log.text, "items": {it["id"]: it for it in json.loads(out.read_text())["items"]}}


def _edit_first_row(data: Path) -> str:
    rows = [json.loads(line) for line in data.read_text(encoding="utf-8").splitlines()]
    rows[0]["text"] = EDITED
    data.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return rows[0]["id"]


def _tagged_as_fresh(resumed: dict, fresh: dict, item: str) -> None:
    got, want = resumed["items"][item], fresh["items"][item]
    assert got["inputs"] == want["inputs"]
    assert got["prediction"]["valence"] == want["prediction"]["valence"]
    assert got["prediction"]["evidence"] == want["prediction"]["evidence"]


def test_an_edited_gold_row_is_tagged_again_on_resume(tmp_path: Path, shared_data: Path,
        caplog: pytest.LogCaptureFixture) -> None:
    spec = vader_spec(tmp_path, shared_data, 10)
    before = _eval(spec, tmp_path / "run.json", caplog)
    item = _edit_first_row(tmp_path / "vader.jsonl")
    resumed = _eval(spec, tmp_path / "run.json", caplog)
    fresh = _eval(spec, tmp_path / "fresh.json", caplog)
    assert resumed["items"][item]["inputs"] == {"description": EDITED}
    assert resumed["items"][item]["prediction"]["evidence"] != before["items"][item]["prediction"]["evidence"]
    _tagged_as_fresh(resumed, fresh, item)
    assert f"the inputs of 1 item(s) changed since they were tagged (e.g. '{item}'); tagging them again" \
        in resumed["stderr"]
    assert "9 of 10 items were already tagged there, 1 tagged now" in resumed["stderr"]
    again = _eval(spec, tmp_path / "run.json", caplog)  # nothing changed since: a plain resume
    assert "tagging them again" not in again["stderr"]
    assert again["items"] == resumed["items"]


def test_another_specs_inputs_on_the_same_output_are_tagged_again(tmp_path: Path, shared_data: Path,
        caplog: pytest.LogCaptureFixture) -> None:
    spec = vader_spec(tmp_path, shared_data, 6)
    _eval(spec, tmp_path / "run.json", caplog)
    other = tmp_path / "title.yaml"  # the same rows, the text given as the title
    other.write_text(spec.read_text().replace("{description: text}", "{title: text}"), encoding="utf-8")
    resumed = _eval(other, tmp_path / "run.json", caplog)
    fresh = _eval(other, tmp_path / "fresh.json", caplog)
    assert "the inputs of 6 item(s) changed" in resumed["stderr"]
    for item in fresh["items"]:
        _tagged_as_fresh(resumed, fresh, item)


def test_a_run_folder_from_before_the_digests_is_checked_against_its_inputs_file(
        tmp_path: Path, shared_data: Path, caplog: pytest.LogCaptureFixture) -> None:
    spec = vader_spec(tmp_path, shared_data, 6)
    _eval(spec, tmp_path / "run.json", caplog)
    (tmp_path / "run.json.d" / "inputs.digests.json").unlink(missing_ok=True)
    item = _edit_first_row(tmp_path / "vader.jsonl")
    resumed = _eval(spec, tmp_path / "run.json", caplog)
    fresh = _eval(spec, tmp_path / "fresh.json", caplog)
    assert "the inputs of 1 item(s) changed" in resumed["stderr"]
    _tagged_as_fresh(resumed, fresh, item)
