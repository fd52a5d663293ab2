"""``review export`` of a store built with ``--overlap K`` (found by QA): the exported value is the
annotators' consensus, so provenance must not credit it to whoever saved last (alice said 1970s,
bob 1980s, the gold kept 1970s "by bob"), must show each annotator's label, and must name the
items they disagree on and those fewer than K annotators labelled. A tie on a one-label field
(alice 1970s, bob 1980s at K = 2) is no consensus: it took alice's label because she saved first;
now the item stays open for a third annotator and its field is left out of the gold."""

from __future__ import annotations

import json
from pathlib import Path

from datasets import load_from_disk

from linernotes.review.export import export_gold
from linernotes.review.store import Adjudication, ReviewStore
from tests.review.conftest import signal_store


def _label(store: ReviewStore, item: str, who: str, value: str) -> None:
    store.adjudicate(item, Adjudication(annotator=who, action="edit", version=store.get(item).version,
                                        values={"decade": value}))


def test_overlap_export_credits_the_consensus_and_names_disagreements(tmp_path: Path) -> None:
    store = ReviewStore(signal_store(
        tmp_path, "name: decade\nkind: single_label\nlabels: [1970s, 1980s]\n"
        "instructions: The decade the recording sounds like.\n",
        [{"id": i, "type": "track", "title": i} for i in ("same", "split", "alone", "three")], overlap=2))
    _label(store, "same", "alice", "1970s")
    _label(store, "same", "bob", "1970s")
    _label(store, "split", "alice", "1970s")
    _label(store, "split", "bob", "1980s")
    _label(store, "alone", "alice", "1980s")

    _label(store, "three", "alice", "1970s")
    _label(store, "three", "bob", "1980s")
    _label(store, "three", "carol", "1980s")

    result = export_gold(store, tmp_path / "gold")
    prov = json.loads((Path(result.path) / "provenance.json").read_text(encoding="utf-8"))
    changes = {c["id"]: c for c in prov["changes"]}
    three = changes["three"]  # a majority: 2 of 3, credited to the consensus, not to carol who saved last
    assert three["after"] == "1980s" and three["labels"] == {"alice": "1970s", "bob": "1980s", "carol": "1980s"}
    assert three["annotator"] == "consensus" and three["agreed"] is False
    assert changes["same"]["annotator"] == "consensus" and changes["same"]["agreed"] is True
    assert changes["alone"]["annotator"] == "alice" and changes["alone"]["below_overlap"] is True
    assert prov["overlap"] == 2
    assert prov["annotators_disagree"] == ["three"]
    assert prov["below_overlap"] == ["alone"]
    # alice 1970s vs bob 1980s has no majority: not gold (it took whichever was saved first), open
    # for a third annotator, named in provenance and in the result
    assert "split" not in changes and prov["tied"] == ["split"] and result.tied == 1
    assert store.get("split").status == "open" and store.get("three").status == "adjudicated"
    assert store.next_open(annotator="carol") == "split"
    rows = {r["id"]: r for r in load_from_disk(result.path)}
    assert rows["split"]["decade"] is None  # the old gold (none) kept

    _label(store, "split", "carol", "1980s")  # the tie broken
    assert store.get("split").status == "adjudicated"
    prov = json.loads((Path(export_gold(store, tmp_path / "gold").path) / "provenance.json").read_text())
    assert {c["id"]: c["after"] for c in prov["changes"]}["split"] == "1980s" and prov["tied"] == []


def test_a_store_without_overlap_keeps_the_last_annotator(tmp_path: Path) -> None:
    store = ReviewStore(signal_store(tmp_path, "name: decade\nkind: single_label\nlabels: [1970s, 1980s]\ninstructions: x\n",
                                     [{"id": "a", "type": "track", "title": "a"}]))
    _label(store, "a", "alice", "1970s")
    _label(store, "a", "bob", "1980s")  # a reviewer's correction: the last word is the gold
    prov = json.loads((Path(export_gold(store, tmp_path / "gold").path) / "provenance.json").read_text())
    (change,) = prov["changes"]
    assert change["after"] == "1980s" and change["annotator"] == "bob"
    assert change["labels"] is None and prov["annotators_disagree"] == [] and prov["overlap"] == 1
