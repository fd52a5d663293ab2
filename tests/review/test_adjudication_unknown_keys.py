"""A decision sent to /api/adjudicate with a key the API does not have is refused (422 naming the
key), not saved without it. QA newuser22: ``{"annotator": "ann", "action": "skip", "version": 0,
"coment": "why"}`` answered 200 and the comment was gone; a misspelt ``"value"`` for an edit was
likewise dropped."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from linernotes.review.build import build_store
from linernotes.review.web.app import Settings, create_app

BASE = "http://127.0.0.1"


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory):
    tmp: Path = tmp_path_factory.mktemp("unknown-keys")
    rows = [{"id": "t1", "text": "a fine day", "ratings": [-4, 4, -4, 4], "mean": 0.0}]
    gold = tmp / "g.jsonl"
    gold.write_text("".join(json.dumps(r) + "\n" for r in rows))
    store = tmp / "s.sqlite"
    build_store(store, gold=gold)
    with TestClient(create_app(Settings(store=store)), base_url=BASE) as c:
        yield c


def _post(c: TestClient, body: dict):
    token = c.get("/api/session").json()["csrf_token"]
    version = c.get("/api/items/t1").json()["version"]
    return c.post("/api/adjudicate/t1", json={"version": version, **body}, headers={"X-CSRF-Token": token})


@pytest.mark.parametrize(("body", "key"), [
    ({"annotator": "ann", "action": "skip", "coment": "why"}, "coment"),
    ({"annotator": "ann", "action": "edit", "values": {"valence": 0.2}, "value": {"valence": 0.5}}, "value"),
])
def test_an_unknown_key_is_422_naming_it_and_nothing_is_saved(client, body: dict, key: str) -> None:
    before = client.get("/api/items/t1").json()
    r = _post(client, body)
    assert r.status_code == 422, r.text
    assert [(d["loc"], d["msg"]) for d in r.json()["detail"]] == [([key], "Extra inputs are not permitted")]
    after = client.get("/api/items/t1").json()
    assert (after["version"], after["history"]) == (before["version"], before["history"])


def test_a_decision_with_known_keys_is_saved(client) -> None:
    r = _post(client, {"annotator": "ann", "action": "skip", "comment": "why"})
    assert r.status_code == 200 and r.json()["history"][-1]["comment"] == "why", r.text
