"""An answer that parsed is kept whatever its usage block says (QA qa-valence17). The token
counts are read after the answer (and after its call slot was freed, ``llm.window.Held``); on
the HTTP transport ``"prompt_tokens": "many"`` or ``"12.0"`` raised ValueError there, so the
answered call was retried with ``max_retries`` 2: three paid requests, then an LLMError. A
negative count was added as it came (tokens_in -5). The endpoint is the STUB (a named test
double) with an intercept that writes the usage block."""

from __future__ import annotations

import asyncio

import pytest
from aiohttp import web
from pydantic import BaseModel

from linernotes.llm.client import LLMClient, LLMConfig
from linernotes.testing.openai_stub import StubServer


class Answer(BaseModel):
    label: str


@pytest.mark.parametrize(("usage", "tokens"), [
    ({"prompt_tokens": "many", "completion_tokens": 3}, (0, 3)),
    ({"prompt_tokens": "12.0", "completion_tokens": "3"}, (12, 3)),
    ({"prompt_tokens": -5, "completion_tokens": -3}, (0, 0)),
    ({"prompt_tokens": 7, "completion_tokens": True}, (7, 0)),
    ({"prompt_tokens": 7, "completion_tokens": 3, "prompt_tokens_details": {"cached_tokens": -2}}, (7, 3)),
    ({"prompt_tokens": 7.9, "completion_tokens": 3}, (7, 3)),
])
def test_an_answer_with_an_odd_usage_block_is_kept_and_counted_once(monkeypatch, usage, tokens) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test-not-a-real-key")

    async def odd_usage(body: dict):
        return web.json_response({"id": "x", "object": "chat.completion", "created": 0, "model": "stub",
                                  "choices": [{"index": 0, "finish_reason": "stop",
                                               "message": {"role": "assistant", "content": '{"label": "a"}'}}],
                                  "usage": usage})

    with StubServer(intercept=odd_usage) as stub:
        client = LLMClient(LLMConfig(model="openai/stub", api_base=stub.base_url, use_cache=False, transport="fast",
                                     backoff_base_s=0.01, max_retries=2))
        value, got = asyncio.run(client.structured([{"role": "user", "content": "q"}], Answer))
        requests = stub.count
    assert value == Answer(label="a")
    assert requests == 1 and got.calls == 1 and got.retries == 0
    assert (got.tokens_in, got.tokens_out) == tokens and got.tokens_cached == 0
    assert got.cost_usd is None or got.cost_usd >= 0
    assert client.window.in_flight == 0
