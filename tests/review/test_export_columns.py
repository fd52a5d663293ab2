"""Export keeps every column of every gold row: ``Dataset.from_list`` takes its columns from the
first row only, so a column first seen in a later row (an episode's transcript after a track, a
text signal labelled only on episodes) was dropped silently, the label with it."""

from __future__ import annotations

import json
from pathlib import Path

from datasets import load_from_disk

from linernotes.review.build import build_store
from linernotes.review.export import export_gold
from linernotes.review.store import Adjudication, ReviewStore
from linernotes.signals.spec import parse_signals

SPEC = """\
- name: summary
  kind: text
  applies_to: [episode]
  instructions: One sentence.
- name: era
  kind: single_label
  labels: [old, new]
  instructions: old before 2000
"""
ITEMS = [
    {"id": "t1", "type": "track", "title": "Song"},
    {"id": "e1", "type": "episode", "title": "Bahn", "transcript": "Im Jahr 1835 fuhr die erste Eisenbahn."},
]


def test_export_keeps_columns_and_labels_first_seen_after_row_one(tmp_path: Path) -> None:
    catalog = tmp_path / "catalog.jsonl"
    catalog.write_text("".join(json.dumps(r) + "\n" for r in ITEMS), encoding="utf-8")
    specs = parse_signals(SPEC, str(tmp_path / "s.yaml"))
    build_store(tmp_path / "s.sqlite", gold=catalog, signals=specs)
    store = ReviewStore(tmp_path / "s.sqlite")
    store.adjudicate("t1", Adjudication(annotator="ann", action="edit", version=0, values={"era": "new"}))
    store.adjudicate("e1", Adjudication(annotator="ann", action="edit", version=0,
                                        values={"era": "old", "summary": "Die erste Eisenbahn."}))
    rows = {r["id"]: r for r in load_from_disk(export_gold(store, tmp_path / "gold").path)}
    assert rows["e1"]["summary"] == "Die erste Eisenbahn."
    assert rows["e1"]["transcript"] == "Im Jahr 1835 fuhr die erste Eisenbahn."
    assert rows["t1"]["summary"] is None and rows["t1"]["era"] == "new"
