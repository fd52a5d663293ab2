"""The LLM client against the stub endpoint (a named test double): a broken answer is retried
with a perturbed sampler, since greedy decoding would repeat it verbatim."""

from __future__ import annotations

import asyncio

from aiohttp import web
from pydantic import BaseModel

from linernotes.llm.client import LLMClient, LLMConfig
from linernotes.testing.openai_stub import StubServer


class Answer(BaseModel):
    label: str


def test_bad_response_is_retried_with_a_perturbed_sampler(monkeypatch) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test-not-a-real-key")
    seen: list[dict] = []

    async def truncate_first(body: dict):
        seen.append(body)
        if len(seen) == 1:  # first answer: JSON cut short, as a looping small model produces
            return web.json_response({"id": "x", "object": "chat.completion", "created": 0, "model": "stub",
                                      "choices": [{"index": 0, "finish_reason": "stop",
                                                   "message": {"role": "assistant", "content": '{"label": "ok'}}],
                                      "usage": {"prompt_tokens": 5, "completion_tokens": 3, "total_tokens": 8}})
        return None

    with StubServer(intercept=truncate_first) as stub:
        client = LLMClient(LLMConfig(model="openai/stub", api_base=stub.base_url, use_cache=False,
                                     backoff_base_s=0.01, max_retries=2))
        value, usage = asyncio.run(client.structured([{"role": "user", "content": "hi"}], Answer))
    assert isinstance(value, Answer)
    assert usage.calls == 2 and usage.tokens_in >= 5, "the failed attempt's tokens are counted"
    assert seen[0]["temperature"] == 0.0
    assert seen[1]["temperature"] > 0.0 and seen[1]["seed"] != seen[0]["seed"]
