"""The built-in explicit field's gold in JSON booleans (QA, session 16), as e8723d7 fixed for declared
boolean signals: review read gold True as 'True' beside the model's 'true', so every item was queued
'model true vs gold True' (6 of 6, 3 of them agreeing), and export refused a decision into the
boolean column ("column 'explicit' holds boolean False but gold row 1 (id 't00') holds string
'true'"), exit 2."""

from __future__ import annotations

import json
from pathlib import Path

from datasets import load_from_disk

from linernotes.review.build import build_store
from linernotes.review.export import export_gold
from linernotes.review.store import Adjudication, ReviewStore


def _record(item: str, explicit: bool) -> str:
    return json.dumps({"id": item, "status": "ok", "error": None, "enrichment": {
        "genres": [], "moods": [], "valence": 0.0, "language": "en", "explicit": {"value": explicit, "evidence": []},
        "policy_flags": [], "confidence": {"explicit": 0.9}, "review": {"routed": False, "reasons": []}}}) + "\n"


def test_explicit_gold_in_json_booleans_is_compared_and_exported(tmp_path: Path) -> None:
    gold = tmp_path / "gold.jsonl"
    gold.write_text("".join(json.dumps({"id": i, "title": i, "explicit": g}) + "\n"
                            for i, g in [("a", True), ("b", False), ("c", False)]), encoding="utf-8")
    run = tmp_path / "out.jsonl"
    run.write_text(_record("a", True) + _record("b", True) + _record("c", False), encoding="utf-8")
    build_store(tmp_path / "s.sqlite", run=run, gold=gold)
    store = ReviewStore(tmp_path / "s.sqlite")
    assert [i.id for i in store.list_items()] == ["b"]  # a and c agree with their gold
    store.adjudicate("b", Adjudication(annotator="ann", action="accept_model", version=store.get("b").version))
    got = load_from_disk(export_gold(store, tmp_path / "out").path)["explicit"]
    assert got == [True, True, False] and all(isinstance(v, bool) for v in got)
