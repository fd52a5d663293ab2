"""``review export`` of a store built with ``--overlap K`` (found by QA): the exported value is the
annotators' consensus, so provenance must not credit it to whoever saved last (alice said 1970s,
bob 1980s, the gold kept 1970s "by bob"), must show each annotator's label, and must name the
items they disagree on and those fewer than K annotators labelled."""

from __future__ import annotations

import json
from pathlib import Path

from linernotes.review.build import build_store
from linernotes.review.export import export_gold
from linernotes.review.store import Adjudication, ReviewStore
from linernotes.signals.spec import load_signals


def _label(store: ReviewStore, item: str, who: str, value: str) -> None:
    store.adjudicate(item, Adjudication(annotator=who, action="edit", version=store.get(item).version,
                                        values={"decade": value}))


def test_overlap_export_credits_the_consensus_and_names_disagreements(tmp_path: Path) -> None:
    spec = tmp_path / "decade.yaml"
    spec.write_text("name: decade\nkind: single_label\nlabels: [1970s, 1980s]\n"
                    "instructions: The decade the recording sounds like.\n", encoding="utf-8")
    catalog = tmp_path / "catalog.jsonl"
    catalog.write_text("".join(json.dumps({"id": i, "type": "track", "title": i}) + "\n"
                               for i in ("same", "split", "alone")), encoding="utf-8")
    build_store(tmp_path / "s.sqlite", gold=catalog, signals=load_signals([spec]), overlap=2)
    store = ReviewStore(tmp_path / "s.sqlite")
    _label(store, "same", "alice", "1970s")
    _label(store, "same", "bob", "1970s")
    _label(store, "split", "alice", "1970s")
    _label(store, "split", "bob", "1980s")
    _label(store, "alone", "alice", "1980s")

    result = export_gold(store, tmp_path / "gold")
    prov = json.loads((Path(result.path) / "provenance.json").read_text(encoding="utf-8"))
    changes = {c["id"]: c for c in prov["changes"]}
    split = changes["split"]
    assert split["labels"] == {"alice": "1970s", "bob": "1980s"}
    assert split["annotator"] == "consensus" and split["agreed"] is False  # not "bob", who said 1980s
    assert changes["same"]["annotator"] == "consensus" and changes["same"]["agreed"] is True
    assert changes["alone"]["annotator"] == "alice" and changes["alone"]["below_overlap"] is True
    assert prov["overlap"] == 2
    assert prov["annotators_disagree"] == ["split"]
    assert prov["below_overlap"] == ["alone"]


def test_a_store_without_overlap_keeps_the_last_annotator(tmp_path: Path) -> None:
    spec = tmp_path / "decade.yaml"
    spec.write_text("name: decade\nkind: single_label\nlabels: [1970s, 1980s]\ninstructions: x\n", encoding="utf-8")
    catalog = tmp_path / "catalog.jsonl"
    catalog.write_text(json.dumps({"id": "a", "type": "track", "title": "a"}) + "\n", encoding="utf-8")
    build_store(tmp_path / "s.sqlite", gold=catalog, signals=load_signals([spec]))
    store = ReviewStore(tmp_path / "s.sqlite")
    _label(store, "a", "alice", "1970s")
    _label(store, "a", "bob", "1980s")  # a reviewer's correction: the last word is the gold
    prov = json.loads((Path(export_gold(store, tmp_path / "gold").path) / "provenance.json").read_text())
    (change,) = prov["changes"]
    assert change["after"] == "1980s" and change["annotator"] == "bob"
    assert change["labels"] is None and prov["annotators_disagree"] == [] and prov["overlap"] == 1
