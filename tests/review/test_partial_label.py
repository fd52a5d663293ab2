"""An edit that labels only some of an item's declared signals (found by QA, session 13): the
annotator picked a mood and left the energy slider unmoved (a slider is sent only once moved), the
item was marked decided, counted done in the progress, left the open queue, and export wrote it
without energy. Now an item stays open while a signal that always has an answer (slider, yes/no,
one label) has neither gold nor a value; a multi-select or a text may rightly stay empty."""

from __future__ import annotations

import json
from pathlib import Path

from linernotes.review.build import build_store
from linernotes.review.store import Adjudication, ReviewStore
from linernotes.signals.spec import load_signals

SPEC = """\
- name: mood_tags
  kind: multilabel
  labels: [happy, sad]
  instructions: The moods.
- name: energy
  kind: scalar
  range: [0, 10]
  instructions: How energetic.
- name: hook
  kind: text
  instructions: The catchiest phrase.
"""


def _store(tmp_path: Path) -> ReviewStore:
    (tmp_path / "s.yaml").write_text(SPEC, encoding="utf-8")
    catalog = tmp_path / "catalog.jsonl"
    catalog.write_text(json.dumps({"id": "a", "type": "track", "title": "Night Drive"}) + "\n", encoding="utf-8")
    build_store(tmp_path / "s.sqlite", gold=catalog, signals=load_signals([tmp_path / "s.yaml"]))
    return ReviewStore(tmp_path / "s.sqlite")


def _edit(store: ReviewStore, values: dict[str, object]) -> str:
    return store.adjudicate("a", Adjudication(annotator="ann", action="edit", version=store.get("a").version,
                                              values=values)).status


def test_an_item_with_an_unmoved_slider_stays_open_until_it_is_set(tmp_path: Path) -> None:
    store = _store(tmp_path)
    assert _edit(store, {"mood_tags": ["happy"]}) == "open"
    assert store.next_open() == "a" and store.progress("ann")["complete"] == 0
    assert _edit(store, {"energy": 8}) == "adjudicated"  # the text signal may stay empty
    assert store.get("a").decision == {"mood_tags": ["happy"], "energy": 8.0}
