"""How a request reaches a model, and nothing else. The client (``linernotes.llm.client``) owns
what every call needs whichever way it goes: the cache, retries with backoff, the per-call
timeout, usage and cost accounting, error classification and redaction.

Transports, chosen by config (``LLMConfig.model`` and ``LLMConfig.transport``; see ``select``):

- ``LiteLLMTransport``: Instructor on LiteLLM, any provider LiteLLM routes to (the default for
  every model but the one below);
- ``HTTPTransport``: one aiohttp POST to an OpenAI-compatible ``/chat/completions`` and a
  pydantic parse (``linernotes.llm.fast``; ~1 ms of CPU per call instead of ~10), the default
  (``transport="auto"``) for ``openai/...`` models with an ``--api-base`` in ``json_schema``
  mode (vLLM, llama.cpp, TGI, Ollama). Where users see it, it behaves as the LiteLLM path does
  for such a model: it needs ``OPENAI_API_KEY`` (any value for a server that checks none; with
  none set, ``ready`` raises ``llm.config`` before any request, as the OpenAI SDK refuses to),
  sends it as a Bearer token, and the client prices its usage from LiteLLM's table;
- ``EmbeddedTransport``: the bundled GGUF served by a child llama.cpp server on loopback
  (``linernotes.llm.embedded``), reached through either of the two above.

A transport's ``complete`` returns ``(parsed value, completion)`` where the completion carries
``usage`` (``prompt_tokens``/``completion_tokens``) and ``model``; it raises the wire's own
exceptions, which the client classifies.
"""

from __future__ import annotations

import contextvars
import functools
import logging
import os
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from pydantic import BaseModel

from linernotes.llm.config import EMBEDDED
from linernotes.llm.errors import LLMError

if TYPE_CHECKING:
    from linernotes.llm.config import LLMConfig

Wire = Literal["litellm", "http"]


class Transport:
    """One way to send a structured chat request. ``ready`` is called before every attempt
    (cheap when nothing changed; ``blocking`` says it may block, e.g. start a server)."""

    name: str = "transport"
    blocking: bool = False
    # True when ``complete`` enforces the call's time limit itself, from when the request is
    # actually sent (``llm.relay``): the client then sets no deadline of its own around it
    times_itself: bool = False

    def ready(self) -> None:
        """Raise (``LLMError`` kind ``config``, ``EmbeddedModelError``) when no request can be sent."""

    async def complete(self, messages: list[dict[str, Any]], response_model: type[BaseModel],
                       schema: dict[str, Any] | None, params: dict[str, Any]) -> tuple[BaseModel, Any]:
        raise NotImplementedError

    def lost(self) -> bool:
        """True when the endpoint this transport owns died (the next ``ready`` restarts it)."""
        return False

    def close(self) -> None:
        """Give back what this transport holds (the embedded server); idempotent."""


class LiteLLMTransport(Transport):
    """Instructor on ``litellm.acompletion``. ``params``: temperature, max_tokens, seed, timeout
    and the config's ``extra_params``; the SDKs' own retries are off (the client retries)."""

    name = "litellm"

    def __init__(self, model: str, api_base: str | None, api_key: str | None = None, mode: str = "json_schema",
                 preflight: bool = True):
        self.model, self.api_base, self.api_key, self.mode = model, api_base, api_key, mode
        self._checked = not preflight
        self._instructor: Any = None

    def ready(self) -> None:
        if not self._checked:
            _preflight(self.model, self.api_base)
            self._checked = True

    def _client(self) -> Any:
        if self._instructor is None:
            self._instructor = _instructor_client(self.mode)
        return self._instructor

    async def complete(self, messages: list[dict[str, Any]], response_model: type[BaseModel],
                       schema: dict[str, Any] | None, params: dict[str, Any]) -> tuple[BaseModel, Any]:
        # max_retries is instructor's; num_retries=0 stops the OpenAI SDK's hidden retries
        kwargs: dict[str, Any] = {"model": self.model, "messages": messages, "response_model": response_model,
                                  "max_retries": 0, "num_retries": 0, **params}
        if self.api_base:
            kwargs["api_base"] = self.api_base
        if self.api_key:
            kwargs["api_key"] = self.api_key
        if schema is not None:
            kwargs["response_model"] = _schema_bound(response_model)
            _BOUND_SCHEMA.set(schema)  # this task's context: concurrent calls each see their own
        return await self._client().chat.completions.create_with_completion(**kwargs)


class HTTPTransport(Transport):
    """The OpenAI-compatible request Instructor's JSON_SCHEMA mode sends, over one aiohttp
    session per event loop; same answers, same cache keys (see ``linernotes.llm.fast``)."""

    name = "http"

    def __init__(self, model: str, api_base: str, api_key: str | None = None):
        self.model, self.api_base, self.api_key = model, api_base, api_key

    def ready(self) -> None:
        # the key the OpenAI SDK would read (LiteLLM hands openai/... models to it); an empty value
        # is none to the SDK too
        if not self.api_key:
            self.api_key = os.environ.get("OPENAI_API_KEY") or None
        if not self.api_key:
            raise LLMError("config", f"no request was sent: --model {self.model} on --api-base needs an API key: "
                           "set OPENAI_API_KEY (any value for a local server that checks none), as for "
                           "--transport litellm")

    async def complete(self, messages: list[dict[str, Any]], response_model: type[BaseModel],
                       schema: dict[str, Any] | None, params: dict[str, Any]) -> tuple[BaseModel, Any]:
        from linernotes.llm import fast

        return await fast.transport().create_with_completion(
            model=self.model, messages=messages, response_model=response_model, api_base=self.api_base,
            api_key=self.api_key, schema=schema or schema_of(response_model), **params)


class EmbeddedTransport(Transport):
    """The embedded GGUF: ``ready`` starts (or restarts, bounded) its loopback server, then the
    request goes over ``wire``. One server per (model, threads, parallel) per process."""

    name = "embedded"
    blocking = True

    def __init__(self, gguf: Path, threads: int, parallel: int, wire: Wire = "litellm", mode: str = "json_schema"):
        from linernotes.llm.embedded import EmbeddedSettings, shared_server

        self.gguf, self.wire, self.mode = gguf, wire, mode
        self.server = shared_server(EmbeddedSettings(gguf=gguf, threads=threads, parallel=max(1, parallel)))
        self._inner: Transport | None = None
        self._base: str | None = None
        self._closed = False

    def close(self) -> None:
        """Give back this transport's hold on the shared server (the last hold stops it)."""
        from linernotes.llm.embedded import release_server

        if not self._closed:
            self._closed = True
            self._inner = self._base = None
            release_server(self.server)

    def ready(self) -> None:
        if self._closed:
            raise LLMError("config", "the embedded model's transport was closed (its run ended)")
        base = self.server.ensure()  # restarts a dead server (bounded); raises EmbeddedModelError
        if base != self._base or self._inner is None:
            model, key = f"openai/{self.gguf.stem}", "sk-local-no-key"
            self._inner = (HTTPTransport(model, base, key) if self.wire == "http" and self.mode == "json_schema"
                           else LiteLLMTransport(model, base, key, self.mode, preflight=False))
            self._base = base

    @property
    def base_url(self) -> str:
        """The live server's OpenAI-compatible base URL (starts it when needed)."""
        self.ready()
        assert self._base is not None
        return self._base

    async def complete(self, messages: list[dict[str, Any]], response_model: type[BaseModel],
                       schema: dict[str, Any] | None, params: dict[str, Any]) -> tuple[BaseModel, Any]:
        assert self._inner is not None, "ready() first"
        return await self._inner.complete(messages, response_model, schema, params)

    def lost(self) -> bool:
        return not self.server.alive()


def select(config: LLMConfig, gguf: Path | None) -> Transport:
    """The transport ``config`` asks for: the embedded engine for a local GGUF (over LiteLLM
    unless ``transport`` is ``http``); else the HTTP transport when it applies (an ``openai/...``
    model with an ``api_base`` in ``json_schema`` mode) and ``transport`` is ``auto`` (the
    default) or ``http`` (alias ``fast``); else LiteLLM."""
    if gguf is not None:
        wire: Wire = "http" if config.transport in ("http", "fast") else "litellm"
        return EmbeddedTransport(gguf, config.threads, config.parallel or 1, wire, config.mode)
    if uses_http(config):
        return HTTPTransport(config.model, config.api_base or "")
    return LiteLLMTransport(config.model, config.api_base, None, config.mode)


def preflight(config: LLMConfig) -> None:
    """Fail before the first item where every call of a run would fail the same way without a
    request being sent (raises LLMError ``config``, the message a call would give): the HTTP
    transport's missing API key, and a model string LiteLLM routes to no provider (``--model
    bogus/x`` was one error record per item after the tools had loaded). No server is started;
    LiteLLM is imported only for a model it will carry (the run imports it then anyway); a local
    GGUF is checked when its server starts. Missing provider keys are left to the first call:
    LiteLLM's environment check does not know every way a provider takes credentials."""
    local = config.model in (EMBEDDED, "local") or config.model.startswith("local:")
    if local:
        return
    if uses_http(config):
        HTTPTransport(config.model, config.api_base or "").ready()
    else:
        _preflight(config.model, config.api_base)


def uses_http(config: LLMConfig) -> bool:
    """True when ``select`` gives a provider model (not the embedded one) the HTTP transport."""
    return config.transport != "litellm" and http_applies(config)


def http_applies(config: LLMConfig) -> bool:
    """True when the HTTP transport can carry ``config``'s requests (see ``select``)."""
    return config.mode == "json_schema" and config.model.startswith("openai/") and bool(config.api_base)


# -- LiteLLM / Instructor plumbing -----------------------------------------------------------------
def import_litellm() -> Any:
    """``litellm``, imported with its bundled price table: without LITELLM_LOCAL_MODEL_COST_MAP it
    fetches one over the network at import. Set here, where litellm is first imported, never at
    a module's import (an explicit value in the environment wins)."""
    os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")
    import litellm

    return litellm


def _preflight(model: str, api_base: str | None) -> None:
    """Refuse a model string LiteLLM cannot route to any provider before any request is built
    (raises LLMError ``config``; no call is counted)."""
    litellm = import_litellm()
    litellm.suppress_debug_info = True  # else LiteLLM prints a red "Provider List" line
    try:
        litellm.get_llm_provider(model, api_base=api_base)
    except Exception as e:  # noqa: BLE001 (LiteLLM raises BadRequestError with a made-up 400)
        detail = f"{type(e).__name__}: {e}".replace("\n", " ")[:400]  # the client redacts it
        raise LLMError("config", f"--model {model}: no request was sent: {detail}") from None


@functools.lru_cache(maxsize=8)
def _instructor_client(mode: str) -> Any:
    litellm = import_litellm()
    import instructor

    litellm.suppress_debug_info = True
    # instructor logs every failed attempt (with the provider's message) to stderr; each failure
    # already lands in the item's error record, redacted
    logging.getLogger("instructor").setLevel(logging.CRITICAL)
    litellm.drop_params = True
    modes = {"json_schema": instructor.Mode.JSON_SCHEMA, "json": instructor.Mode.JSON,
             "tools": instructor.Mode.TOOLS, "md_json": instructor.Mode.MD_JSON}
    return instructor.from_litellm(litellm.acompletion, mode=modes[mode])


@functools.lru_cache(maxsize=4096)
def schema_of(response_model: type[BaseModel]) -> dict[str, Any]:
    """JSON schema per response model class, built once (it was ~1 ms per call; treat as read-only)."""
    return response_model.model_json_schema()


_BOUND_SCHEMA: contextvars.ContextVar[dict[str, Any] | None] = contextvars.ContextVar(
    "linernotes_bound_schema", default=None)


@functools.lru_cache(maxsize=64)
def _schema_bound(response_model: type[BaseModel]) -> type[BaseModel]:
    """``response_model`` as an Instructor ``ResponseSchema`` whose JSON schema is the current
    call's (``_BOUND_SCHEMA``). Instructor otherwise wraps the class anew on every call
    (``create_model``, ~1 ms) and rebuilds its schema (~1 ms); one class per shape avoids both."""
    from instructor import OpenAISchema

    class Bound(response_model, OpenAISchema):  # type: ignore[valid-type, misc]
        @classmethod
        def model_json_schema(cls, *args: Any, **kwargs: Any) -> dict[str, Any]:
            bound = _BOUND_SCHEMA.get()
            return bound if bound is not None else super().model_json_schema(*args, **kwargs)

    Bound.__name__ = Bound.__qualname__ = response_model.__name__  # the schema's name in the request
    return Bound
