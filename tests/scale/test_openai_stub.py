"""The STUB endpoint: schema-valid deterministic answers, latency, request counting, subprocess mode."""

from __future__ import annotations

import json
import subprocess
import sys
import time
import urllib.request

import pytest

from linernotes.testing.openai_stub import StubServer, instance_of, make_answer


def _post(url: str, body: dict) -> dict:
    req = urllib.request.Request(url + "/chat/completions", data=json.dumps(body).encode(),
                                 headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=10) as r:
        return json.loads(r.read())


SCHEMA = {
    "type": "object",
    "required": ["genres", "valence", "explicit", "n", "nested"],
    "properties": {
        "genres": {"type": "array", "minItems": 2, "items": {"type": "string", "enum": ["techno", "house"]}},
        "valence": {"type": "string", "enum": ["neutral", "positive"]},
        "explicit": {"type": "boolean"},
        "n": {"type": "integer", "minimum": 3},
        "nested": {"$ref": "#/$defs/Inner"},
        "optional": {"type": "string"},
    },
    "$defs": {"Inner": {"type": "object", "required": ["s"], "properties": {"s": {"type": "string", "minLength": 2}}}},
}


def test_instance_of_is_the_minimal_valid_instance() -> None:
    assert instance_of(SCHEMA) == {"genres": ["techno", "techno"], "valence": "neutral", "explicit": False, "n": 3,
                                   "nested": {"s": "xx"}}
    assert instance_of({"anyOf": [{"type": "null"}, {"type": "number", "minimum": 0.5}]}) == 0.5


def test_make_answer_reads_response_format_and_tools() -> None:
    rf = {"response_format": {"type": "json_schema", "json_schema": {"name": "X", "schema": SCHEMA}}}
    tools = {"tools": [{"type": "function", "function": {"name": "X", "parameters": SCHEMA}}]}
    assert make_answer(rf) == make_answer(tools) == instance_of(SCHEMA)
    assert make_answer({"messages": []}) == {}


def test_server_answers_counts_and_waits() -> None:
    body = {"model": "stub", "messages": [{"role": "user", "content": "x" * 400}],
            "response_format": {"type": "json_schema", "json_schema": {"name": "X", "schema": SCHEMA}}}
    with StubServer(latency_ms=200) as stub:
        t = time.perf_counter()
        out = _post(stub.base_url, body)
        took = time.perf_counter() - t
        assert stub.count == 1 and stub.requests[0] == body
    assert took >= 0.2
    assert json.loads(out["choices"][0]["message"]["content"]) == instance_of(SCHEMA)
    assert out["usage"]["prompt_tokens"] == 100


def test_intercept_overrides_the_answer() -> None:
    from aiohttp import web

    async def fail(body: dict):
        return web.json_response({"error": {"message": "boom"}}, status=500) if body.get("model") == "bad" else None

    with StubServer(intercept=fail) as stub:
        assert "choices" in _post(stub.base_url, {"model": "good", "messages": []})
        with pytest.raises(urllib.error.HTTPError) as e:
            _post(stub.base_url, {"model": "bad", "messages": []})
        assert e.value.code == 500 and stub.count == 2


def test_runs_as_a_separate_process() -> None:
    proc = subprocess.Popen([sys.executable, "-m", "linernotes.testing.openai_stub", "--port", "0"],
                            stdout=subprocess.PIPE, text=True)
    try:
        url = proc.stdout.readline().split()[-1]
        _post(url, {"model": "stub", "messages": []})
        with urllib.request.urlopen(url.removesuffix("/v1") + "/stats", timeout=10) as r:
            stats = json.loads(r.read())
        assert (stats["requests"], stats["in_flight"], stats["max_in_flight"]) == (1, 0, 1)
    finally:
        proc.terminate()
        proc.wait(10)


def test_stop_ends_the_serving_thread_while_a_request_is_still_waiting():
    """A handler still sleeping (a slow or hanging answer) must not keep the server's thread
    alive past ``stop``: it would be torn down mid-cleanup at interpreter exit."""
    import threading

    stub = StubServer(latency_ms=60_000).start()
    client = threading.Thread(target=lambda: _post_quietly(stub.base_url), daemon=True)
    client.start()
    deadline = time.monotonic() + 10
    while stub.count == 0 and time.monotonic() < deadline:
        time.sleep(0.05)
    assert stub.count == 1, "the request never reached the stub"
    serving = stub._site._thread  # noqa: SLF001 (the thread is what must end)
    stub.stop()
    assert serving is not None and not serving.is_alive()


def _post_quietly(url: str) -> None:
    import contextlib

    with contextlib.suppress(Exception):  # the server goes away under it; that is the point
        _post(url, {"messages": []})
