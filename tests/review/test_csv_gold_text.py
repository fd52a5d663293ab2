"""Review reads a CSV/TSV gold set's content columns as the text written; only the answer columns
keep pandas' types. Review session 25 (leftover of bb7a8ce): review build read a text column
holding '007' as the integer 7 and '1e5' as 100000.0, so the reviewer read '7', and export wrote 7
back into the gold set where the file said '007'."""

from __future__ import annotations

from pathlib import Path

import pytest
from datasets import load_from_disk

from linernotes.review.build import build_store
from linernotes.review.export import export_gold
from linernotes.review.sources import read_gold_lines
from linernotes.review.store import Adjudication, ReviewStore
from linernotes.signals.spec import load_signals

SPEC = """\
- name: energy
  kind: scalar
  range: [0, 10]
  instructions: How energetic.
"""
# VADER's layout (text, mean on -4..4) with a title column and a declared signal's column; 'NA' is
# a missing-value marker; b has no energy yet (the item review queues)
ROWS = [("a", "007", "1e5", "1.5", "7"), ("b", "0042", "NA", "-2", ""), ("c", "0.50", "True", "3", "2")]


def _gold(tmp_path: Path, sep: str) -> Path:
    path = tmp_path / ("gold.tsv" if sep == "\t" else "gold.csv")
    path.write_text("\n".join(sep.join(r) for r in [("id", "text", "title", "mean", "energy"), *ROWS]) + "\n",
                    encoding="utf-8")
    return path


@pytest.mark.parametrize("sep", [",", "\t"])
def test_content_columns_are_the_text_written_and_answers_keep_their_numbers(tmp_path, sep):
    rows = [row for _, row in read_gold_lines(_gold(tmp_path, sep))]
    got = [(r["id"], r["text"], r["title"], r["mean"]) for r in rows]
    assert got == [("a", "007", "1e5", 1.5), ("b", "0042", None, -2.0), ("c", "0.50", "True", 3.0)]


def test_review_shows_and_exports_the_text_as_written(tmp_path):
    (tmp_path / "s.yaml").write_text(SPEC, encoding="utf-8")
    build_store(tmp_path / "s.sqlite", gold=_gold(tmp_path, ","), signals=load_signals([tmp_path / "s.yaml"]))
    store = ReviewStore(tmp_path / "s.sqlite")
    assert [i.id for i in store.list_items()] == ["b"]
    assert store.get("b").entry.inputs["text"] == "0042"
    store.adjudicate("b", Adjudication(annotator="ann", action="edit", version=store.get("b").version,
                                       values={"energy": 4}))
    gold = list(load_from_disk(export_gold(store, tmp_path / "out").path))
    assert [r["text"] for r in gold] == ["007", "0042", "0.50"]
    assert [r["title"] for r in gold] == ["1e5", None, "True"]
    assert [r["mean"] for r in gold] == [1.5, -2.0, 3.0] and [r["energy"] for r in gold] == [7, 4, 2]
