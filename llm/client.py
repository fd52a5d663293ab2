"""One structured LLM call, whichever transport carries it (``linernotes.llm.transports``:
LiteLLM, OpenAI-compatible HTTP, the embedded engine), with the parts a batch job needs around it
living here, once: response cache, retries with backoff that honour Retry-After, a per-call
timeout, honest usage (every attempt's tokens, failed ones included), error classification and
redaction of every message it raises.
"""

from __future__ import annotations

import asyncio
import contextlib
import math
import os
import random
import sqlite3
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any, TypeVar

from pydantic import BaseModel

from linernotes.llm.cache import ResponseCache, cache_key, file_digest
from linernotes.llm.config import EMBEDDED, LLMConfig
from linernotes.llm.embedded import default_gguf
from linernotes.llm.errors import LLMError, RelayedError
from linernotes.llm.redact import Redactor, redact
from linernotes.llm.transports import Transport, import_litellm, schema_of, select
from linernotes.llm.window import CallWindow, Held
from linernotes.schema import Usage, add_cost

__all__ = ["EMBEDDED", "LLMClient", "LLMConfig", "LLMError", "classify", "redact", "retry_after_s", "schema_of"]

T = TypeVar("T", bound=BaseModel)
R = TypeVar("R")


RETRYABLE = {"rate_limit", "server_error", "timeout", "connection", "bad_response"}
# an attempt's deadline past its transport's own timeout (``timeout_s``): a safety net for a
# transport that does not enforce it
DEADLINE_MARGIN_S = 5.0
# kinds where no request left this process: never billed, never worth a retry
NOT_SENT = {"config"}
_UNCHECKED = object()  # LLMClient._gguf not yet resolved (None is a resolved answer: no local model)
# The first 4 bytes of every GGUF file (the format's magic; ggml's gguf.h GGUF_MAGIC "GGUF")
GGUF_MAGIC = b"GGUF"


def classify(exc: BaseException) -> str:
    """Map a LiteLLM / Instructor / transport exception to a failure kind, from what happened.

    Kinds: ``config`` (the SDK refused to send: no credentials, bad client options — LiteLLM
    reports this as an invented HTTP 500), ``rate_limit``, ``timeout``, ``model_not_found``,
    ``auth``, ``context_window``, ``connection`` (no response: refused, reset, cut body),
    ``server_error``, ``bad_request``, ``bad_response`` (an answer that does not parse)."""
    from linernotes.llm.fast import InvalidCompletion

    if isinstance(exc, RelayedError):  # classified in the run's process, from the original exception
        return exc.kind
    litellm = import_litellm()
    if _client_side(exc):
        return "config"
    if isinstance(exc, InvalidCompletion):
        return "server_error"
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
    import aiohttp
    import httpx
    import openai

    seen: BaseException | None = exc
    for _ in range(10):
        if seen is None:
            return None
        if isinstance(seen, openai.APITimeoutError | httpx.TimeoutException | aiohttp.ServerTimeoutError):
            return "timeout"
        # aiohttp (the HTTP transport): a reset or closed connection, a cut body
        if isinstance(seen, openai.APIConnectionError | httpx.TransportError | ConnectionError
                      | aiohttp.ClientConnectionError | aiohttp.ClientPayloadError):
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


def _part(obj: Any, key: str) -> Any:
    """``key`` of a usage part, which is a dict on the HTTP wire and an SDK object elsewhere."""
    return obj.get(key) if isinstance(obj, dict) else getattr(obj, key, None)


def _count(value: Any) -> int:
    """A reported token count; 0 (not reported) for what is not a finite number >= 0 or its
    text. Why lenient: the count is accounting, read after the answer. ``"prompt_tokens": "many"``
    (or ``"12.0"``) raised here, so a call whose answer had been parsed was retried, paid again,
    and failed (QA qa-valence17); a negative count made the run's tokens negative."""
    if isinstance(value, str):
        try:
            value = float(value)
        except ValueError:
            return 0
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value) or value < 0:
        return 0
    return int(value)


def _usage_of(obj: Any) -> tuple[int, int]:
    u = getattr(obj, "usage", None)
    if u is None:
        return 0, 0
    return _count(_part(u, "prompt_tokens")), _count(_part(u, "completion_tokens"))


def _cached_of(obj: Any) -> int:
    """Prompt tokens the engine served from its prompt cache (``usage.prompt_tokens_details.
    cached_tokens``: OpenAI's field, which llama.cpp's server and LiteLLM report too); 0 if absent."""
    u = getattr(obj, "usage", None)
    details = _part(u, "prompt_tokens_details") if u is not None else None
    return _count(_part(details, "cached_tokens")) if details is not None else 0


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
        self.redact = Redactor(config.api_base)  # every message this client raises goes through it
        self._transport: Transport | None = None
        self._relay: Callable[[Transport], Transport] | None = None
        self._identity: str | None = None
        self._local: Path | None | object = _UNCHECKED
        # calls in flight in this process (``llm.window``): unbounded until a run sets its
        # share of ``--concurrency`` (``run.runner``)
        self.window = CallWindow()

    # -- endpoint -------------------------------------------------------------------------
    def _gguf(self) -> Path | None:
        """The local model file (checked once per client: provenance asks for it per item)."""
        if self._local is _UNCHECKED:
            self._local = self._local_model()
        return self._local  # type: ignore[return-value]

    def _local_model(self) -> Path | None:
        m = self.config.model
        if m in (EMBEDDED, "local"):
            return default_gguf()
        if m.startswith("local:"):
            p = Path(m.removeprefix("local:")).expanduser()
            from linernotes.llm.embedded import EmbeddedModelError

            if not p.is_file():
                raise EmbeddedModelError(f"--model {m}: {p} is not a file")
            # llama.cpp only says so in the model server's traceback, once per item: check up front
            try:
                with p.open("rb") as f:
                    head = f.read(4)
            except OSError as e:
                raise EmbeddedModelError(f"--model {m}: {p} cannot be read ({e.strerror})") from None
            if head != GGUF_MAGIC:
                raise EmbeddedModelError(f"--model {m}: {p} is not a GGUF model file (it starts with {head!r}, "
                                         f"not {GGUF_MAGIC!r}); llama.cpp loads .gguf files only")
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

    def transport(self) -> Transport:
        """The transport the config chose (built once; raises EmbeddedModelError for a bad GGUF)."""
        if self._transport is None:
            self._transport = select(self.config, self._gguf())
            if self._relay is not None:
                self._transport = self._relay(self._transport)
        return self._transport

    def relay_through(self, wrap: Callable[[Transport], Transport]) -> Transport:
        """Send this client's calls through ``wrap(transport)`` from now on (``llm.relay``: a
        worker's exchanges made by the run's process); the wrapped transport, for its answers."""
        self.close()
        self._relay = wrap
        return self.transport()

    def close(self) -> None:
        """Give back the transport's resources (the embedded server stops when no client holds
        it). The client stays usable: a later call builds its transport again."""
        if self._transport is not None:
            self._transport.close()
            self._transport = None

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
        async with self.window.slot() as held:  # one slot per call, its retries and backoff included
            value, usage = await self._call_with_retries(messages, response_model, schema, held)
        if self.cache is not None:
            # the cache is an optimisation: failing to store (disk full) must not fail the item,
            # whose error record resume would then skip
            with contextlib.suppress(sqlite3.Error, OSError):
                await asyncio.to_thread(self.cache.put, key, {"value": value.model_dump(mode="json"),
                                                             "usage": usage.model_dump()})
        return value, usage

    async def _call_with_retries(self, messages: list[dict[str, Any]], response_model: type[T],
                                 schema: dict[str, Any] | None = None, held: Held | None = None
                                 ) -> tuple[T, Usage]:
        """``held``: the call's window slot, released as soon as an answer is parsed (in the
        task that read it, ``llm.window.Held``) and taken again before a retry."""
        c = self.config
        usage = Usage()
        start = time.monotonic()
        # a relayed call's waits for one of the run's slots (``llm.relay``): not the call's latency,
        # as the wait for this window's slot (before ``start``) is not in one process
        queued = 0.0
        last: tuple[str, str] = ("unknown", "")
        temperature, seed = c.temperature, c.seed
        for attempt in range(c.max_retries + 1):
            try:
                t = self.transport()
                await asyncio.to_thread(t.ready) if t.blocking else t.ready()
            except LLMError as e:
                raise LLMError(e.kind, self.redact(str(e)), usage) from None
            except Exception as e:  # noqa: BLE001
                raise LLMError("embedded_server", self.redact(str(e)), usage) from None
            params: dict[str, Any] = {"temperature": temperature, "max_tokens": c.max_tokens, "timeout": c.timeout_s,
                                      **c.extra_params}
            if seed is not None:
                params["seed"] = seed
            if held is not None:
                await held.reacquire()  # a retry after an answer that failed below: a slot again
            self.calls += 1
            usage.calls += 1
            try:
                # a relayed call (llm.relay) is timed where it is sent, from when the run's process
                # sends it: here it would also count its wait for one of the run's slots
                deadline = None if t.times_itself else c.timeout_s + DEADLINE_MARGIN_S
                value, completion = await asyncio.wait_for(
                    _answered(t.complete(messages, response_model, schema, params), held), timeout=deadline)
                tin, tout = _usage_of(completion)
                usage.tokens_in += tin
                usage.tokens_out += tout
                usage.tokens_cached += _cached_of(completion)
                usage.cost_usd = add_cost(usage.cost_usd, _cost(t, completion, c.model))
                queued += getattr(completion, "queued_s", 0.0)
                usage.latency_s = time.monotonic() - start - queued
                usage.retries = attempt
                return value, usage
            except Exception as e:  # noqa: BLE001 (classified below)
                cause = e.__cause__ if type(e).__name__ == "InstructorRetryException" and e.__cause__ else e
                queued += getattr(e, "queued_s", 0.0)
                kind = classify(cause)
                partial = getattr(e, "total_usage", None) or getattr(e, "last_completion", None)
                if partial is not None:
                    tin, tout = _usage_of(partial) if not hasattr(partial, "prompt_tokens") else (
                        _count(partial.prompt_tokens), _count(partial.completion_tokens))
                    usage.tokens_in += tin
                    usage.tokens_out += tout
                last = (kind, _short(cause, self.redact))
                if kind in NOT_SENT:  # the SDK refused before sending: not a request, and hopeless
                    self.calls -= 1
                    usage.calls -= 1
                    last = (kind, f"no request was sent: {last[1]}")
                    break
                if t.lost():
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
        usage.latency_s = time.monotonic() - start - queued
        usage.retries = max(0, usage.calls - 1)
        raise LLMError(last[0], self.redact(last[1]), usage)


async def _answered(call: Awaitable[R], held: Held | None) -> R:
    """``await call``, then free the call's slot there and then (``llm.window.Held``)."""
    out = await call
    if held is not None:
        held.release()
    return out


def _env_api_base(model: str) -> str | None:
    """The endpoint a provider SDK takes from the environment when no ``api_base`` is passed
    (``OPENAI_BASE_URL``/``OPENAI_API_BASE`` for ``openai/...``, and the same pattern for others)."""
    provider = model.split("/", 1)[0].upper().replace("-", "_") if "/" in model else "OPENAI"
    for name in (f"{provider}_API_BASE", f"{provider}_BASE_URL"):
        if os.environ.get(name):
            return os.environ[name]
    return None


def describe(e: BaseException) -> tuple[str, str]:
    """(class name, text) of an exception as an error record names it; a relayed failure
    (``llm.relay``) gives its original exception's."""
    if isinstance(e, RelayedError):
        return e.relayed_name, str(e)
    detail = str(e)
    if not detail and isinstance(e, TimeoutError):
        detail = "no complete response within the time limit"
    return type(e).__name__, detail


def _short(e: BaseException, redact: Callable[[str], str] = redact) -> str:
    """One line naming the exception, redacted (before it is cut, so no secret is half kept)."""
    name, detail = describe(e)
    text = f"{name}: {detail}".replace("\n", " ")
    return redact(text)[:400]


_UNPRICED: set[str] = set()


def _cost(transport: Transport, completion: Any, configured: str) -> float | None:
    """USD for one answered call from LiteLLM's price table: 0 on the embedded engine (local, no
    price), ``None`` (unknown) for a model the table does not price. The HTTP transport's
    completion is priced by its model and token counts from the same table read as a file
    (``llm.prices``: no LiteLLM import in a process that never uses it), so both wires report
    the same cost."""
    if transport.name == "embedded":
        return 0.0
    from linernotes.llm.fast import FastCompletion

    if isinstance(completion, FastCompletion):
        from linernotes.llm.prices import openai_cost

        tin, tout = _usage_of(completion)
        return openai_cost(completion.model or configured, tin, tout, _cached_of(completion))
    model = str(getattr(completion, "model", "") or "")
    if model in _UNPRICED:  # LiteLLM's failed price lookup costs ~1 ms per call: ask once per model
        return None
    try:
        return float(import_litellm().completion_cost(completion_response=completion) or 0.0)
    except Exception:  # noqa: BLE001 (LiteLLM raises several types for a model it has no price for)
        _UNPRICED.add(model)
        return None
