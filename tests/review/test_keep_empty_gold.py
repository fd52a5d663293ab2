"""'keep gold' on an item with no gold for its fields (found by QA, session 13): a declared
signal's labelling queue has no gold by construction, and one key (g) marked the item decided with
no label, counted it done in the annotator's progress, dropped it from the open queue, and export
listed it as changed from None to None. Now it is refused (422 naming the fields), the item stays
open; where gold exists, keeping it still works."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from linernotes.review.store import Adjudication, ReviewStore
from linernotes.review.web.app import Settings, create_app
from tests.review.conftest import signal_store


def _store(tmp_path: Path, gold: dict[str, object]) -> Path:
    return signal_store(tmp_path, "- name: energy\n  kind: scalar\n  range: [0, 10]\n  instructions: How energetic.\n"
                        "- name: rude\n  kind: boolean\n  instructions: Profanity.\n",
                        [{"id": "a", "type": "track", "title": "Night Drive", **gold}])


def test_keep_gold_without_gold_is_refused_and_the_item_stays_open(tmp_path: Path) -> None:
    store = ReviewStore(_store(tmp_path, {}))
    with pytest.raises(ValueError, match="no gold value to keep for energy, rude: label it"):
        store.adjudicate("a", Adjudication(annotator="ann", action="accept_gold", version=0))
    state = store.get("a")
    assert state.status == "open" and state.version == 0 and state.history == []
    assert store.progress("ann")["mine"] == 0


def test_the_api_answers_422(tmp_path: Path) -> None:
    client = TestClient(create_app(Settings(store=_store(tmp_path, {}))), base_url="http://127.0.0.1")
    token = client.get("/api/session").json()["csrf_token"]
    r = client.post("/api/adjudicate/a", headers={"X-CSRF-Token": token, "Origin": "http://127.0.0.1"},
                    json={"annotator": "ann", "action": "accept_gold", "version": 0})
    assert r.status_code == 422 and "no gold value to keep" in r.json()["detail"]


def test_keeping_gold_that_exists_still_decides(tmp_path: Path) -> None:
    store = ReviewStore(_store(tmp_path, {"energy": 7}))  # queued for rude, which has no gold
    state = store.adjudicate("a", Adjudication(annotator="ann", action="accept_gold", version=0))
    assert state.decision["energy"] == 7.0 and state.version == 1
