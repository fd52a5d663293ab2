"""A text signal's label is at most 200 characters however it arrives: the item page's box held
200 (maxlength), but the API and the store took any length (a 1 MB "hook" became gold), more than
the tagger ever writes for the signal (``signals.answer.TEXT_LIMIT``)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from linernotes.review.build import build_store
from linernotes.review.store import Adjudication, ReviewStore
from linernotes.signals.answer import TEXT_LIMIT
from linernotes.signals.spec import load_signals


@pytest.fixture
def store(tmp_path: Path) -> ReviewStore:
    spec = tmp_path / "signals.yaml"
    spec.write_text("- name: hook\n  kind: text\n  instructions: The catchiest phrase, quoted.\n", encoding="utf-8")
    catalog = tmp_path / "catalog.jsonl"
    catalog.write_text("".join(json.dumps({"id": f"i{n}", "title": f"Song {n}", "description": "la la la"}) + "\n"
                               for n in range(2)), encoding="utf-8")
    build_store(tmp_path / "s.sqlite", gold=catalog, signals=load_signals([spec]))
    return ReviewStore(tmp_path / "s.sqlite")


@pytest.mark.parametrize("text", ["x" * (TEXT_LIMIT + 1), "la " * 400_000])
def test_a_longer_label_is_refused_naming_the_field_and_nothing_is_saved(store: ReviewStore, text: str) -> None:
    item = store.next_open(annotator="ana")
    version = store.get(item).version
    with pytest.raises(ValueError, match=r"hook must be at most 200 characters"):
        store.adjudicate(item, Adjudication(annotator="ana", action="edit", version=version, values={"hook": text}))
    assert store.get(item).version == version and store.get(item).status == "open"


def test_a_label_of_the_limit_is_kept(store: ReviewStore) -> None:
    item = store.next_open(annotator="ana")
    text = ("a catchy " * 30)[:TEXT_LIMIT]
    store.adjudicate(item, Adjudication(annotator="ana", action="edit", version=store.get(item).version,
                                        values={"hook": text}))
    assert store.get(item).decision["hook"] == text.strip()
