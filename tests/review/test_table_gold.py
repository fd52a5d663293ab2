"""``liner review build --gold`` on a CSV/TSV/Parquet catalog (found by QA, session 13): liner tag and
eval read those, but review build read every file as JSONL ('catalog.csv:1: not JSON (Expecting
value at column 1)'); a multilabel cell 'happy, sad' was one label 'happy, sad' in review (eval
and index build split it); and export of such a gold set, once labelled in review, refused it
('column 'mood_tags' holds list ['calm'] but gold row 1 holds string 'happy, sad''). Now the
table is read, the cell is two labels, and the decisions are written as the column's text."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
from datasets import load_from_disk

from linernotes.labels import label_list
from linernotes.review.build import build_store
from linernotes.review.export import export_gold
from linernotes.review.store import Adjudication, ReviewStore
from linernotes.signals.spec import load_signals
from tests.conftest import run_liner_in_process

SPEC = """\
- name: mood_tags
  kind: multilabel
  labels: [happy, sad, calm]
  instructions: The moods.
- name: energy
  kind: scalar
  range: [0, 10]
  instructions: How energetic.
"""
ROWS = [{"id": "a", "type": "track", "title": "Sunny", "mood_tags": "happy, sad", "energy": "7"},
        {"id": "b", "type": "track", "title": "Grey", "mood_tags": "sad", "energy": ""},
        {"id": "c", "type": "track", "title": "Still", "mood_tags": "", "energy": ""}]


def _catalog(tmp_path: Path, suffix: str) -> Path:
    path = tmp_path / f"catalog{suffix}"
    if suffix == ".parquet":
        import pandas as pd

        pd.DataFrame([{**r, "energy": float(r["energy"]) if r["energy"] else None,
                       "mood_tags": r["mood_tags"] or None} for r in ROWS]).to_parquet(path)
        return path
    with open(path, "w", newline="", encoding="utf-8") as f:
        w = csv.DictWriter(f, fieldnames=list(ROWS[0]), delimiter="\t" if suffix == ".tsv" else ",")
        w.writeheader()
        w.writerows(ROWS)
    return path


@pytest.mark.parametrize("suffix", [".csv", ".tsv", ".parquet"])
def test_a_table_catalog_is_labelled_and_exported(tmp_path: Path, suffix: str) -> None:
    (tmp_path / "s.yaml").write_text(SPEC, encoding="utf-8")
    build_store(tmp_path / "s.sqlite", gold=_catalog(tmp_path, suffix), signals=load_signals([tmp_path / "s.yaml"]))
    store = ReviewStore(tmp_path / "s.sqlite")
    assert sorted(i.id for i in store.list_items()) == ["b", "c"]  # a has both labels
    assert store.get("b").entry.gold["mood_tags"] == ["sad"]
    for item in ("b", "c"):
        store.adjudicate(item, Adjudication(annotator="ann", action="edit", version=store.get(item).version,
                                            values={"mood_tags": ["calm", "sad"], "energy": 2}))
    gold = {r["id"]: r for r in load_from_disk(export_gold(store, tmp_path / "gold").path)}
    assert [label_list(gold[i]["mood_tags"]) for i in "abc"] == [["happy", "sad"], ["calm", "sad"], ["calm", "sad"]]
    assert [gold[i]["energy"] for i in "abc"] == [7, 2, 2]


def test_liner_review_build_reads_a_csv(tmp_path: Path) -> None:
    (tmp_path / "s.yaml").write_text(SPEC, encoding="utf-8")
    r = run_liner_in_process(["review", "build", "-o", tmp_path / "s.sqlite", "--gold", _catalog(tmp_path, ".csv"),
                              "--signals", tmp_path / "s.yaml"])
    assert r.returncode == 0, r.stderr
    assert "queued 2 of 3 items" in r.stdout
