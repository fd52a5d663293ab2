"""--overlap K with a declared text signal (QA, session 16): free text rarely matches word for word,
so 'night drive' beside 'Night Drive!' was a tie and the item stayed open for a third, fourth, ...
annotator, never decided; export kept its gold unchanged as 'tied'. Now a text signal is never
tied: the item is decided once K annotators typed it, the decision is the most given text (the
first saved among equals), and export lists each annotator's text with agreed: false."""

from __future__ import annotations

import json
from pathlib import Path

from datasets import load_from_disk

from linernotes.review.build import build_store
from linernotes.review.export import export_gold
from linernotes.review.store import Adjudication, ReviewStore
from linernotes.signals.spec import load_signals


def test_an_overlap_text_item_is_decided_after_k_annotators(tmp_path: Path) -> None:
    (tmp_path / "hook.yaml").write_text("name: hook\nkind: text\ninstructions: The catchiest phrase.\n",
                                        encoding="utf-8")
    (tmp_path / "c.jsonl").write_text('{"id": "a", "type": "track", "title": "Night Drive"}\n', encoding="utf-8")
    build_store(tmp_path / "s.sqlite", gold=tmp_path / "c.jsonl", signals=load_signals([tmp_path / "hook.yaml"]),
                overlap=2)
    store = ReviewStore(tmp_path / "s.sqlite")
    for who, text in (("ann", "night drive"), ("bob", "Night Drive!")):
        state = store.adjudicate("a", Adjudication(annotator=who, action="edit", version=store.get("a").version,
                                                   values={"hook": text}))
    assert state.status == "adjudicated" and state.decision == {"hook": "night drive"}
    result = export_gold(store, tmp_path / "gold")
    assert result.tied == 0 and load_from_disk(result.path)["hook"] == ["night drive"]
    (change,) = json.loads((Path(result.path) / "provenance.json").read_text(encoding="utf-8"))["changes"]
    assert change["labels"] == {"ann": "night drive", "bob": "Night Drive!"} and change["agreed"] is False
