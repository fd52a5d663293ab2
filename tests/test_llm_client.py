"""The LLM client against the stub endpoint (a named test double): a broken answer is retried
with a perturbed sampler, since greedy decoding would repeat it verbatim."""

from __future__ import annotations

import asyncio

import pytest
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


def _enum_schema(labels: list[str]) -> dict:
    schema = Answer.model_json_schema()
    return {**schema, "properties": {"label": {**schema["properties"]["label"], "enum": labels}}}


def test_a_per_call_schema_is_sent_on_both_transports_and_concurrent_calls_keep_their_own(monkeypatch) -> None:
    """extract sends one schema per item (the item's candidate ids as enums) with a shared parse
    class; each concurrent call must carry its own schema, under Instructor and the fast path."""
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test-not-a-real-key")
    with StubServer(latency_ms=20) as stub:
        for transport in ("litellm", "fast"):
            stub.requests.clear()
            client = LLMClient(LLMConfig(model="openai/stub", api_base=stub.base_url, use_cache=False,
                                         transport=transport))
            schemas = {f"item-{i}": _enum_schema([f"label-{i}", f"other-{i}"]) for i in range(6)}

            async def all_calls(client: LLMClient = client, schemas: dict = schemas) -> list:
                return await asyncio.gather(*(client.structured([{"role": "user", "content": k}], Answer, s)
                                              for k, s in schemas.items()))

            results = asyncio.run(all_calls())
            assert all(isinstance(v, Answer) for v, _ in results)
            sent = {r["messages"][-1]["content"]: r["response_format"]["json_schema"] for r in stub.requests}
            assert len(sent) == 6, transport
            for key, schema in schemas.items():
                assert sent[key]["name"] == "Answer"
                assert sent[key]["schema"]["properties"]["label"]["enum"] == schema["properties"]["label"]["enum"], (
                    transport, key)
            # the stub answers from the schema it got, so the parsed labels prove the round trip
            assert sorted(v.label.split("-")[1] for v, _ in results) == [str(i) for i in range(6)], transport


def test_the_cache_key_follows_the_sent_schema() -> None:
    client = LLMClient(LLMConfig(model="openai/stub", api_base="http://127.0.0.1:9", use_cache=False))
    msgs = [{"role": "user", "content": "x"}]
    assert client.key_for(msgs, Answer) == client.key_for(msgs, Answer, Answer.model_json_schema())
    assert client.key_for(msgs, Answer, _enum_schema(["a"])) != client.key_for(msgs, Answer, _enum_schema(["b"]))


def test_the_http_transport_is_the_default_for_openai_models_on_an_api_base_only() -> None:
    """issue 16: auto picks HTTP where it applies (openai/... + api_base, json_schema); LiteLLM for
    the rest; an explicit --transport wins."""
    from linernotes.llm.transports import select

    def name(**kw) -> str:
        return select(LLMConfig(**kw), None).name

    base = "http://127.0.0.1:9/v1"
    assert name(model="openai/m", api_base=base) == "http"
    assert name(model="openai/m", api_base=base, transport="litellm") == "litellm"
    assert name(model="openai/m") == "litellm", "no --api-base: the provider's own endpoint, via LiteLLM"
    assert name(model="anthropic/claude-x", api_base=base) == "litellm"
    assert name(model="openai/m", api_base=base, mode="tools") == "litellm"
    assert name(model="anthropic/claude-x", api_base=base, transport="http") == "litellm", "http cannot carry it"


@pytest.mark.parametrize("spelt", ["http://127.0.0.1:8080/v1/", "http://127.0.0.1:8080/v1//", " http://127.0.0.1:8080/v1 "])
def test_an_endpoint_has_one_spelling(spelt):
    """Trailing slashes and surrounding spaces do not make another endpoint (nor another resume
    identity); a blank api_base is none."""
    assert LLMConfig(api_base=spelt).api_base == "http://127.0.0.1:8080/v1"
    assert LLMConfig(api_base="  ").api_base is None and LLMConfig().api_base is None


def test_the_call_slot_is_freed_where_the_answer_is_read_not_when_the_caller_resumes(monkeypatch) -> None:
    """``--concurrency`` bounds requests at the endpoint: a call's slot is freed by the task that
    read its answer (``asyncio.wait_for``'s), a loop pass before the caller itself resumes, and
    exactly once per call, a retried one included (the slot is kept through the retry). On Python
    3.12+ ``wait_for`` awaits the call in the caller's own task, so there the caller reads the
    answer and frees the slot (before, this test failed there: six releases by the caller)."""
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test-not-a-real-key")
    calls: list[dict] = []

    async def truncate_third(body: dict):
        calls.append(body)
        if len(calls) == 3:  # one broken answer: that call retries, holding its slot
            return web.json_response({"id": "x", "object": "chat.completion", "created": 0, "model": "stub",
                                      "choices": [{"index": 0, "finish_reason": "stop",
                                                   "message": {"role": "assistant", "content": '{"label": "o'}}],
                                      "usage": {"prompt_tokens": 5, "completion_tokens": 3, "total_tokens": 8}})
        return None

    with StubServer(latency_ms=10, intercept=truncate_third) as stub:
        client = LLMClient(LLMConfig(model="openai/stub", api_base=stub.base_url, use_cache=False, transport="fast",
                                     backoff_base_s=0.01, max_retries=2))
        client.window.resize(2)
        released_by: list[bool] = []
        callers: set = set()
        release = client.window._release

        def spy() -> None:
            released_by.append(asyncio.current_task() in callers)
            assert 0 <= client.window.in_flight - 1 < 2
            release()

        monkeypatch.setattr(client.window, "_release", spy)

        async def one(i: int) -> Answer:
            callers.add(asyncio.current_task())
            value, _ = await client.structured([{"role": "user", "content": f"q{i}"}], Answer)
            return value

        async def go() -> tuple[list, bool]:
            return await asyncio.gather(*(one(i) for i in range(6))), await _wait_for_runs_in_caller()

        answers, in_caller = asyncio.run(go())
        assert all(isinstance(v, Answer) for v in answers)
    assert len(calls) == 7  # six calls, one of them retried once
    assert released_by == [in_caller] * 6  # six releases, each by the task that read the answer
    assert client.window.in_flight == 0 and client.window.peak == 2


async def _wait_for_runs_in_caller() -> bool:
    """Whether ``asyncio.wait_for`` awaits a coroutine in the calling task (Python 3.12+) rather
    than in a task of its own (3.11)."""
    async def which() -> asyncio.Task | None:
        return asyncio.current_task()

    return await asyncio.wait_for(which(), timeout=5) is asyncio.current_task()
