"""The LLM client's failure kinds, usage accounting and cache identity, against the stub endpoint
(a named test double) and real files: a call the SDK refuses to send is ``config`` and never
retried; every billed attempt of a failed call is counted; the cache key changes with the
endpoint and with the model file's content."""

from __future__ import annotations

import asyncio
import os
import time
from pathlib import Path

import openai
import pytest
from aiohttp import web
from pydantic import BaseModel

from linernotes.llm.client import LLMClient, LLMConfig, LLMError, classify
from linernotes.llm.transports import import_litellm
from linernotes.testing.openai_stub import StubServer


class Answer(BaseModel):
    label: str


MSGS = [{"role": "user", "content": "hi"}]


def _call(client: LLMClient) -> tuple[Answer, object]:
    return asyncio.run(client.structured(MSGS, Answer))


# -- item 4: what happened, not an invented status ----------------------------------------------
@pytest.mark.parametrize("transport", ["auto", "litellm"])
def test_a_missing_api_key_is_config_not_sent_and_not_retried(monkeypatch, transport) -> None:
    """The issue's input: no OPENAI_API_KEY, an openai/ model on a local endpoint. The default
    (auto: the HTTP transport for this model) refuses exactly as the LiteLLM path does."""
    monkeypatch.setenv("OPENAI_API_KEY", "")  # the SDK treats an empty key as none
    monkeypatch.delenv("OPENAI_ADMIN_KEY", raising=False)
    with StubServer() as stub:
        client = LLMClient(LLMConfig(model="openai/x", api_base=stub.base_url, use_cache=False, max_retries=4,
                                     backoff_base_s=1.0, transport=transport))
        assert client.transport().name == ("http" if transport == "auto" else "litellm")
        with pytest.raises(LLMError):  # the first call pays LiteLLM's lazy imports: time the second
            _call(client)
        t = time.monotonic()
        with pytest.raises(LLMError) as e:
            _call(client)
        elapsed = time.monotonic() - t
        assert len(stub.requests) == 0, "no request left the process"
    assert e.value.kind == "config"
    assert "no request was sent" in str(e.value) and "OPENAI_API_KEY" in str(e.value)
    assert e.value.usage.calls == 0 and client.calls == 0, "a request never sent is not a call"
    assert elapsed < 0.5, f"retried a call that cannot succeed ({elapsed:.1f}s; a 1 s backoff would show)"


def test_a_model_string_no_provider_routes_is_config_without_any_request(monkeypatch) -> None:
    """Same kind, my input: LiteLLM cannot route the model string at all."""
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test-not-a-real-key")
    with StubServer() as stub:
        client = LLMClient(LLMConfig(model="no-such-provider-model-xyz", api_base=stub.base_url,
                                     use_cache=False, max_retries=3, backoff_base_s=1.0))
        import_litellm()  # its first import takes seconds on a loaded box: time the refusal, not the import
        t = time.monotonic()
        with pytest.raises(LLMError) as e:
            _call(client)
        assert time.monotonic() - t < 0.5, "not retried (a 1 s backoff would show)"
        assert len(stub.requests) == 0
    assert e.value.kind == "config" and "no-such-provider-model-xyz" in str(e.value)
    assert e.value.usage.calls == 0


def test_classify_reads_the_exception_chain_not_the_invented_status() -> None:
    import httpx
    import litellm

    refused = openai.OpenAIError("Missing credentials")
    wrapped = litellm.InternalServerError("OpenAIException - Missing credentials", llm_provider="openai",
                                          model="x")
    wrapped.__cause__ = refused
    assert wrapped.status_code == 500  # what LiteLLM claims
    assert classify(wrapped) == "config"
    # a real 500 answer is still a server error, a real 401 is auth, a refused connection is no response
    req = httpx.Request("POST", "http://127.0.0.1:9/v1/chat/completions")
    real500 = openai.InternalServerError("boom", response=httpx.Response(500, request=req), body=None)
    assert classify(real500) == "server_error"
    real401 = openai.AuthenticationError("bad key", response=httpx.Response(401, request=req), body=None)
    assert classify(real401) == "auth"
    conn = litellm.InternalServerError("Connection error", llm_provider="openai", model="x")
    conn.__cause__ = openai.APIConnectionError(request=req)
    assert classify(conn) == "connection"


def test_a_refused_connection_is_connection_and_bounded(monkeypatch) -> None:
    """No server at all: each attempt is a (failed) request; retried at most --retries times."""
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test-not-a-real-key")
    import socket

    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()  # nothing listens here now
    client = LLMClient(LLMConfig(model="openai/x", api_base=f"http://127.0.0.1:{port}/v1", use_cache=False,
                                 max_retries=1, backoff_base_s=0.01, timeout_s=5))
    with pytest.raises(LLMError) as e:
        _call(client)
    assert e.value.kind == "connection"
    assert e.value.usage.calls == 2


# -- item 5: every attempt's usage --------------------------------------------------------------
def _bad_answer(body: dict) -> web.Response:
    return web.json_response({"id": "x", "object": "chat.completion", "created": 0, "model": "stub",
                              "choices": [{"index": 0, "finish_reason": "stop",
                                           "message": {"role": "assistant", "content": '{"label": 42}'}}],
                              "usage": {"prompt_tokens": 7, "completion_tokens": 3, "total_tokens": 10}})


@pytest.mark.parametrize("transport", ["auto", "litellm"])
def test_a_call_whose_every_answer_breaks_the_schema_reports_all_billed_attempts(monkeypatch, transport) -> None:
    """Both wires count the billed tokens of answers that break the schema (auto: HTTP)."""
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test-not-a-real-key")

    async def always_bad(body: dict):
        return _bad_answer(body)

    with StubServer(intercept=always_bad) as stub:
        client = LLMClient(LLMConfig(model="openai/stub", api_base=stub.base_url, use_cache=False,
                                     backoff_base_s=0.01, max_retries=2, transport=transport))
        with pytest.raises(LLMError) as e:
            _call(client)
        sent = len(stub.requests)
    assert e.value.kind == "bad_response"
    assert sent == 3
    u = e.value.usage
    assert (u.calls, u.tokens_in, u.tokens_out, u.retries) == (3, 21, 9, 2)


def test_usage_of_a_call_that_fails_twice_then_succeeds_counts_three_attempts(monkeypatch) -> None:
    """Same kind, my input: the failed attempts before a success are billed too."""
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test-not-a-real-key")
    n = {"seen": 0}

    async def bad_twice(body: dict):
        n["seen"] += 1
        if n["seen"] <= 2:
            return _bad_answer(body)
        return None

    with StubServer(intercept=bad_twice) as stub:
        client = LLMClient(LLMConfig(model="openai/stub", api_base=stub.base_url, use_cache=False,
                                     backoff_base_s=0.01, max_retries=2))
        value, usage = _call(client)
    assert isinstance(value, Answer)
    assert usage.calls == 3 and usage.retries == 2
    assert usage.tokens_in >= 2 * 7 + 1 and usage.tokens_out >= 2 * 3 + 1


# -- item 6: cache identity ---------------------------------------------------------------------
def test_the_cache_key_covers_the_endpoint() -> None:
    def key(base: str | None) -> str:
        return LLMClient(LLMConfig(model="openai/m", api_base=base, use_cache=False)).key_for(MSGS, Answer)

    a, b = key("http://127.0.0.1:8001/v1"), key("http://127.0.0.1:8002/v1")
    assert a != b
    assert key("http://127.0.0.1:8001/v1/") == a, "a trailing slash is the same endpoint"
    assert key(None) not in (a, b)


def test_the_cache_key_covers_the_endpoint_taken_from_the_environment(monkeypatch) -> None:
    """Same kind, my input: with no --api-base the SDK reads OPENAI_BASE_URL; two values, two keys."""
    def key() -> str:
        return LLMClient(LLMConfig(model="openai/m", use_cache=False)).key_for(MSGS, Answer)

    monkeypatch.delenv("OPENAI_API_BASE", raising=False)
    monkeypatch.delenv("OPENAI_BASE_URL", raising=False)
    default = key()
    monkeypatch.setenv("OPENAI_BASE_URL", "http://127.0.0.1:8001/v1")
    one = key()
    monkeypatch.setenv("OPENAI_BASE_URL", "http://127.0.0.1:8002/v1")
    two = key()
    assert len({default, one, two}) == 3


def _gguf_key(path: Path) -> str:
    return LLMClient(LLMConfig(model=f"local:{path}", use_cache=False)).key_for(MSGS, Answer)


def test_the_cache_key_of_a_local_model_follows_the_file_content_not_its_name(tmp_path: Path) -> None:
    a, b = tmp_path / "a" / "model.gguf", tmp_path / "b" / "model.gguf"
    a.parent.mkdir()
    b.parent.mkdir()
    a.write_bytes(b"GGUF" + b"\x01" * 4096)
    b.write_bytes(b"GGUF" + b"\x02" * 4096)  # same name, same size, other weights
    assert _gguf_key(a) != _gguf_key(b)
    b.write_bytes(a.read_bytes())  # a copy elsewhere is the same model
    assert _gguf_key(a) == _gguf_key(b)
    before = _gguf_key(a)
    os.utime(a, (time.time() + 100, time.time() + 100))  # touched, not changed
    assert _gguf_key(a) == before
    with open(a, "r+b") as fh:  # rewritten in place with the same size and a restored mtime
        st = os.stat(a)
        fh.seek(100)
        fh.write(b"\x09")
    os.utime(a, ns=(st.st_atime_ns, st.st_mtime_ns + 1))
    assert _gguf_key(a) != before


def test_the_embedded_model_key_is_its_content_digest() -> None:
    from linernotes.llm.cache import file_digest
    from linernotes.llm.embedded import default_gguf

    client = LLMClient(LLMConfig(use_cache=False))
    gguf = default_gguf()
    assert client.cache_identity == f"local:{gguf.name}:sha256={file_digest(gguf)}"
    assert client.model_label == f"local:{gguf.name}", "provenance keeps the stable name"


@pytest.mark.parametrize("transport", ["auto", "litellm"])
def test_cost_is_priced_on_both_wires_and_unknown_without_a_price(monkeypatch, transport) -> None:
    """A model in LiteLLM's price table costs the same on either wire; one it has no price for
    is unknown (None), not a made-up 0."""
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test-not-a-real-key")
    with StubServer() as stub:
        costs = {}
        for model in ("openai/gpt-4o-mini", "openai/no-price-model-xyz"):
            client = LLMClient(LLMConfig(model=model, api_base=stub.base_url, use_cache=False, transport=transport))
            costs[model] = _call(client)[1].cost_usd
    import litellm

    pin, pout = litellm.cost_per_token(model="gpt-4o-mini", custom_llm_provider="openai",
                                       prompt_tokens=1, completion_tokens=3)  # the stub's usage for MSGS
    assert costs["openai/gpt-4o-mini"] == pytest.approx(pin + pout) and pin + pout > 0
    assert costs["openai/no-price-model-xyz"] is None


@pytest.mark.parametrize("content", [b"", b"GGU", b"PK\x03\x04 a zip", b"\x00" * 64, b"ggml"],
                         ids=["empty", "short", "zip", "zeros", "old-ggml"])
def test_a_local_model_that_is_not_gguf_is_named_before_any_item(tmp_path: Path, content: bytes) -> None:
    """``--model local:FILE`` with a file llama.cpp cannot load failed every item with the model
    server's traceback inside the record (exit 1); now one error up front naming the file and why."""
    from linernotes.llm.client import GGUF_MAGIC
    from linernotes.llm.embedded import EmbeddedModelError

    path = tmp_path / "weights.gguf"
    path.write_bytes(content)
    with pytest.raises(EmbeddedModelError, match=r"weights.gguf is not a GGUF model file \(it starts with"):
        _ = LLMClient(LLMConfig(model=f"local:{path}", use_cache=False)).model_label
    path.write_bytes(GGUF_MAGIC + content)
    assert LLMClient(LLMConfig(model=f"local:{path}", use_cache=False)).model_label == "local:weights.gguf"


def test_liner_tag_with_a_local_model_that_is_not_gguf_exits_2(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from linernotes.cli.app import app

    bad = tmp_path / "bad.gguf"
    bad.write_bytes(os.urandom(512).replace(b"GGUF", b"xxxx"))
    catalog = tmp_path / "c.jsonl"
    catalog.write_text('{"id": "a", "title": "x"}\n', encoding="utf-8")
    r = CliRunner().invoke(app, ["tag", str(catalog), "-o", str(tmp_path / "o.jsonl"), "--model", f"local:{bad}",
                                 "--llm", "always"])
    assert r.exit_code == 2, r.output
    assert "bad.gguf is not a GGUF model file" in r.stderr and "Traceback" not in r.stderr
    assert not (tmp_path / "o.jsonl").exists() or (tmp_path / "o.jsonl").read_text() == ""


@pytest.mark.parametrize(("body", "named"), [
    ({"choices": "oops"}, "'choices' is str \"oops\""),
    ({"choices": []}, "'choices' is list [], not a non-empty list"),
    ({"object": "chat.completion"}, "'choices' is missing"),
    ({"choices": [{"message": "hi"}]}, "'choices[0].message' is str"),
    ({"choices": ["x"]}, "'choices[0].message' is missing"),
    ({"choices": [{"message": {"content": {"label": "a"}}}], "usage": "lots"}, "'choices[0].message.content' is dict"),
], ids=["choices-str", "choices-empty", "no-choices", "message-str", "choice-str", "content-object"])
def test_a_reply_that_is_json_but_not_a_chat_completion_is_a_server_error_naming_the_part(monkeypatch, body,
                                                                                         named) -> None:
    """The HTTP transport read ``data["choices"][0]["message"]`` blindly: a reply whose choices was
    a string failed as "TypeError: string indices must be integers" (qa-faults). Now the item's
    error says which part of the body is wrong, classified bad_response (as an empty choices list
    is: testing.fault_server's nochoices) and retried."""
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test-not-a-real-key")

    async def garbage(_body: dict):
        return web.json_response(body)

    with StubServer(intercept=garbage) as stub:
        client = LLMClient(LLMConfig(model="openai/stub", api_base=stub.base_url, use_cache=False,
                                     backoff_base_s=0.01, max_retries=1, transport="auto"))
        with pytest.raises(LLMError) as e:
            _call(client)
        sent = len(stub.requests)
    assert e.value.kind == "bad_response" and sent == 2, (e.value.kind, str(e.value))
    assert "not a chat completion" in str(e.value) and named in str(e.value), str(e.value)
    assert "TypeError" not in str(e.value) and "KeyError" not in str(e.value)


def test_a_local_model_file_is_checked_once_per_client_not_per_item(tmp_path: Path, monkeypatch) -> None:
    """Provenance asks for the model's name once per item (agents/nodes/route.py): the GGUF check
    reads the file's first bytes once per client, not once per item."""
    path = tmp_path / "weights.gguf"
    path.write_bytes(b"GGUF" + b"\0" * 64)
    opened: list[Path] = []
    real_open = Path.open

    def counting_open(self: Path, *args, **kwargs):
        if self == path:
            opened.append(self)
        return real_open(self, *args, **kwargs)

    monkeypatch.setattr(Path, "open", counting_open)
    client = LLMClient(LLMConfig(model=f"local:{path}", use_cache=False))
    assert {client.model_label for _ in range(100)} == {"local:weights.gguf"}
    assert len(opened) == 1
