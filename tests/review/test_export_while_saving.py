"""liner review export while annotators keep saving (QA, session 16).

Export read the store in many separate reads (the history, the item list, each item, the list
again for 'undecided', the gold rows): a decision saved between them was in neither the written
rows nor the provenance's 'undecided' (the CLI printed '... 1 queued items still undecided' while
2 were left out), or was written without its history row. Now export reads one snapshot of the
store; what annotators save meanwhile waits for the next export, and nothing is lost.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from datasets import load_from_disk

from linernotes.review.build import build_store
from linernotes.review.export import export_gold
from linernotes.review.store import Adjudication, ReviewStore
from linernotes.signals.spec import load_signals

IDS = [f"t{i}" for i in range(6)]


class AnnotatorSavesAfterRead(ReviewStore):
    """Test double (fault injection): right after the export's ``at``-th read of the store (0-based),
    an annotator saves the first open item through their own connection, as the review server does."""

    def __init__(self, path: Path, at: int) -> None:
        super().__init__(path)
        self.at, self.reads = at, 0
        self.saved: list[str] = []
        self.annotator = ReviewStore(path)

    def _read(self, out: Any) -> Any:
        if self.reads == self.at:
            item = next(i for i in IDS if self.annotator.get(i).status == "open")
            self.annotator.adjudicate(item, Adjudication(annotator="bob", action="edit",
                                                         version=self.annotator.get(item).version,
                                                         values={"rude": "true"}))
            self.saved.append(item)
        self.reads += 1
        return out

    def get(self, item_id: str) -> Any:
        return self._read(super().get(item_id))

    def list_items(self, flt: Any = None) -> Any:
        return self._read(super().list_items(flt))

    def history(self) -> Any:
        return self._read(super().history())

    def gold_rows(self) -> Any:
        return self._read(super().gold_rows())

    def meta(self) -> Any:
        return self._read(super().meta())


def _store(tmp_path: Path) -> Path:
    (tmp_path / "rude.yaml").write_text("name: rude\nkind: boolean\ninstructions: Is it rude?\n", encoding="utf-8")
    catalog = tmp_path / "c.jsonl"
    catalog.write_text("".join(json.dumps({"id": i, "type": "track", "title": i}) + "\n" for i in IDS),
                       encoding="utf-8")
    path = tmp_path / "s.sqlite"
    build_store(path, gold=catalog, signals=load_signals([tmp_path / "rude.yaml"]))
    store = ReviewStore(path)
    store.adjudicate("t0", Adjudication(annotator="ann", action="edit", version=store.get("t0").version,
                                        values={"rude": "false"}))
    return path


@pytest.mark.parametrize("at", range(24))  # the export reads this store 24 times
def test_every_item_is_exported_or_named_undecided_while_an_annotator_saves(tmp_path: Path, at: int) -> None:
    store = AnnotatorSavesAfterRead(_store(tmp_path), at)
    result = export_gold(store, tmp_path / "gold")
    assert store.saved  # the annotator did save during the export
    prov = json.loads((Path(result.path) / "provenance.json").read_text(encoding="utf-8"))
    rows = {r["id"]: r["rude"] for r in load_from_disk(result.path)}
    changed, undecided = set(prov["changed_items"]), set(prov["undecided"])
    # each item exactly once: written with its decision, or named as not decided yet
    assert changed | undecided == set(IDS) and not changed & undecided, (changed, undecided)
    assert {i for i, v in rows.items() if v is not None} == changed
    assert result.undecided == len(undecided)
    for c in prov["changes"]:  # the history listed beside a change holds the decision it reports
        assert any(h["new"].get("rude") == c["after"] for h in c["history"]), c
    # what was saved meanwhile is kept in the store and goes out with the next export
    later = {r["id"]: r["rude"] for r in load_from_disk(export_gold(ReviewStore(store.path), tmp_path / "gold").path)}
    assert {i for i, v in later.items() if v is not None} == changed | set(store.saved)
