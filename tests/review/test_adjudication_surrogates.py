"""A decision whose JSON escapes a lone UTF-16 surrogate (``"\\ud800"``: valid JSON, never valid
Unicode) is refused with a 422 naming where it is, and nothing is saved. QA newuser23: a values key
holding one (``{"note\\ud800": "x"}``) answered 500 Internal Server Error (the 'unknown field'
message echoing the key could not be encoded as UTF-8), and a text signal's value holding one
answered "'utf-8' codec can't encode character '\\ud800' in position 15: surrogates not allowed",
naming neither the field nor the cause."""

from __future__ import annotations

import json

import pytest
from fastapi.testclient import TestClient

from linernotes.review.build import build_store
from linernotes.review.web.app import Settings, create_app
from linernotes.signals.spec import load_signals
from tests.review.inprocess import BASE


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory):
    tmp = tmp_path_factory.mktemp("surrogates")
    (tmp / "note.yaml").write_text("name: note\nkind: text\ninstructions: A one-line note about the track.\n")
    gold = tmp / "g.jsonl"
    gold.write_text(json.dumps({"id": "t1", "type": "track", "title": "Rainy Day"}) + "\n")
    store = tmp / "s.sqlite"
    build_store(store, gold=gold, signals=load_signals([tmp / "note.yaml"]))
    with TestClient(create_app(Settings(store=store)), base_url=BASE, raise_server_exceptions=False) as c:
        yield c


def _post_raw(c: TestClient, body: str) -> object:
    token = c.get("/api/session").json()["csrf_token"]
    version = c.get("/api/items/t1").json()["version"]
    return c.post("/api/adjudicate/t1", content=body.replace("VERSION", str(version)).encode(),
                  headers={"X-CSRF-Token": token, "Content-Type": "application/json"})


@pytest.mark.parametrize(("values", "where"), [
    ('{"note\\ud800": "x"}', "values key 'note\\ud800'"),
    ('{"note": "nice \\ud800 song"}', "values.note"),
    ('{"note": "a \\udfff"}', "values.note"),
])
def test_a_lone_surrogate_in_a_decision_is_422_naming_where_and_nothing_is_saved(client, values: str,
                                                                                  where: str) -> None:
    before = client.get("/api/items/t1").json()
    r = _post_raw(client, '{"annotator": "jo", "action": "edit", "version": VERSION, "values": ' + values + "}")
    assert r.status_code == 422, r.text
    detail = r.json()["detail"]
    assert where in detail and "lone UTF-16 surrogate" in detail, detail
    after = client.get("/api/items/t1").json()
    assert (after["version"], after["history"]) == (before["version"], before["history"])


def test_a_text_label_without_one_is_saved(client) -> None:
    r = _post_raw(client, '{"annotator": "jo", "action": "edit", "version": VERSION, "values": {"note": "nice \\u00e9 song"}}')
    assert r.status_code == 200 and r.json()["decision"] == {"note": "nice é song"}, r.text
