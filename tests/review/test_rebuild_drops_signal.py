"""A declared signal removed from the spec after items were labelled (QA session 25): the store,
rebuilt with the shorter spec, keeps the removed signal's decisions, and export refused them (exit
2) with 'relabel those items in the review UI', which cannot clear them: the item page has no
control for a field the store no longer has, and saving the item again keeps its old value. A team
that dropped a signal could never export its other labels again. Now the refusal names the way out,
``liner review export --leave-out-removed``: the gold is written without the removed field's
values, provenance.json lists them, and the store keeps them (a rebuild with the signal brings
them back, as before)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from datasets import load_from_disk

from linernotes.review.build import build_store
from linernotes.review.export import ExportError, export_gold
from linernotes.review.store import Adjudication, ReviewStore
from linernotes.signals.spec import load_signals

MOOD = "- name: mood\n  kind: single_label\n  labels: [happy, sad]\n  instructions: The mood.\n"
THEMES = "- name: themes\n  kind: multilabel\n  labels: [love, war]\n  instructions: The themes.\n"


def _setup(tmp_path: Path) -> tuple[Path, Path, Path, Path]:
    both, fewer = tmp_path / "both.yaml", tmp_path / "fewer.yaml"
    both.write_text(MOOD + THEMES, encoding="utf-8")
    fewer.write_text(MOOD, encoding="utf-8")
    catalog = tmp_path / "catalog.jsonl"
    catalog.write_text("".join(json.dumps({"id": i, "type": "track", "title": f"song {i}"}) + "\n"
                               for i in ("a", "b", "c")), encoding="utf-8")
    store = tmp_path / "s.sqlite"
    build_store(store, gold=catalog, signals=load_signals([both]))
    s = ReviewStore(store)
    s.adjudicate("a", Adjudication(annotator="ann", action="edit", version=0,
                                   values={"mood": "sad", "themes": ["war"]}))
    s.adjudicate("b", Adjudication(annotator="ann", action="edit", version=0,
                                   values={"mood": "happy", "themes": ["love"]}))
    build_store(store, gold=catalog, signals=load_signals([fewer]))  # the team dropped 'themes'
    return store, catalog, both, fewer


def test_relabelling_cannot_clear_a_removed_signal_and_the_refusal_names_the_way_out(tmp_path: Path) -> None:
    store_path, *_ = _setup(tmp_path)
    store = ReviewStore(store_path)
    state = store.get("a")  # what the item page's save sends: the fields it shows, mood alone
    store.adjudicate("a", Adjudication(annotator="ann", action="edit", version=state.version,
                                       values={"mood": "happy"}))
    with pytest.raises(ExportError) as err:
        export_gold(store, tmp_path / "gold")
    msg = str(err.value)
    assert "'a': themes ['war']: the store has no field 'themes' any more" in msg
    assert "the values of 'themes' (no longer a field of the store) cannot be relabelled" in msg
    assert "liner review export --leave-out-removed" in msg
    assert not (tmp_path / "gold" / "v1").exists()


def test_export_leaves_out_a_removed_signal_on_request_and_the_store_keeps_it(liner_in_process,
                                                                              tmp_path: Path) -> None:
    store_path, catalog, both, _ = _setup(tmp_path)
    gold = tmp_path / "gold"
    r = liner_in_process(["review", "export", "--store", store_path, "-o", gold])
    assert r.returncode == 2 and "--leave-out-removed" in r.stderr, r.stdout + r.stderr
    r = liner_in_process(["review", "export", "--store", store_path, "-o", gold, "--leave-out-removed"])
    assert r.returncode == 0, r.stdout + r.stderr
    assert "2 value(s) of 'themes'" in r.stdout
    rows = {row["id"]: row for row in load_from_disk(str(gold / "v1"))}
    assert {i: rows[i]["mood"] for i in rows} == {"a": "sad", "b": "happy", "c": None}
    assert all("themes" not in row for row in rows.values())
    prov = json.loads((gold / "v1" / "provenance.json").read_text(encoding="utf-8"))
    assert {k: sorted(v) for k, v in prov["left_out_removed"].items()} == {"themes": ["a", "b"]}
    assert {c["field"] for c in prov["changes"]} == {"mood"}
    # nothing was lost: rebuilt with the signal again, the themes export as they were decided
    build_store(store_path, gold=catalog, signals=load_signals([both]))
    again = export_gold(ReviewStore(store_path), gold)
    rows = {row["id"]: row for row in load_from_disk(again.path)}
    assert (rows["a"]["themes"], rows["b"]["themes"]) == (["war"], ["love"])
    assert json.loads((Path(again.path) / "provenance.json").read_text(encoding="utf-8"))["left_out_removed"] == {}
