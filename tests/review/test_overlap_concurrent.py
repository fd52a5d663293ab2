"""Two annotators labelling one item at once with ``--overlap K`` (found by QA, session 13): both
opened it at version 0, the first saved, and the second's save was refused as a conflict (HTTP 409,
the web page dropped their choice), although with overlap each label is that annotator's own and
the decision is the consensus of everyone's. Now both labels are kept; a stale save by the same
annotator (another tab) and any stale save without overlap still conflict."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from linernotes.review.build import build_store
from linernotes.review.store import Adjudication, ReviewStore, VersionConflict
from linernotes.review.web.app import Settings, create_app
from linernotes.signals.spec import load_signals


def _store(tmp_path: Path, overlap: int) -> ReviewStore:
    spec = tmp_path / "energy.yaml"
    spec.write_text("name: energy\nkind: scalar\nrange: [0, 10]\ninstructions: How energetic.\n", encoding="utf-8")
    catalog = tmp_path / "catalog.jsonl"
    catalog.write_text(json.dumps({"id": "a", "type": "track", "title": "Night Drive"}) + "\n", encoding="utf-8")
    build_store(tmp_path / "s.sqlite", gold=catalog, signals=load_signals([spec]), overlap=overlap)
    return ReviewStore(tmp_path / "s.sqlite")


def _edit(who: str, version: int, value: float) -> Adjudication:
    return Adjudication(annotator=who, action="edit", version=version, values={"energy": value})


def test_two_annotators_who_opened_the_item_together_both_keep_their_labels(tmp_path: Path) -> None:
    store = _store(tmp_path, overlap=2)
    seen = store.get("a").version  # both pages show this version
    store.adjudicate("a", _edit("alice", seen, 8))
    state = store.adjudicate("a", _edit("bob", seen, 6))
    assert {(h.annotator, h.new["energy"]) for h in state.history} == {("alice", 8.0), ("bob", 6.0)}
    assert state.decision["energy"] == pytest.approx(7.0)  # the consensus of both, not the last save
    assert state.status == "adjudicated"


@pytest.mark.parametrize(("overlap", "second"), [(2, "alice"), (1, "bob")], ids=["same-annotator-stale-tab",
                                                                                "no-overlap"])
def test_a_stale_save_still_conflicts(tmp_path: Path, overlap: int, second: str) -> None:
    store = _store(tmp_path, overlap=overlap)
    seen = store.get("a").version
    store.adjudicate("a", _edit("alice", seen, 8))
    with pytest.raises(VersionConflict):
        store.adjudicate("a", _edit(second, seen, 2))


def test_the_api_answers_200_to_the_second_annotator(tmp_path: Path) -> None:
    _store(tmp_path, overlap=2)
    client = TestClient(create_app(Settings(store=tmp_path / "s.sqlite")), base_url="http://127.0.0.1")
    token = client.get("/api/session").json()["csrf_token"]
    headers = {"X-CSRF-Token": token, "Origin": "http://127.0.0.1"}
    codes = [client.post("/api/adjudicate/a", headers=headers,
                         json={"annotator": who, "action": "edit", "version": 0, "values": {"energy": v}}).status_code
             for who, v in (("alice", 8), ("bob", 6))]
    assert codes == [200, 200]
