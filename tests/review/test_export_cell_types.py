"""Export of a declared signal's decisions into a gold column that already holds values of another
type (QA, session 16), as d8c4601 did for booleans and 0ae0d48 for label lists. Before: a CSV
gold set whose energy column held one unreadable 'high' (read as text; build named the row and
kept it) refused every decision ("column 'energy' holds number 7.0 but gold row 1 (id 'a') holds
string 'high'"), exit 2; a rating scale declared as labels ['1', '2', '3'] with a CSV column of
numbers likewise. Now a decision is written in the column's type when it reads back exactly."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from datasets import load_from_disk

from linernotes.review.build import build_store
from linernotes.review.export import ExportError, export_gold
from linernotes.review.store import Adjudication, ReviewStore
from linernotes.signals.spec import load_signals

ENERGY = "name: energy\nkind: scalar\nrange: [0, 10]\ninstructions: How energetic.\n"
STARS = "name: stars\nkind: single_label\nlabels: ['1', '2', '3', '01']\ninstructions: Rating.\n"


def _export(tmp_path: Path, spec: str, csv: str, value: Any) -> list[Any]:
    (tmp_path / "s.yaml").write_text(spec, encoding="utf-8")
    (tmp_path / "gold.csv").write_text(csv, encoding="utf-8")
    (signal,) = load_signals([tmp_path / "s.yaml"])
    build_store(tmp_path / "s.sqlite", gold=tmp_path / "gold.csv", signals=[signal])
    store = ReviewStore(tmp_path / "s.sqlite")
    for item in store.list_items():
        store.adjudicate(item.id, Adjudication(annotator="ann", action="edit", version=item.version,
                                               values={signal.name: value}))
    return load_from_disk(export_gold(store, tmp_path / "gold").path)[signal.name]


def test_a_number_goes_into_a_text_column_as_its_text(tmp_path: Path) -> None:
    got = _export(tmp_path, ENERGY, "id,type,title,energy\na,track,A,high\nb,track,B,\nc,track,C,\n", 7)
    assert got == ["high", "7.0", "7.0"]  # 'high' kept as it was (build named it); review reads "7.0" back as 7


def test_a_numeric_label_goes_into_a_number_column_as_the_number(tmp_path: Path) -> None:
    # a blank cell makes the CSV column floats: its 3.0 is the label '3' (it was '3.0', no label)
    got = _export(tmp_path, STARS, "id,type,title,stars\na,track,A,3\nb,track,B,\nc,track,C,\n", "2")
    assert got == [3.0, 2.0, 2.0]
    assert ReviewStore(tmp_path / "s.sqlite").get("b").entry.gold == {"stars": None}
    assert sorted(i.id for i in ReviewStore(tmp_path / "s.sqlite").list_items()) == ["b", "c"]  # a is labelled


def test_a_label_that_would_read_back_as_another_is_still_refused(tmp_path: Path) -> None:
    with pytest.raises(ExportError, match=r"gold row 2 \(id 'b'\): column 'stars' holds string '01'"):
        _export(tmp_path, STARS, "id,type,title,stars\na,track,A,3\nb,track,B,\n", "01")
