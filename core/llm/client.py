"""One structured LLM call: LiteLLM for the provider, Instructor for the schema, plus the parts a
batch job needs around them — response cache, transport retries with backoff that honour
Retry-After, a per-call timeout, and honest usage (every attempt's tokens, failed ones included).
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import functools
import logging
import os
import random
import re
import sqlite3
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")

from pydantic import BaseModel, Field  # noqa: E402

from linernotes.llm.cache import ResponseCache, cache_key, file_digest  # noqa: E402
from linernotes.llm.embedded import EmbeddedSettings, default_gguf, shared_server  # noqa: E402
from linernotes.schema import Usage  # noqa: E402

T = TypeVar("T", bound=BaseModel)
EMBEDDED = "embedded"


class LLMConfig(BaseModel):
    """Everything that decides how the model is reached. Keys never live here: LiteLLM reads them
    from the environment, so they cannot leak into manifests or caches."""

    model: str = EMBEDDED
    api_base: str | None = None
    timeout_s: float = 120.0
    max_retries: int = 4
    backoff_base_s: float = 0.5
    backoff_max_s: float = 30.0
    temperature: float = 0.0
    seed: int = 0
    max_tokens: int = 320
    threads: int = 1
    parallel: int = 1
    mode: str = "json_schema"
    cache_path: str | None = None
    use_cache: bool = True
    extra_params: dict[str, Any] = Field(default_factory=dict)
    # "fast": opt-in direct path for OpenAI-compatible endpoints (linernotes.llm.fast)
    transport: str = Field(default_factory=lambda: os.environ.get("LINER_LLM_TRANSPORT", "litellm"))


class LLMError(Exception):
    """A call that failed for good, after the retries it deserved."""

    def __init__(self, kind: str, message: str, usage: Usage | None = None):
        super().__init__(message)
        self.kind = kind
        self.usage = usage or Usage()


RETRYABLE = {"rate_limit", "server_error", "timeout", "connection", "bad_response"}
# kinds where no request left this process: never billed, never worth a retry
NOT_SENT = {"config"}


def classify(exc: BaseException) -> str:
    """Map a LiteLLM / Instructor / transport exception to a failure kind, from what happened.

    Kinds: ``config`` (the SDK refused to send: no credentials, bad client options — LiteLLM
    reports this as an invented HTTP 500), ``rate_limit``, ``timeout``, ``model_not_found``,
    ``auth``, ``context_window``, ``connection`` (no response: refused, reset, cut body),
    ``server_error``, ``bad_request``, ``bad_response`` (an answer that does not parse)."""
    import litellm

    if _client_side(exc):
        return "config"
    name = type(exc).__name__
    if isinstance(exc, litellm.RateLimitError):
        return "rate_limit"
    if isinstance(exc, litellm.Timeout | asyncio.TimeoutError | TimeoutError):
        return "timeout"
    if isinstance(exc, litellm.NotFoundError):
        return "model_not_found"
    if isinstance(exc, litellm.AuthenticationError | litellm.PermissionDeniedError):
        return "auth"
    if isinstance(exc, litellm.ContextWindowExceededError):
        return "context_window"
    if isinstance(exc, litellm.APIConnectionError):
        return "connection"
    transport = _transport_kind(exc)
    if transport is not None:  # LiteLLM reports a reset connection as a 500: look at the real cause
        return transport
    if isinstance(exc, litellm.InternalServerError | litellm.ServiceUnavailableError | litellm.BadGatewayError):
        return "server_error"
    if isinstance(exc, litellm.BadRequestError):
        return "bad_request"
    status = getattr(exc, "status_code", None)
    if isinstance(status, int):  # an HTTP answer LiteLLM did not map (the SDK's own errors, the fast path)
        by_status = {401: "auth", 403: "auth", 404: "model_not_found", 408: "timeout", 429: "rate_limit"}
        if status in by_status:
            return by_status[status]
        if status >= 500:
            return "server_error"
        return "bad_request"
    if name in ("ValidationError", "JSONDecodeError", "ResponseParsingError", "IncompleteOutputException"):
        return "bad_response"
    if isinstance(exc, ConnectionError | OSError):
        return "connection"
    return "bad_response"


def _client_side(exc: BaseException) -> bool:
    """True when the exception chain holds the OpenAI SDK's bare ``OpenAIError``: the SDK raises
    exactly that class (no status, no response) when it refuses to build a request, e.g. with no
    API key; every HTTP-level failure is a subclass (``APIError``) instead."""
    import openai

    seen: BaseException | None = exc
    for _ in range(10):
        if seen is None:
            return False
        if type(seen) is openai.OpenAIError:
            return True
        seen = seen.__cause__ or seen.__context__
    return False


def _transport_kind(exc: BaseException) -> str | None:
    """``timeout``/``connection`` when the exception chain holds a transport failure, else None."""
    import httpx
    import openai

    seen: BaseException | None = exc
    for _ in range(10):
        if seen is None:
            return None
        if isinstance(seen, openai.APITimeoutError | httpx.TimeoutException):
            return "timeout"
        if isinstance(seen, openai.APIConnectionError | httpx.TransportError | ConnectionError):
            return "connection"
        seen = seen.__cause__ or seen.__context__
    return None


def retry_after_s(exc: BaseException) -> float | None:
    """Seconds from a Retry-After header, when the provider sent one."""
    for holder in (exc, getattr(exc, "__cause__", None)):
        if holder is None:
            continue
        headers = getattr(getattr(holder, "response", None), "headers", None) or getattr(
            holder, "litellm_response_headers", None)
        if not headers:
            continue
        value = headers.get("retry-after") or headers.get("Retry-After")
        if value is None:
            continue
        try:
            return max(0.0, float(value))
        except ValueError:
            from email.utils import parsedate_to_datetime

            try:
                return max(0.0, parsedate_to_datetime(value).timestamp() - time.time())
            except (TypeError, ValueError):
                return None
    return None


def _usage_of(obj: Any) -> tuple[int, int]:
    u = getattr(obj, "usage", None)
    if u is None:
        return 0, 0
    get = u.get if isinstance(u, dict) else lambda k, d=0: getattr(u, k, d)
    return int(get("prompt_tokens", 0) or 0), int(get("completion_tokens", 0) or 0)


@dataclass
class Endpoint:
    """What LiteLLM is actually called with, and the name that goes into provenance."""

    litellm_model: str
    api_base: str | None
    api_key: str | None
    label: str
    embedded_server: Any = None


class LLMClient:
    """Async structured completions. Create once per process; share across items."""

    def __init__(self, config: LLMConfig, cache: ResponseCache | None = None):
        self.config = config
        self.cache = cache
        if cache is None and config.use_cache:
            from linernotes.llm.cache import default_cache_path

            try:
                self.cache = ResponseCache(config.cache_path or default_cache_path())
            except (sqlite3.Error, OSError):  # a full or read-only disk: run uncached, lose nothing
                self.cache = None
        self.calls = 0  # real network calls made (cache hits excluded)
        self._endpoint: Endpoint | None = None
        self._instructor: Any = None
        self._identity: str | None = None

    # -- endpoint -------------------------------------------------------------------------
    def _gguf(self) -> Path | None:
        m = self.config.model
        if m in (EMBEDDED, "local"):
            return default_gguf()
        if m.startswith("local:"):
            p = Path(m.removeprefix("local:")).expanduser()
            if not p.is_file():
                from linernotes.llm.embedded import EmbeddedModelError

                raise EmbeddedModelError(f"--model {m}: {p} is not a file")
            return p
        return None

    @property
    def model_label(self) -> str:
        """Stable name of the model for provenance (no ports, no paths)."""
        gguf = self._gguf()
        return f"local:{gguf.name}" if gguf else self.config.model

    @property
    def cache_identity(self) -> str:
        """What decides the answer besides the request, for the cache key (see ``llm.cache``).

        A local GGUF: ``local:<name>:sha256=<content digest>`` (the embedded server's port is
        not part of it). A provider model: the model string, plus the endpoint when one is set
        (``--api-base`` or the provider's ``<PROVIDER>_API_BASE``/``_BASE_URL`` environment
        variable, which LiteLLM and the provider SDKs read); with neither, the bare model string,
        so keys for the provider's default endpoint are unchanged."""
        if self._identity is None:
            gguf = self._gguf()
            if gguf is not None:
                self._identity = f"local:{gguf.name}:sha256={file_digest(gguf)}"
            else:
                base = self.config.api_base or _env_api_base(self.config.model)
                self._identity = f"{self.config.model}@{base.rstrip('/')}" if base else self.config.model
        return self._identity

    def endpoint(self) -> Endpoint:
        gguf = self._gguf()
        if gguf is None:
            if self._endpoint is None:
                self._preflight()
                self._endpoint = Endpoint(self.config.model, self.config.api_base, None, self.config.model)
            return self._endpoint
        server = shared_server(EmbeddedSettings(gguf=gguf, threads=self.config.threads,
                                                parallel=max(1, self.config.parallel)))
        base = server.ensure()  # restarts a dead server (bounded)
        return Endpoint(f"openai/{gguf.stem}", base, "sk-local-no-key", f"local:{gguf.name}", server)

    def _preflight(self) -> None:
        """Refuse a model string LiteLLM cannot route to any provider before any request is
        built (raises LLMError ``config``; no call is counted)."""
        import litellm

        litellm.suppress_debug_info = True  # else LiteLLM prints a red "Provider List" line
        try:
            litellm.get_llm_provider(self.config.model, api_base=self.config.api_base)
        except Exception as e:  # noqa: BLE001 (LiteLLM raises BadRequestError with a made-up 400)
            raise LLMError("config", f"--model {self.config.model}: no request was sent: {_short(e)}") from None

    def _client(self) -> Any:
        if self._instructor is None:
            import instructor
            import litellm

            litellm.suppress_debug_info = True
            # instructor logs every failed attempt (with the provider's message) to stderr; each
            # failure already lands in the item's error record, redacted
            logging.getLogger("instructor").setLevel(logging.CRITICAL)
            litellm.drop_params = True
            mode = {"json_schema": instructor.Mode.JSON_SCHEMA, "json": instructor.Mode.JSON,
                    "tools": instructor.Mode.TOOLS, "md_json": instructor.Mode.MD_JSON}[self.config.mode]
            self._instructor = instructor.from_litellm(litellm.acompletion, mode=mode)
        return self._instructor

    # -- calls ----------------------------------------------------------------------------
    def key_for(self, messages: list[dict[str, Any]], response_model: type[BaseModel],
                schema: dict[str, Any] | None = None) -> str:
        c = self.config
        params = {"temperature": c.temperature, "seed": c.seed, "max_tokens": c.max_tokens, "mode": c.mode,
                  **c.extra_params}
        return cache_key(self.cache_identity, messages, schema or schema_of(response_model), params)

    async def structured(self, messages: list[dict[str, Any]], response_model: type[T],
                         schema: dict[str, Any] | None = None) -> tuple[T, Usage]:
        """Return the parsed object and the usage of every attempt it took (raises LLMError).

        ``schema``, when given, is the JSON schema sent instead of ``response_model``'s (e.g. the
        same fields with per-call enums); the answer is still parsed with ``response_model``."""
        key = self.key_for(messages, response_model, schema) if self.cache is not None else ""
        if self.cache is not None:
            try:
                hit = await asyncio.to_thread(self.cache.get, key)
            except (sqlite3.Error, OSError):  # an unreadable cache is a miss, never a failure
                hit = None
            if hit is not None:
                try:
                    value = response_model.model_validate(hit["value"])
                    usage = Usage.model_validate(hit["usage"]).model_copy(update={
                        "cache_hit": True, "calls": 0, "retries": 0, "latency_s": 0.0})
                    return value, usage
                except Exception:  # noqa: BLE001 (a stale entry is a miss, never a failure)
                    pass
        value, usage = await self._call_with_retries(messages, response_model, schema)
        if self.cache is not None:
            # the cache is an optimisation: failing to store (disk full) must not fail the item,
            # whose error record resume would then skip
            with contextlib.suppress(sqlite3.Error, OSError):
                await asyncio.to_thread(self.cache.put, key, {"value": value.model_dump(mode="json"),
                                                             "usage": usage.model_dump()})
        return value, usage

    def _create(self, ep: Endpoint, kwargs: dict[str, Any], schema: dict[str, Any] | None) -> Any:
        """Instructor on LiteLLM, or the opt-in fast path where it applies (same request and parse)."""
        if self.config.transport == "fast" and self.config.mode == "json_schema":
            from linernotes.llm import fast

            if fast.supports(ep.litellm_model, ep.api_base):
                return fast.transport().create_with_completion(
                    schema=schema or schema_of(kwargs["response_model"]), **kwargs)
        if schema is not None:
            kwargs = {**kwargs, "response_model": _schema_bound(kwargs["response_model"])}
            _BOUND_SCHEMA.set(schema)  # this task's context: concurrent calls each see their own
        return self._client().chat.completions.create_with_completion(**kwargs)

    async def _call_with_retries(self, messages: list[dict[str, Any]], response_model: type[T],
                                 schema: dict[str, Any] | None = None) -> tuple[T, Usage]:
        c = self.config
        usage = Usage()
        start = time.monotonic()
        last: tuple[str, str] = ("unknown", "")
        temperature, seed = c.temperature, c.seed
        for attempt in range(c.max_retries + 1):
            try:
                ep = await asyncio.to_thread(self.endpoint) if self._gguf() else self.endpoint()
            except LLMError as e:
                raise LLMError(e.kind, str(e), usage) from None
            except Exception as e:  # noqa: BLE001
                raise LLMError("embedded_server", str(e), usage) from None
            # max_retries is instructor's; num_retries=0 stops the OpenAI SDK's own hidden retries,
            # so --retries bounds the real number of requests
            kwargs: dict[str, Any] = {"model": ep.litellm_model, "messages": messages,
                                      "response_model": response_model, "max_retries": 0, "num_retries": 0,
                                      "temperature": temperature, "max_tokens": c.max_tokens,
                                      "timeout": c.timeout_s, **c.extra_params}
            if seed is not None:
                kwargs["seed"] = seed
            if ep.api_base:
                kwargs["api_base"] = ep.api_base
            if ep.api_key:
                kwargs["api_key"] = ep.api_key
            self.calls += 1
            usage.calls += 1
            try:
                value, completion = await asyncio.wait_for(
                    self._create(ep, kwargs, schema), timeout=c.timeout_s + 5)
                tin, tout = _usage_of(completion)
                usage.tokens_in += tin
                usage.tokens_out += tout
                usage.cost_usd += _cost(completion)
                usage.latency_s = time.monotonic() - start
                usage.retries = attempt
                return value, usage
            except Exception as e:  # noqa: BLE001 (classified below)
                cause = e.__cause__ if type(e).__name__ == "InstructorRetryException" and e.__cause__ else e
                kind = classify(cause)
                partial = getattr(e, "total_usage", None) or getattr(e, "last_completion", None)
                if partial is not None:
                    tin, tout = _usage_of(partial) if not hasattr(partial, "prompt_tokens") else (
                        int(partial.prompt_tokens or 0), int(partial.completion_tokens or 0))
                    usage.tokens_in += tin
                    usage.tokens_out += tout
                last = (kind, _short(cause))
                if kind in NOT_SENT:  # the SDK refused before sending: not a request, and hopeless
                    self.calls -= 1
                    usage.calls -= 1
                    last = (kind, f"no request was sent: {last[1]}")
                    break
                if ep.embedded_server is not None and not ep.embedded_server.alive():
                    kind = "connection"  # the embedded server died: ensure() restarts it next attempt
                if kind not in RETRYABLE or attempt == c.max_retries:
                    break
                if kind == "bad_response":
                    # greedy decoding repeats the same broken answer: retry with a perturbed sampler
                    temperature = max(temperature, 0.3 + 0.2 * attempt)
                    seed = (seed or 0) + attempt + 1
                delay = retry_after_s(cause)
                if delay is None:
                    delay = min(c.backoff_max_s, c.backoff_base_s * (2**attempt)) * (0.5 + random.random() / 2)
                await asyncio.sleep(min(delay, c.backoff_max_s))
        usage.latency_s = time.monotonic() - start
        usage.retries = max(0, usage.calls - 1)
        raise LLMError(last[0], last[1], usage)


def _env_api_base(model: str) -> str | None:
    """The endpoint a provider SDK takes from the environment when no ``api_base`` is passed
    (``OPENAI_BASE_URL``/``OPENAI_API_BASE`` for ``openai/...``, and the same pattern for others)."""
    provider = model.split("/", 1)[0].upper().replace("-", "_") if "/" in model else "OPENAI"
    for name in (f"{provider}_API_BASE", f"{provider}_BASE_URL"):
        if os.environ.get(name):
            return os.environ[name]
    return None


_SECRET_PATTERNS = re.compile(r"(sk-[A-Za-z0-9_\-]{6,}|Bearer\s+[A-Za-z0-9_\-.=]{6,}|key-[A-Za-z0-9]{16,})")


def redact(text: str) -> str:
    """Providers echo request details (even the API key) in error messages: blank out every key
    we can know of (key-like env values) and anything shaped like one."""
    for name, value in os.environ.items():
        if value and len(value) >= 8 and re.search(r"(KEY|TOKEN|SECRET|PASSWORD)", name.upper()):
            text = text.replace(value, "[redacted]")
    return _SECRET_PATTERNS.sub("[redacted]", text)


def _short(e: BaseException) -> str:
    detail = str(e)
    if not detail and isinstance(e, TimeoutError):
        detail = "no complete response within the time limit"
    text = f"{type(e).__name__}: {detail}".replace("\n", " ")
    return redact(text)[:400]


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


_UNPRICED: set[str] = set()


def _cost(completion: Any) -> float:
    model = str(getattr(completion, "model", "") or "")
    if model in _UNPRICED:  # LiteLLM's failed price lookup costs ~1 ms per call: ask once per model
        return 0.0
    try:
        import litellm

        return float(litellm.completion_cost(completion_response=completion) or 0.0)
    except Exception:  # noqa: BLE001 (unknown/local models have no price)
        _UNPRICED.add(model)
        return 0.0
