"""The HTTP transport reads an answer of at most ``llm.fast.MAX_ANSWER_BYTES``: a bigger one is a
``server_error`` naming its size, whether its length is announced or it simply keeps coming, and
the same error record under relayed workers as in one process (QA relay20: a 10 MB answer was
read whole, C of them at once in the run's process). Real sockets; the bound is lowered for speed."""

from __future__ import annotations

import asyncio
import json
import threading
from pathlib import Path

import pytest
from aiohttp import web

from linernotes.config import TagConfig
from linernotes.llm import fast
from linernotes.llm.client import LLMClient, LLMConfig
from linernotes.llm.errors import LLMError
from linernotes.run.parallel import run_parallel
from linernotes.run.runner import RunOptions, run_batch
from linernotes.testing.synthetic import write_catalog

LIMIT = 64 * 1024


class BigAnswers:
    """A loopback server answering every chat completion with ``size`` bytes of JSON-ish padding,
    announced (Content-Length) or chunked."""

    def __init__(self, size: int, chunked: bool):
        self.size, self.chunked = size, chunked
        self.loop = asyncio.new_event_loop()
        self.ready = threading.Event()
        self.thread = threading.Thread(target=self._serve, daemon=True)

    async def _answer(self, request: web.Request) -> web.StreamResponse:
        await request.read()
        if not self.chunked:
            return web.Response(body=b" " * self.size, content_type="application/json")
        resp = web.StreamResponse()
        resp.enable_chunked_encoding()
        await resp.prepare(request)
        sent = 0
        while sent < self.size:
            with_ok = min(16 * 1024, self.size - sent)
            await resp.write(b" " * with_ok)
            sent += with_ok
        await resp.write_eof()
        return resp

    def _serve(self) -> None:
        asyncio.set_event_loop(self.loop)
        app = web.Application()
        app.router.add_post("/v1/chat/completions", self._answer)
        runner = web.AppRunner(app)
        self.loop.run_until_complete(runner.setup())
        site = web.TCPSite(runner, "127.0.0.1", 0)
        self.loop.run_until_complete(site.start())
        self.port = site._server.sockets[0].getsockname()[1]
        self.ready.set()
        self.loop.run_forever()

    def __enter__(self) -> str:
        self.thread.start()
        self.ready.wait(10)
        return f"http://127.0.0.1:{self.port}/v1"

    def __exit__(self, *exc: object) -> None:
        self.loop.call_soon_threadsafe(self.loop.stop)


@pytest.fixture(autouse=True)
def small_bound(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(fast, "MAX_ANSWER_BYTES", LIMIT)
    monkeypatch.setenv("OPENAI_API_KEY", "sk-stub-not-a-key")


@pytest.mark.parametrize("chunked", [False, True])
def test_an_answer_over_the_bound_is_a_server_error_naming_it(chunked: bool) -> None:
    from pydantic import BaseModel

    class Out(BaseModel):
        value: int

    with BigAnswers(LIMIT * 4, chunked) as base:
        client = LLMClient(LLMConfig(model="openai/stub", api_base=base, use_cache=False, max_retries=0))
        with pytest.raises(LLMError) as e:
            asyncio.run(client.structured([{"role": "user", "content": "x"}], Out))
    assert e.value.kind == "server_error", e.value
    assert str(e.value).startswith("AnswerTooLarge: HTTP 200: an answer of ")
    assert f"{LIMIT:,}" in str(e.value)


def test_an_answer_at_the_bound_is_read() -> None:
    """Exactly ``MAX_ANSWER_BYTES`` is read whole (then refused as not a completion, as before)."""
    with BigAnswers(LIMIT, chunked=True) as base:
        req = fast.Request(fast.chat_url(base), b"{}", {}, 10.0)
        answer = asyncio.run(fast.FastTransport().exchange(req))
    assert (answer.status, len(answer.body)) == (200, LIMIT)


@pytest.mark.slow
def test_relayed_workers_give_the_same_error_record(tmp_path: Path) -> None:
    catalog = write_catalog(tmp_path / "c.jsonl", 4)
    with BigAnswers(LIMIT * 4, chunked=True) as base:
        cfg = TagConfig(llm=LLMConfig(model="openai/stub", api_base=base, use_cache=False, max_retries=0),
                        llm_mode="always")
        asyncio.run(run_batch(cfg, RunOptions(input=catalog, output=tmp_path / "one.jsonl", concurrency=2)))
        asyncio.run(run_parallel(cfg, RunOptions(input=catalog, output=tmp_path / "two.jsonl", concurrency=2), 2))

    def errors(name: str) -> dict[str, tuple[str, str]]:
        rows = [json.loads(line) for line in (tmp_path / name).read_text().splitlines()]
        return {r["id"]: (r["error"]["kind"], r["error"]["message"]) for r in rows}

    one = errors("one.jsonl")
    assert errors("two.jsonl") == one
    assert {k for k, _ in one.values()} == {"llm.server_error"}
    assert all(m.startswith("AnswerTooLarge: ") for _, m in one.values()), one
