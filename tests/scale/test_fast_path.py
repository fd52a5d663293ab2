"""The opt-in fast path (linernotes.llm.fast) answers exactly as Instructor-on-LiteLLM does, and its
failures are classified and retried the same way. The endpoint is the STUB server."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest
from aiohttp import web
from pydantic import BaseModel, Field

from linernotes.config import TagConfig
from linernotes.llm.client import LLMClient, LLMConfig, LLMError
from linernotes.run.runner import RunOptions, run_batch
from linernotes.testing.openai_stub import StubServer
from linernotes.testing.synthetic import write_catalog


class Answer(BaseModel):
    label: str = Field(json_schema_extra={"enum": ["a", "b"]})
    n: int


@pytest.fixture(autouse=True)
def _fake_key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-stub-not-a-key")


def client(stub: StubServer, transport: str, **kw) -> LLMClient:
    return LLMClient(LLMConfig(model="openai/stub", api_base=stub.base_url, use_cache=False, transport=transport,
                               backoff_base_s=0.01, **kw))


def test_fast_path_records_equal_litellm_records(tmp_path: Path) -> None:
    catalog = write_catalog(tmp_path / "c.jsonl", 12)
    lines = {}
    with StubServer() as stub:
        for transport in ("litellm", "fast"):
            cfg = TagConfig(llm=LLMConfig(model="openai/stub", api_base=stub.base_url, use_cache=False,
                                          transport=transport))
            out = tmp_path / f"{transport}.jsonl"
            s = asyncio.run(run_batch(cfg, RunOptions(input=catalog, output=out, concurrency=4)))
            assert s.ok == 12 and s.tokens_in > 0
            recs = {}
            for line in out.read_text().splitlines():
                r = json.loads(line)
                for k in ("latency_s",):
                    r["enrichment"]["provenance"].pop(k)
                recs[r["id"]] = r
            lines[transport] = recs
        bodies = list(stub.requests)
    assert lines["fast"] == lines["litellm"]
    litellm_body, fast_body = bodies[0], bodies[-1]
    assert fast_body["response_format"]["json_schema"]["name"] == litellm_body["response_format"]["json_schema"]["name"]
    assert {k: fast_body[k] for k in ("model", "max_tokens", "seed", "temperature")} == \
        {k: litellm_body[k] for k in ("model", "max_tokens", "seed", "temperature")}


def test_fast_path_retries_on_429_with_retry_after_and_classifies_500() -> None:
    seen = {"n": 0}

    async def flaky(body: dict):
        seen["n"] += 1
        if body["messages"][0]["content"] == "always 500":
            return web.json_response({"error": "down"}, status=500)
        if seen["n"] == 1:
            return web.json_response({"error": "slow down"}, status=429, headers={"Retry-After": "0"})
        return None

    with StubServer(intercept=flaky) as stub:
        c = client(stub, "fast", max_retries=2)
        value, usage = asyncio.run(c.structured([{"role": "user", "content": "hi"}], Answer))
        assert value == Answer(label="a", n=0) and usage.calls == 2 and usage.retries == 1
        with pytest.raises(LLMError) as e:
            asyncio.run(c.structured([{"role": "user", "content": "always 500"}], Answer))
    assert e.value.kind == "server_error" and e.value.usage.calls == 3


def test_fast_path_bad_json_is_a_bad_response() -> None:
    async def garbage(body: dict):
        return web.json_response({"choices": [{"message": {"content": "{not json"}}], "usage": {}})

    with StubServer(intercept=garbage) as stub, pytest.raises(LLMError) as e:
        asyncio.run(client(stub, "fast", max_retries=0).structured([{"role": "user", "content": "x"}], Answer))
    assert e.value.kind == "bad_response"
