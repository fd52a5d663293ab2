"""Annotator names that differ only in case (or Unicode width) are one person (found by QA): with
``--overlap 2`` one annotator who saved as 'alice' and then as 'Alice' completed the item alone,
as two annotators, and the agreement counted both. The store now files a decision under the
spelling it already holds for that name (the first saved), so the item stays open for a second
person, progress and 'next item' count the same person's labels, and the cookie keeps that spelling."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from linernotes.review.build import build_store
from linernotes.review.store import Adjudication, ReviewStore
from linernotes.review.web.app import Settings, create_app
from linernotes.signals.spec import parse_signals

SPEC = "- name: decade\n  kind: single_label\n  labels: [1970s, 1980s]\n  applies_to: [track]\n  instructions: x\n"


@pytest.fixture
def store(tmp_path: Path) -> ReviewStore:
    rows = [{"id": f"t{n}", "type": "track", "title": f"song {n}"} for n in range(3)]
    (tmp_path / "c.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    build_store(tmp_path / "s.sqlite", gold=tmp_path / "c.jsonl", signals=parse_signals(SPEC, str(tmp_path / "d.yaml")),
                overlap=2)
    return ReviewStore(tmp_path / "s.sqlite")


def _label(store: ReviewStore, item: str, who: str, value: str):
    return store.adjudicate(item, Adjudication(annotator=who, action="edit", version=store.get(item).version,
                                               values={"decade": value}))


def test_one_person_under_two_spellings_does_not_complete_an_overlap_item(store: ReviewStore) -> None:
    _label(store, "t0", "alice", "1970s")
    for spelling in ("Alice", "ＡＬＩＣＥ"):
        state = _label(store, "t0", spelling, "1970s")
        assert state.status == "open", spelling
    assert {h.annotator for h in state.history} == {"alice"}
    assert store.progress("ALICE")["mine"] == 1
    assert store.next_open(annotator="Alice") != "t0"  # she labelled it already, under any spelling
    assert _label(store, "t0", "bob", "1970s").status == "adjudicated"  # a second person completes it


def test_the_form_remembers_the_spelling_on_file(store: ReviewStore) -> None:
    _label(store, "t1", "alice", "1980s")
    with TestClient(create_app(Settings(store=store.path)), base_url="http://127.0.0.1") as c:
        c.get("/")
        r = c.post("/decide/t2", data={"csrf_token": c.cookies.get("liner_review_csrf"), "version": "0",
                                       "action": "edit", "annotator": "ALICE", "value_decade": "1970s"},
                   follow_redirects=False)
        assert r.status_code == 303, r.text
        assert c.cookies.get("liner_review_annotator") == "alice"
    assert [h.annotator for h in store.get("t2").history] == ["alice"]


def test_different_people_stay_different(store: ReviewStore) -> None:
    _label(store, "t0", "alice", "1970s")
    assert _label(store, "t0", "alicia", "1970s").status == "adjudicated"
