"""Every HTTP endpoint, the conflict rule, CSRF, the token, and escaping."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient

from linernotes.review.web.app import Settings, create_app
from linernotes.review.web.security import BindError, check_bind

BASE = "http://127.0.0.1"


@pytest.fixture
def client(built_store):
    with TestClient(create_app(Settings(store=built_store)), base_url=BASE) as c:
        yield c


def csrf(c: TestClient) -> str:
    return c.get("/api/session").json()["csrf_token"]


def form_token(html: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)


def post_json(c: TestClient, item: str, body: dict, **headers):
    return c.post(f"/api/adjudicate/{item}", json=body, headers={"X-CSRF-Token": csrf(c), **headers})


def test_queue_page_lists_items_by_priority_and_filters(client):
    html = client.get("/").text
    order = re.findall(r'<a href="/item/([^"]+)" title=', html)
    api = [i["id"] for i in client.get("/api/queue").json()]
    assert order == api and len(api) == 4
    assert [i["priority"] for i in client.get("/api/queue").json()] == sorted(
        (i["priority"] for i in client.get("/api/queue").json()), reverse=True)
    only = client.get("/", params={"reason": "annotators_disagree"}).text
    assert "raters-split" in only and "/item/model-off" not in only
    assert client.get("/", params={"status": "bogus"}).status_code == 422
    assert client.get("/api/queue", params={"field": "valence", "label": "negative"}).json()[0]["id"] == "model-off"
    assert client.get("/api/queue", params={"status": "bogus"}).status_code == 422
    assert set(client.get("/api/facets").json()) == {"reason", "field", "label", "annotator"}


def test_item_page_shows_content_model_evidence_annotators_and_gold(client):
    html = client.get("/item/model-off").text
    assert "great product, love it" in html
    assert "model:test-model" in html and "rater:5" in html and "gold" in html
    assert "5 raters: +3.00 ×5" in html  # anonymous raters summarised on the gold set's own scale
    assert "-0.500" in html and "+0.750 (+3.00 on the gold scale)" in html
    assert "genre shortlist" in html and "tempo_bpm" in html and "sunny pop song" in html
    assert client.get("/item/nope").status_code == 404


def test_hostile_content_is_escaped_and_policy_span_highlighted(client):
    html = client.get("/item/hostile").text
    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert '<mark title="content-policy/profanity.strong severity 4">&lt;script&gt;alert(1)&lt;/script&gt;</mark>' in html
    assert "DATA&gt;&gt;&gt;" in html and "שלום" in html and "x" * 100_000 in html
    assert "<code>content-policy/profanity.strong</code> severity 4: Strong profanity" in html
    assert "script-src 'self'" in client.get("/item/hostile").headers["content-security-policy"]


def test_form_decision_saves_and_moves_to_next_open_item(client):
    page = client.get("/item/model-off")
    r = client.post("/decide/model-off", data={"csrf_token": form_token(page.text), "version": "0",
                                               "action": "edit", "value_valence": "0.25", "annotator": "ann",
                                               "comment": "meh"}, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"].startswith("/item/") and "saved=model-off" in r.headers["location"]
    state = client.get("/api/items/model-off").json()
    assert state["decision"] == {"valence": 0.25} and state["history"][0]["comment"] == "meh"
    assert client.cookies.get("liner_review_annotator") == "ann"


def test_form_conflict_is_409_with_current_state(client):
    token = form_token(client.get("/item/model-off").text)
    ok = {"csrf_token": token, "version": "0", "action": "accept_gold", "annotator": "ann"}
    assert client.post("/decide/model-off", data=ok, follow_redirects=False).status_code == 303
    r = client.post("/decide/model-off", data={**ok, "action": "accept_model", "annotator": "bob"})
    assert r.status_code == 409
    assert "Conflict: ann saved this item first" in r.text and "now version 1" in r.text
    assert client.get("/api/items/model-off").json()["decision"] == {"valence": 0.75}


def test_form_needs_annotator_and_valid_value(client):
    token = form_token(client.get("/item/model-off").text)
    r = client.post("/decide/model-off", data={"csrf_token": token, "version": "0", "action": "accept_gold"})
    assert r.status_code == 422 and "annotator name" in r.text
    r = client.post("/decide/model-off", data={"csrf_token": token, "version": "0", "action": "edit",
                                               "annotator": "a", "value_valence": "7"})
    assert r.status_code == 422 and "must be a number in" in r.text
    assert "not 7" in r.text  # the refused value is named (it was left out of an out-of-range number)
    assert client.post("/decide/nope", data={"csrf_token": token, "version": "0", "action": "skip",
                                             "annotator": "a"}).status_code == 404


def test_csrf_token_and_origin_are_required_for_writes(client):
    token = form_token(client.get("/item/model-off").text)
    data = {"version": "0", "action": "accept_gold", "annotator": "a"}
    assert client.post("/decide/model-off", data=data).status_code == 403
    assert client.post("/decide/model-off", data={**data, "csrf_token": "forged"}).status_code == 403
    evil = client.post("/decide/model-off", data={**data, "csrf_token": token},
                       headers={"Origin": "http://evil.example"})
    assert evil.status_code == 403
    assert client.post("/api/adjudicate/model-off", json={**data, "version": 0}).status_code == 403
    assert post_json(client, "model-off", {**data, "version": 0}, Origin="http://evil.example").status_code == 403
    assert post_json(client, "model-off", {**data, "version": 0}, Referer="http://evil.example/x").status_code == 403
    assert client.get("/api/items/model-off").json()["version"] == 0
    same_origin = client.post("/decide/model-off", data={**data, "csrf_token": token}, headers={"Origin": BASE},
                              follow_redirects=False)
    assert same_origin.status_code == 303


def test_api_adjudicate_ok_conflict_invalid_missing(client):
    r = post_json(client, "model-off", {"annotator": "ann", "action": "accept_model", "version": 0})
    assert r.status_code == 200 and r.json()["decision"] == {"valence": -0.5}
    r = post_json(client, "model-off", {"annotator": "bob", "action": "accept_gold", "version": 0})
    assert r.status_code == 409
    assert r.json()["current"]["version"] == 1 and r.json()["current"]["updated_by"] == "ann"
    assert post_json(client, "model-off", {"annotator": "bob", "action": "dance", "version": 1}).status_code == 422
    assert post_json(client, "model-off", {"annotator": "", "action": "skip", "version": 1}).status_code == 422
    assert post_json(client, "broken", {"annotator": "a", "action": "accept_model", "version": 0}).status_code == 422
    assert post_json(client, "nope", {"annotator": "a", "action": "skip", "version": 0}).status_code == 404
    assert client.get("/api/items/nope").status_code == 404


def test_stats_endpoint_counts_reviewers_as_annotators(client):
    post_json(client, "model-off", {"annotator": "ann", "action": "accept_gold", "version": 0})
    stats = client.get("/api/stats").json()
    names = {a["annotator"] for a in stats["annotators"]}
    assert {"gold", "model:test-model", "annotator:ann"} <= names
    assert stats["fields"][0]["field"] == "valence"


def test_health_static_and_audio(client, built_store, tmp_path):
    assert client.get("/healthz").json() == {"status": "ok"}
    assert "keydown" in client.get("/static/app.js").text
    assert client.get("/static/app.css").status_code == 200
    assert client.get("/audio/model-off").status_code == 404  # no audio_path, no audio root


def test_audio_is_served_only_from_the_audio_root(tmp_path, tag_output, repo_root):
    import json
    import shutil

    from linernotes.review.build import build_store

    root = tmp_path / "audio"
    root.mkdir()
    shutil.copy(repo_root / "examples/audio/slow-rain-90bpm.flac", root / "a.flac")
    gold = tmp_path / "g.jsonl"
    rows = [{"id": "song", "audio_path": "a.flac", "ratings": [-4, 4, -4, 4], "mean": 0.0},
            {"id": "escape", "audio_path": "../g.jsonl", "ratings": [-4, 4, -4, 4], "mean": 0.0}]
    gold.write_text("".join(json.dumps(r) + "\n" for r in rows))
    store = tmp_path / "s.sqlite"
    build_store(store, gold=gold, audio_root=root)
    with TestClient(create_app(Settings(store=store, audio_root=root)), base_url=BASE) as c:
        assert c.get("/audio/song").content == (root / "a.flac").read_bytes()
        assert "<audio controls" in c.get("/item/song").text
        assert c.get("/audio/escape").status_code == 404


def test_token_mode_needs_login_and_wrong_token_fails(built_store):
    app = create_app(Settings(store=built_store, token="s3cret", loopback_only=False))
    with TestClient(app, base_url="http://review.lan:8765") as c:
        assert c.get("/").status_code == 401
        assert c.get("/login", params={"token": "nope"}).status_code == 401
        assert c.get("/api/queue", headers={"X-Review-Token": "s3cret"}).status_code == 200
        assert c.get("/login", params={"token": "s3cret"}).status_code == 200  # redirected to the queue
        assert c.get("/").status_code == 200


def test_loopback_server_rejects_foreign_host_names(built_store):
    with TestClient(create_app(Settings(store=built_store)), base_url="http://attacker.example") as c:
        assert c.get("/").status_code == 421


def test_non_loopback_bind_needs_token():
    check_bind("127.0.0.1", None)
    check_bind("::1", None)
    check_bind("0.0.0.0", "tok-" + "x7Q2pL9vB4nR1mZ8kW")
    with pytest.raises(BindError, match="needs --token"):
        check_bind("0.0.0.0", None)


@pytest.mark.parametrize("path,params,item", [("/decide/model-off", None, "/item/model-off"),
                                              ("/decide", {"id": ".."}, "/item?id=.."),
                                              ("/decide/a%2Fb c", None, "/item/a%2Fb%20c")])
def test_reloading_a_refused_decision_returns_to_the_item(client, path, params, item):
    """After a 409/422 the address bar shows /decide/...: reloading or bookmarking it (a GET) was a
    bare 405 'Method Not Allowed'; it leads back to the item page and changes nothing."""
    token = form_token(client.get("/item/model-off").text)
    r = client.post("/decide/model-off", data={"csrf_token": token, "version": "0", "action": "edit",
                                               "annotator": "a", "value_valence": "7"})
    assert r.status_code == 422
    before = client.get("/api/items/model-off").json()
    r = client.get(path, params=params, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == item
    assert client.get("/api/items/model-off").json() == before


def test_a_body_over_the_cap_or_without_a_length_is_refused_unread(client):
    """A new user's probe: a 50 MB JSON body was read and parsed in full before the comment limit
    refused it. Now 413 before the body is read, for JSON, forms and sign-in alike; 411 for a
    chunked body without a length; a normal decision still goes through."""
    from linernotes.review.web.security import MAX_BODY_BYTES

    big = b"x" * (MAX_BODY_BYTES + 1)
    headers = {"X-CSRF-Token": csrf(client), "Content-Type": "application/json"}
    for path in ("/api/adjudicate/model-off", "/decide/model-off", "/login"):
        r = client.post(path, content=big, headers=headers)
        assert r.status_code == 413 and "request body over" in r.text, (path, r.status_code)
    r = client.post("/api/adjudicate/model-off", content=iter([b"{", b"}"]), headers=headers)
    assert r.status_code == 411
    assert client.post("/api/adjudicate/model-off", content=b"{}", headers={**headers, "Content-Length": "2x"}
                       ).status_code == 400
    ok = post_json(client, "model-off", {"version": 0, "action": "accept_gold", "annotator": "ann"})
    assert ok.status_code == 200, ok.text


def test_history_shows_values_as_an_annotator_reads_them(client):
    """A new user's find: the item page's history printed each decision's from/to as a Python dict
    (``{'valence': None}`` -> ``{'valence': 0.5}``, HTML-escaped quotes and all)."""
    r = post_json(client, "model-off", {"annotator": "ann", "action": "edit", "version": 0, "values": {"valence": 0.5}})
    assert r.status_code == 200, r.text
    html = client.get("/item/model-off").text
    history = html[html.index('id="history"'):]
    history = history[:history.index("</table>")]
    cells = re.findall(r"<td>([^<]*)</td>", history)
    assert cells[-2:] == ["valence: +0.750", "valence: +0.500"], cells  # from the gold's value to the edit
    assert "{" not in history and "&#39;" not in history


def test_an_unknown_id_in_the_json_api_is_named(client):
    missing = post_json(client, "nope", {"annotator": "a", "action": "skip", "version": 0})
    assert missing.status_code == 404 and missing.json() == {"error": "not found", "detail": "no item 'nope' in the queue"}
    assert client.get("/api/items/no%20such").json()["detail"] == "no item 'no such' in the queue"
