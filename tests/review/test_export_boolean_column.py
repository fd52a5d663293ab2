"""Export of a declared boolean signal into a gold set that already holds some of its labels (found
by QA, session 13): the gold rows held JSON booleans (or 0/1), review decisions are 'true'/'false',
and export refused the whole set ("column 'rude' holds string 'true' but gold row 1 (id 't1')
holds boolean False"), so a partly labelled gold set could never be finished in review. Now a
decision is written in the type the column holds; a column with no value yet keeps 'true'/'false'
(as examples/signals/beat_driven/v1 was written)."""

from __future__ import annotations

from pathlib import Path

import pytest
from datasets import load_from_disk

from linernotes.review.export import export_gold
from linernotes.review.store import Adjudication, ReviewStore
from tests.review.conftest import signal_store


def _export(tmp_path: Path, known: dict[str, object]) -> list[object]:
    """Gold rows a..d with ``known`` labels of ``rude``; the others labelled true in review."""
    store = ReviewStore(signal_store(tmp_path, "name: rude\nkind: boolean\ninstructions: Profanity.\n",
                                     [{"id": i, "type": "track", "title": i, **({"rude": known[i]} if i in known else {})}
                                      for i in "abcd"]))
    for item in store.list_items():
        store.adjudicate(item.id, Adjudication(annotator="ann", action="edit", version=item.version,
                                               values={"rude": "true"}))
    return load_from_disk(export_gold(store, tmp_path / "gold").path)["rude"]


@pytest.mark.parametrize(("known", "written"), [
    ({"a": False, "b": True}, [False, True, True, True]),
    ({"a": 0, "b": 1}, [0, 1, 1, 1]),
    ({}, ["true", "true", "true", "true"]),
])
def test_a_decided_boolean_takes_the_columns_type(tmp_path: Path, known: dict[str, object],
                                                  written: list[object]) -> None:
    got = _export(tmp_path, known)
    assert got == written and [type(v) for v in got] == [type(v) for v in written]
