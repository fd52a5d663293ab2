"""``liner review build`` on a run holding one prediction review cannot read queues that item as a
model error and names it (file, id, key); the other items keep their predictions.

Before, the whole build stopped with a traceback at the first such line (exit 1): ``'str' object
has no attribute 'get'`` (``policy_flags``, ``confidence`` or ``review`` as text), ``float()
argument must be ... not 'list'`` (``valence: [1]``), ``int too large to convert to float``, or a
pydantic ValidationError for a run record's prediction that is not an object.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from linernotes.review.store import ReviewStore
from tests.review.conftest import GOLD_ROWS, PREDICTIONS

CLI = [sys.executable, "-m", "linernotes.cli.app", "review", "build"]
BAD = "model-off"  # the item whose prediction is broken; the others stay as the tagger wrote them


def _gold(tmp_path: Path) -> Path:
    path = tmp_path / "gold.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in GOLD_ROWS), encoding="utf-8")
    return path


@pytest.mark.parametrize(("key", "value", "where"), [
    ("policy_flags", "x", "prediction.policy_flags"),
    ("policy_flags", [{"severity": 4, "spans": [{"text": "x"}]}], "prediction.policy_flags.0.spans.0.field"),
    ("confidence", "x", "prediction.confidence"),
    ("review", "x", "prediction.review"),
    ("valence", [1], "prediction.valence"),
    ("valence", 10 ** 400, "prediction.valence"),
    ("explicit", [1], "prediction.explicit"),
], ids=lambda v: repr(v)[:24])
def test_a_tag_line_review_cannot_read_is_a_model_error_named_by_id(tmp_path, key, value, where):
    out = tmp_path / "out.jsonl"
    lines = [{"id": k, "status": "ok", "enrichment": ({**v, key: value} if k == BAD else v), "error": None}
             for k, v in PREDICTIONS.items()]
    out.write_text("".join(json.dumps(x) + "\n" for x in lines), encoding="utf-8")
    store = tmp_path / "review.sqlite"
    r = subprocess.run([*CLI, "-o", str(store), "--run", str(out), "--gold", str(_gold(tmp_path))],
                       capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    assert "Traceback" not in r.stderr
    assert f"liner review: warning: {out}: id {BAD!r}: {where}" in r.stderr, r.stderr
    s = ReviewStore(store)
    bad = s.get(BAD).entry
    assert bad.prediction is None and bad.error["kind"] == "prediction.invalid" and where in bad.error["message"]
    assert any(x.kind == "model_error" for x in bad.reasons)
    hostile = s.get("hostile").entry  # another item keeps what the tagger wrote
    assert hostile.prediction == PREDICTIONS["hostile"]


def test_a_tag_line_whose_status_is_neither_ok_nor_error_is_a_model_error(tmp_path):
    lines = [{"id": k, "status": 5 if k == BAD else "ok", "enrichment": v, "error": None} for k, v in PREDICTIONS.items()]
    out = tmp_path / "out.jsonl"
    out.write_text("".join(json.dumps(x) + "\n" for x in lines), encoding="utf-8")
    store = tmp_path / "review.sqlite"
    r = subprocess.run([*CLI, "-o", str(store), "--run", str(out), "--gold", str(_gold(tmp_path))],
                       capture_output=True, text=True)
    assert r.returncode == 0 and "Traceback" not in r.stderr, r.stderr
    assert f"{out}: id {BAD!r}: status: 'ok' or 'error', not 5" in r.stderr, r.stderr
    assert ReviewStore(store).get(BAD).entry.error["kind"] == "prediction.invalid"


@pytest.mark.parametrize("prediction", ["x", [1, 2], 5], ids=repr)
def test_a_run_record_item_whose_prediction_is_not_an_object(tmp_path, prediction):
    items = [{"id": "a", "inputs": {"description": "fine"}, "gold": {"valence": 0.5, "valence_ratings": [0.5, -0.5]},
              "prediction": prediction, "status": "ok", "error": "boom"},
             {"id": "b", "inputs": {"description": "fine too"}, "gold": {"valence": 0.5},
              "prediction": PREDICTIONS["model-off"], "status": "ok", "error": None}]
    run = tmp_path / "run.json"
    run.write_text(json.dumps({"record_version": "1", "spec": "vader-valence", "gold_fingerprint": "f" * 16,
                               "items": items}), encoding="utf-8")
    store = tmp_path / "review.sqlite"
    r = subprocess.run([*CLI, "-o", str(store), "--run", str(run)], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    assert f"{run}: id 'a': prediction: an object is needed, not {type(prediction).__name__}" in r.stderr
    s = ReviewStore(store)
    assert s.get("a").entry.error["kind"] == "prediction.invalid"
    assert s.get("b").entry.prediction == PREDICTIONS["model-off"]


@pytest.mark.parametrize(("patch", "column"), [
    ({"ratings": ["a", "b"]}, "ratings"),             # ValueError traceback before
    ({"ratings": [[1], [2]]}, "ratings"),             # TypeError
    ({"ratings": [10 ** 400, 1]}, "ratings"),         # OverflowError
    ({"mean": 10 ** 400}, "mean"),
    ({"annotators": {"p": {"valence": "high"}}}, "annotators"),
], ids=lambda v: repr(v)[:24])
def test_a_gold_row_review_cannot_read_is_kept_and_named_not_a_traceback(tmp_path, patch, column):
    """The same kind on the gold side: the row is kept verbatim for export, not queued, and named
    (file:line, id, column); every other row is reviewed as before."""
    rows = [{**GOLD_ROWS[2], **patch}, *GOLD_ROWS[:2], *GOLD_ROWS[3:]]
    gold = tmp_path / "gold.jsonl"
    gold.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    store = tmp_path / "review.sqlite"
    r = subprocess.run([*CLI, "-o", str(store), "--gold", str(gold)], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    assert "Traceback" not in r.stderr
    assert f"liner review: warning: {gold}:1: id {rows[0]['id']!r}: column {column!r}: " in r.stderr, r.stderr
    s = ReviewStore(store)
    queued = {i.id for i in s.list_items()}
    assert rows[0]["id"] not in queued and "not-in-run" in queued  # another disagreeing row is still queued
    assert s.gold_rows()[0] == rows[0]  # kept verbatim: export writes it as it is


@pytest.mark.parametrize(("key", "value"), [("inputs", "abc"), ("inputs", [1, 2]), ("gold", "x"), ("inputs", 5)],
                         ids=lambda v: repr(v)[:16])
def test_a_run_record_item_whose_inputs_or_gold_is_not_an_object_is_exit_2(tmp_path, key, value):
    items = [{"id": "a", "inputs": {"description": "fine"}, "gold": {"valence": 0.5, "valence_ratings": [0.5, -0.5]},
              "prediction": PREDICTIONS["model-off"], "status": "ok", "error": None}]
    items[0][key] = value
    run = tmp_path / "run.json"
    run.write_text(json.dumps({"record_version": "1", "spec": "vader-valence", "gold_fingerprint": "f" * 16,
                               "items": items}), encoding="utf-8")
    r = subprocess.run([*CLI, "-o", str(tmp_path / "review.sqlite"), "--run", str(run)], capture_output=True, text=True)
    assert r.returncode == 2 and "Traceback" not in r.stderr, r.stderr
    assert f"{run}: items[0] (id 'a'): {key} must be an object, not {type(value).__name__}" in r.stderr, r.stderr
