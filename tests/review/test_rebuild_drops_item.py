"""A store rebuilt from a gold set without an item that was already decided (QA, session 16): export
wrote no row for it yet listed it under changed_items ('wrote gold/v1: 22 rows, 20 changed'), so the
decision was lost without a word. Now build names it and export refuses (exit 2) until the store
is built with a gold set holding the item again, as 63bd977 does for a field the store dropped."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from datasets import load_from_disk

from linernotes.review.build import build_store
from linernotes.review.export import ExportError, export_gold
from linernotes.review.store import Adjudication, ReviewStore
from linernotes.signals.spec import load_signals


def test_a_decided_item_missing_from_the_rebuilt_gold_set_is_named(tmp_path: Path) -> None:
    (tmp_path / "rude.yaml").write_text("name: rude\nkind: boolean\ninstructions: Is it rude?\n", encoding="utf-8")
    specs = load_signals([tmp_path / "rude.yaml"])
    full, less = tmp_path / "full.jsonl", tmp_path / "less.jsonl"
    full.write_text("".join(json.dumps({"id": i, "type": "track", "title": i}) + "\n" for i in "ab"), encoding="utf-8")
    less.write_text(json.dumps({"id": "b", "type": "track", "title": "b"}) + "\n", encoding="utf-8")
    build_store(tmp_path / "s.sqlite", gold=full, signals=specs)
    store = ReviewStore(tmp_path / "s.sqlite")
    store.adjudicate("a", Adjudication(annotator="ann", action="edit", version=0, values={"rude": "true"}))
    result = build_store(tmp_path / "s.sqlite", gold=less, signals=specs)
    assert any("'a': rude 'true': no gold row has this id any more" in n for n in result.notes), result.notes
    with pytest.raises(ExportError, match="'a': rude 'true': no gold row has this id any more"):
        export_gold(store, tmp_path / "gold")
    build_store(tmp_path / "s.sqlite", gold=full, signals=specs)  # the gold set it was decided on: exported
    rows = {r["id"]: r["rude"] for r in load_from_disk(export_gold(store, tmp_path / "gold").path)}
    assert rows == {"a": "true", "b": None}
