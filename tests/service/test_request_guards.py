"""Request guards before any item is enriched. A request body over ``max_body_bytes`` is a 413
naming the limit, before the body is read whole (QA: a 300 MB item took ``liner serve`` from 0.48 to 1.23 GB RSS on its way to a per-field
error; a few such requests at once would kill it). The enricher is never reached."""

from __future__ import annotations

import json

from fastapi.testclient import TestClient

from linernotes.config import TagConfig
from linernotes.schema import OutputRecord
from linernotes.service.app import ServiceOptions, create_app


class Echo:
    """An enricher that answers every item ok without any model (the route under test is the body's)."""

    runtime = None

    async def enrich(self, row):
        return OutputRecord(id=row.item.id, status="error", error={"kind": "test.echo", "message": "echo"})

    def close(self) -> None:
        pass


def _client(max_body_bytes: int = 4096) -> TestClient:
    return TestClient(create_app(TagConfig(), ServiceOptions(max_body_bytes=max_body_bytes), enricher=Echo()),
                      base_url="http://127.0.0.1")


def test_a_body_over_the_limit_is_413_and_one_under_it_is_served() -> None:
    with _client() as client:
        big = client.post("/v1/enrich", json={"item": {"id": "a", "description": "w" * 5000}})
        small = client.post("/v1/enrich", json={"item": {"id": "a", "description": "w" * 100}})
    assert big.status_code == 413 and "limit is 4,096" in big.json()["detail"]
    assert small.status_code == 200 and small.json()["records"][0]["id"] == "a"


def test_a_chunked_body_is_counted_as_it_arrives_and_one_under_the_limit_still_reaches_the_route() -> None:
    def chunks(n: int):
        body = json.dumps({"item": {"id": "c", "description": "w" * n}}).encode()
        for i in range(0, len(body), 1000):
            yield body[i:i + 1000]

    with _client() as client:
        big = client.post("/v1/enrich", content=chunks(10_000), headers={"content-type": "application/json"})
        small = client.post("/v1/enrich", content=chunks(2_000), headers={"content-type": "application/json"})
    assert big.status_code == 413 and "4,096" in big.json()["detail"]
    assert small.status_code == 200 and small.json()["records"][0]["id"] == "c"


def test_an_unknown_top_level_key_is_a_422_naming_it() -> None:
    """QA: ``{"item": {...}, "llm": "always"}`` was served as if the key were not there."""
    with _client() as client:
        r = client.post("/v1/enrich", json={"item": {"id": "a"}, "llm": "always"})
        ok = client.post("/v1/enrich", json={"items": [{"id": "a", "anything": {"nested": [1]}}]})
    assert r.status_code == 422 and r.json()["detail"][0]["loc"] == ["body", "llm"]
    assert ok.status_code == 200  # unknown keys inside an item stay extra catalog fields


def test_a_body_that_cannot_be_parsed_is_a_422_saying_why_and_the_service_goes_on() -> None:
    """QA: bytes that are not UTF-8, arrays nested 100,000 deep and a 5,000-digit number were a
    400 "There was an error parsing the body", naming no reason."""
    bodies = {b'{"item": {"id": "a", "title": "\xff\xfe"}}': "not UTF-8 text (byte 31: invalid start byte)",
              b'{"item": {"id": "a", "x": ' + b"[" * 100_000 + b"]" * 100_000 + b"}}": "nested too deeply",
              b'{"item": {"id": "a", "x": ' + b"9" * 5_000 + b"}}": "digits",
              b'{"item": {"id": "a",}}': "Expecting property name enclosed in double quotes (at character 20)",
              # the catalog's rule (json_lines.parse_json): a repeated key is refused, not the last value kept
              b'{"item": {"id": "a", "title": "x", "id": "b"}}': "key 'id' appears twice in one object"}
    with _client(max_body_bytes=1 << 20) as client:
        for body, reason in bodies.items():
            r = client.post("/v1/enrich", content=body, headers={"content-type": "application/json"})
            assert r.status_code == 422, (body[:40], r.status_code, r.text)
            [problem] = r.json()["detail"]
            assert problem["msg"].startswith("the request body is not JSON: ") and reason in problem["msg"], problem
        assert client.post("/v1/enrich", json={"item": {"id": "a"}}).status_code == 200


def test_a_422_names_the_field_and_never_echoes_a_large_value() -> None:
    """QA: ``{"items": "<20 MB string>"}`` came back as a 20 MB 422 (FastAPI echoes each bad input)."""
    with _client() as client:
        wrong_type = client.post("/v1/enrich", json={"items": "x" * 3000})
        unknown_key = client.post("/v1/enrich", json={"item": {"id": "a"}, "options": {"k": "v" * 3000}})
        as_text = client.post("/v1/enrich", content=b'{"item": {"id": "a"}}', headers={"content-type": "text/plain"})
        empty = client.post("/v1/enrich", content=b"", headers={"content-type": "application/json"})
    for r in (wrong_type, unknown_key, as_text, empty):
        assert r.status_code == 422 and len(r.content) < 1000, (r.status_code, len(r.content))
    [p] = wrong_type.json()["detail"]
    assert p["loc"] == ["body", "items"] and p["msg"] == "items: Input should be a valid list"
    assert p["input"].startswith("a string of 3,000 characters")
    [p] = unknown_key.json()["detail"]
    assert p["msg"] == "options: not a field of the request (send 'item' or 'items')"
    [p] = as_text.json()["detail"]
    assert "sent as text/plain" in p["msg"] and "application/json" in p["msg"]
    [p] = empty.json()["detail"]
    assert p["msg"] == "the request body is empty: send a JSON object with 'item' or 'items'"


def test_a_client_gone_while_its_body_arrives_is_counted_not_raised() -> None:
    """QA: a chunked upload cut off mid-body raised ClientDisconnect out of the size guard: a
    traceback in the server's log and an uncounted request; one with a Content-Length was counted
    as a 400 'There was an error parsing the body'. Both are 499 now."""
    import asyncio

    app = create_app(TagConfig(), ServiceOptions(max_body_bytes=4096), enricher=Echo())

    def cut_off(length: bytes | None) -> dict:
        messages = iter([{"type": "http.request", "body": b'{"ite', "more_body": True}, {"type": "http.disconnect"}])
        sent: list[dict] = []

        async def receive() -> dict:
            return next(messages)

        async def send(message: dict) -> None:
            sent.append(message)

        size = [(b"content-length", length)] if length else [(b"transfer-encoding", b"chunked")]
        scope = {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "POST",
                 "scheme": "http", "path": "/v1/enrich", "raw_path": b"/v1/enrich", "query_string": b"",
                 "root_path": "", "headers": [(b"host", b"127.0.0.1"), (b"content-type", b"application/json"), *size],
                 "client": ("127.0.0.1", 5), "server": ("127.0.0.1", 80)}
        asyncio.run(app(scope, receive, send))
        return sent[0]

    for length in (None, b"100"):
        start = cut_off(length)
        assert start["type"] == "http.response.start" and start["status"] == 499, (length, start)
    with TestClient(app, base_url="http://127.0.0.1") as client:
        metrics = client.get("/metrics").text
    assert 'liner_requests_total{code="499",route="/v1/enrich"} 2.0' in metrics


def test_a_json_string_body_sent_as_json_is_told_so_not_to_send_json() -> None:
    """QA: the body '"x"' sent as application/json was told 'the request body was sent as
    application/json: send ... as application/json' (the branch for a body FastAPI did not parse)."""
    with _client() as client:
        for ctype in ("application/json", "application/json; charset=utf-8", "application/vnd.api+json"):
            r = client.post("/v1/enrich", content=b'"x"', headers={"content-type": ctype})
            [p] = r.json()["detail"]
            assert r.status_code == 422 and "sent as" not in p["msg"], (ctype, p)
            assert p["msg"] == "the request body is a JSON string, not an object: send a JSON object with 'item' or 'items'"
        as_text = client.post("/v1/enrich", content=b'{"item": {"id": "a"}}', headers={"content-type": "text/plain"})
    assert "sent as text/plain" in as_text.json()["detail"][0]["msg"]
