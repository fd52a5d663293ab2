"""liner review build --run RUN.json --signals S: a run record's gold is keyed by task name, and a
gold spec's task may be named apart from the signal it scores (task 'feelings', signal mood). Review
read the signal's gold under the signal's name, found none, and queued every item 'to label' with
its gold hidden (QA, session 16). Now the record's tasks map task names to their signals."""

from __future__ import annotations

import json
from pathlib import Path

from linernotes.review.build import build_store
from linernotes.review.store import ReviewStore
from linernotes.signals.spec import load_signals

MOOD = "name: mood\nkind: multilabel\nlabels: [calm, sad]\ninstructions: The moods.\n"


def _record(tmp_path: Path) -> Path:
    def item(i: str, gold: list[str], pred: list[str]) -> dict:
        return {"id": i, "inputs": {"description": f"song {i}"}, "gold": {"feelings": gold}, "status": "ok",
                "error": None, "prediction": {
                    "genres": [], "moods": [], "valence": 0.0, "language": "en",
                    "explicit": {"value": False, "evidence": []}, "policy_flags": [], "confidence": {},
                    "review": {"routed": False, "reasons": []},
                    "signals": {"mood": {"value": pred, "confidence": 0.9, "evidence": {},
                                         "provenance": {"source": "llm"}}}}}
    path = tmp_path / "run.json"
    path.write_text(json.dumps({"spec": "my-gold", "model": "m", "tasks": [
        {"name": "feelings", "kind": "multilabel", "gold_field": "mood", "signal": "mood"}],
        "items": [item("a", ["calm"], ["calm"]), item("b", ["sad"], ["calm"])]}), encoding="utf-8")
    return path


def test_a_tasks_gold_is_read_under_its_signals_name(tmp_path: Path) -> None:
    (tmp_path / "mood.yaml").write_text(MOOD, encoding="utf-8")
    result = build_store(tmp_path / "s.sqlite", run=_record(tmp_path), signals=load_signals([tmp_path / "mood.yaml"]))
    store = ReviewStore(tmp_path / "s.sqlite")
    assert result.by_reason == {"model_disagrees": 1}  # a agrees with its gold; nothing is 'to label'
    assert store.get("b").entry.gold == {"mood": ["sad"]}
