"""A STUB OpenAI-compatible chat endpoint: answers every request with the simplest JSON instance
of the schema it was asked for, after a fixed latency. Not a model — it exists so tests can run
200 items in seconds and benchmarks can measure the toolkit against a known, constant endpoint.

In-process (a background thread with its own event loop)::

    with StubServer(latency_ms=0) as stub:
        ... LLMConfig(model="openai/stub", api_base=stub.base_url) ...
        assert stub.count == n

As a separate process (so the stub never competes with the client for the GIL)::

    python -m linernotes.testing.openai_stub --port 8765 --latency-ms 200

``GET /stats`` returns ``{"requests": N, "in_flight": n, "max_in_flight": m, "busy_s": s}`` so a
caller can count a subprocess stub's calls and how many it was answering at once (``busy_s``: the
integral of ``in_flight`` over time; over a run's wall time, the mean in flight);
``GET /stats?reset=1`` starts ``max_in_flight`` and ``busy_s`` afresh after reporting them.
Fault injection builds on ``intercept``: an async hook that may return its own response.
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import contextlib
import json
import subprocess
import sys
import time
import urllib.request
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web

from linernotes.testing.background import BackgroundSite

Intercept = Callable[[dict[str, Any]], Awaitable[web.StreamResponse | None]]
"""``async def hook(request_json) -> response | None``: a response overrides the stub's answer."""


# -- the answer -------------------------------------------------------------------------------
def instance_of(schema: dict[str, Any], defs: dict[str, Any] | None = None) -> Any:
    """The minimal deterministic instance of a JSON schema: first enum value, ``minItems`` items,
    required properties only, numbers at their minimum, strings of ``minLength``."""
    defs = defs if defs is not None else schema.get("$defs") or schema.get("definitions") or {}
    if "$ref" in schema:
        return instance_of(defs[schema["$ref"].rsplit("/", 1)[-1]], defs)
    if "const" in schema:
        return schema["const"]
    if schema.get("enum"):
        return schema["enum"][0]
    for key in ("anyOf", "oneOf"):
        if schema.get(key):
            options = [s for s in schema[key] if s.get("type") != "null"] or schema[key]
            return instance_of(options[0], defs)
    if schema.get("allOf"):
        merged: dict[str, Any] = {}
        for part in schema["allOf"]:
            merged.update(part)
        return instance_of(merged, defs)
    kind = schema.get("type")
    if isinstance(kind, list):
        kind = next((k for k in kind if k != "null"), "null")
    if kind == "object" or (kind is None and "properties" in schema):
        props = schema.get("properties", {})
        return {name: instance_of(props[name], defs) for name in schema.get("required", []) if name in props}
    if kind == "array":
        n = int(schema.get("minItems", 0))
        items = schema.get("items") or {}
        return [instance_of(items, defs) for _ in range(n)]
    if kind == "string":
        return "x" * int(schema.get("minLength", 0))
    if kind in ("integer", "number"):
        low = schema.get("minimum", schema.get("exclusiveMinimum", 0))
        return int(low) if kind == "integer" else float(low)
    if kind == "boolean":
        return False
    return None


def requested_schema(request: dict[str, Any]) -> dict[str, Any] | None:
    """The JSON schema a chat request asks for: ``response_format`` (json_schema) or the first tool."""
    fmt = request.get("response_format") or {}
    if fmt.get("type") == "json_schema":
        js = fmt.get("json_schema") or {}
        return js.get("schema") or js.get("schema_") or {}
    tools = request.get("tools") or []
    if tools:
        return (tools[0].get("function") or {}).get("parameters") or {}
    return None


def make_answer(request: dict[str, Any]) -> dict[str, Any]:
    """The JSON object the stub answers a chat request with (deterministic in the request)."""
    schema = requested_schema(request)
    return instance_of(schema) if schema else {}


def completion_body(request: dict[str, Any], answer: dict[str, Any]) -> dict[str, Any]:
    """Wrap an answer in an OpenAI chat.completion envelope, with token counts of ~4 chars/token."""
    content = json.dumps(answer, separators=(",", ":"))
    prompt_chars = sum(len(str(m.get("content") or "")) for m in request.get("messages", []))
    usage = {"prompt_tokens": max(1, prompt_chars // 4), "completion_tokens": max(1, len(content) // 4)}
    usage["total_tokens"] = usage["prompt_tokens"] + usage["completion_tokens"]
    message: dict[str, Any] = {"role": "assistant", "content": content}
    finish = "stop"
    if not request.get("response_format") and request.get("tools"):
        name = request["tools"][0]["function"]["name"]
        message = {"role": "assistant", "content": None, "tool_calls": [
            {"id": "call_stub", "type": "function", "function": {"name": name, "arguments": content}}]}
        finish = "tool_calls"
    return {"id": "chatcmpl-stub", "object": "chat.completion", "created": int(time.time()),
            "model": str(request.get("model", "stub")), "system_fingerprint": "stub",
            "choices": [{"index": 0, "message": message, "finish_reason": finish}], "usage": usage}


# -- the server -------------------------------------------------------------------------------
class StubState:
    """What the server counts; shared by the handlers and the owner (thread-safe enough for ints)."""

    def __init__(self, latency_ms: float, keep: int, intercept: Intercept | None):
        self.latency_s = latency_ms / 1000.0
        self.count = 0
        self.requests: collections.deque[dict[str, Any]] = collections.deque(maxlen=keep)
        self.intercept = intercept
        self.in_flight = 0  # requests being answered now (from the body read to the response)
        self.max_in_flight = 0
        self.busy_s = 0.0
        self._since = time.monotonic()

    def _account(self, delta: int) -> None:
        now = time.monotonic()
        self.busy_s += self.in_flight * (now - self._since)
        self._since = now
        if delta:  # only the server's loop changes the count (stats() may run on another thread)
            self.in_flight += delta
            self.max_in_flight = max(self.max_in_flight, self.in_flight)

    def stats(self, reset: bool = False) -> dict[str, Any]:
        self._account(0)
        out = {"requests": self.count, "in_flight": self.in_flight, "max_in_flight": self.max_in_flight,
               "busy_s": round(self.busy_s, 4)}
        if reset:
            self.max_in_flight, self.busy_s = self.in_flight, 0.0
        return out


def build_app(state: StubState) -> web.Application:
    async def chat(request: web.Request) -> web.StreamResponse:
        body = await request.json()
        state.count += 1
        state.requests.append(body)
        state._account(+1)
        try:
            if state.latency_s:
                await asyncio.sleep(state.latency_s)
            if state.intercept is not None:
                override = await state.intercept(body)
                if override is not None:
                    return override
            return web.json_response(completion_body(body, make_answer(body)))
        finally:
            state._account(-1)

    async def models(_: web.Request) -> web.StreamResponse:
        return web.json_response({"object": "list", "data": [{"id": "stub", "object": "model"}]})

    async def stats(request: web.Request) -> web.StreamResponse:
        return web.json_response(state.stats(reset=request.query.get("reset") == "1"))

    app = web.Application(client_max_size=64 * 1024 * 1024)
    app.router.add_post("/v1/chat/completions", chat)
    app.router.add_post("/chat/completions", chat)
    app.router.add_get("/v1/models", models)
    app.router.add_get("/stats", stats)
    return app


class StubServer:
    """The stub on a free 127.0.0.1 port, served from a background thread. Use as a context manager.

    ``requests`` keeps the last ``keep`` request bodies (bounded, so a 1M-call benchmark stays
    small); ``count`` counts them all.
    """

    def __init__(self, latency_ms: float = 0.0, *, port: int = 0, keep: int = 1000,
                 intercept: Intercept | None = None):
        self.state = StubState(latency_ms, keep, intercept)
        self.port = port
        self._site = BackgroundSite(lambda: build_app(self.state), port=port, name="openai-stub", backlog=1024)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    @property
    def count(self) -> int:
        return self.state.count

    @property
    def requests(self) -> collections.deque[dict[str, Any]]:
        return self.state.requests

    def stats(self, reset: bool = False) -> dict[str, Any]:
        """Requests so far, in flight now, most in flight at once and busy call-seconds (since the
        last ``reset``); ``reset`` starts the last two afresh."""
        return self.state.stats(reset)

    def start(self) -> StubServer:
        self.port = self._site.start()
        return self

    def stop(self) -> None:
        self._site.stop()

    def __enter__(self) -> StubServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


class StubProcess:
    """The stub in its own process (``python -m linernotes.testing.openai_stub``): what benchmarks
    use, so the endpoint never shares the measured client's GIL. ``count`` asks ``/stats``."""

    def __init__(self, latency_ms: float = 0.0):
        self.latency_ms = latency_ms
        self.base_url = ""
        self._proc: subprocess.Popen[str] | None = None

    def __enter__(self) -> StubProcess:
        self._proc = subprocess.Popen([sys.executable, "-m", "linernotes.testing.openai_stub", "--port", "0",
                                       "--latency-ms", str(self.latency_ms)], stdout=subprocess.PIPE, text=True)
        line = self._proc.stdout.readline()
        if not line.startswith("stub listening on "):
            self.__exit__()
            raise RuntimeError(f"stub did not start: {line!r}")
        self.base_url = line.split()[-1]
        return self

    @property
    def pid(self) -> int:
        assert self._proc is not None, "not started"
        return self._proc.pid

    @property
    def count(self) -> int:
        return int(self.stats()["requests"])

    def stats(self, reset: bool = False) -> dict[str, Any]:
        """``GET /stats`` (``?reset=1`` with ``reset``): see the module's docstring."""
        url = self.base_url.removesuffix("/v1") + "/stats" + ("?reset=1" if reset else "")
        with urllib.request.urlopen(url, timeout=10) as r:
            return dict(json.loads(r.read()))

    def __exit__(self, *exc: object) -> None:
        if self._proc is not None:
            self._proc.terminate()
            self._proc.wait(10)
            self._proc = None


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(prog="python -m linernotes.testing.openai_stub",
                                 description="STUB OpenAI-compatible endpoint (not a model).")
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--latency-ms", type=float, default=0.0)
    args = ap.parse_args(argv)

    async def serve() -> None:
        state = StubState(args.latency_ms, 1000, None)
        runner = web.AppRunner(build_app(state), access_log=None)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", args.port, backlog=1024)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]
        print(f"stub listening on http://127.0.0.1:{port}/v1", flush=True)
        await asyncio.Event().wait()

    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(serve())


if __name__ == "__main__":
    main()
