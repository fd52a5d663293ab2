"""The FAST PATH for OpenAI-compatible endpoints: one aiohttp POST and a pydantic parse,
skipping LiteLLM and Instructor.

Why: measured against a zero-latency stub on this project's 2-core machines, LiteLLM +
Instructor cost ~8-10 ms of CPU per call, more than the whole 5 ms/item overhead budget, and
CPU is what caps throughput at high concurrency. This path sends the request Instructor's
``JSON_SCHEMA`` mode sends (``response_format`` json_schema, same name and schema) and parses
``message.content`` the same way, so answers and cache keys are identical.

What it gives up: only ``openai/...`` models with an ``--api-base`` and the embedded model
(anything else falls back to LiteLLM); no provider-specific parameter translation, no cost
table of its own (the client prices the usage from LiteLLM's). The default for those models
(``LLMConfig(transport="auto")``); ``--transport http`` (old name ``fast``) asks for it,
``--transport litellm`` opts out; ``linernotes.llm.transports.HTTPTransport`` wraps it.
"""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass, field
from typing import Any, NamedTuple
from urllib.parse import urlsplit, urlunsplit

import aiohttp
from pydantic import BaseModel


class FastHTTPError(Exception):
    """A non-2xx answer; ``status_code`` and ``response.headers`` are what ``classify`` and
    ``retry_after_s`` read, as they do on LiteLLM's exceptions."""

    def __init__(self, status_code: int, message: str, headers: dict[str, str]):
        super().__init__(f"HTTP {status_code}: {message[:300]}")
        self.status_code = status_code
        self.response = _Headers(headers)


class InvalidCompletion(Exception):
    """A 2xx whose body is not a JSON chat completion; classified ``server_error``, as LiteLLM
    reports such a body ("Empty or invalid response")."""


class AnswerTooLarge(InvalidCompletion):
    """An answer body over ``MAX_ANSWER_BYTES`` (any status): not read further, ``server_error``."""


# A chat completion of the few hundred tokens an extract call asks for is a few KB; 16 MB is far
# beyond any answer of max_tokens, and bounds what C calls in flight can make a process hold (a
# misrouted endpoint streaming a file, a proxy's huge error page: C x its size, read whole)
MAX_ANSWER_BYTES = 16 << 20


class MalformedCompletion(ValueError):
    """A 2xx JSON body without the chat completion's parts (``choices`` empty, missing or not a
    list; a message that is not an object): ``bad_response``, as the contract has it for an empty
    ``choices`` list (``testing.fault_server``'s ``nochoices``), not the server's HTML error page."""


class ResponseParsingError(ValueError):
    """An answer that does not parse into the response model; ``last_completion`` carries its
    usage, which the client counts as billed (as it does Instructor's failed attempts)."""

    def __init__(self, message: str, completion: FastCompletion):
        super().__init__(message)
        self.last_completion = completion


@dataclass
class _Headers:
    headers: dict[str, str]


@dataclass
class FastCompletion:
    """Just what the client reads from a completion: ``usage``."""

    usage: dict[str, int] = field(default_factory=dict)
    model: str = ""
    # seconds a relayed call waited for a slot of the run's window before it was sent (``llm.relay``)
    queued_s: float = 0.0


def chat_url(api_base: str) -> str:
    """``<api_base>/chat/completions``, the path joined before any query (``...?api-version=x``)."""
    parts = urlsplit(api_base)
    return urlunsplit(parts._replace(path=parts.path.rstrip("/") + "/chat/completions"))


def supports(litellm_model: str, api_base: str | None) -> bool:
    return litellm_model.startswith("openai/") and bool(api_base)


class FastTransport:
    """One aiohttp session per event loop (sessions cannot cross loops)."""

    def __init__(self) -> None:
        self._sessions: dict[int, tuple[aiohttp.ClientSession, Any]] = {}

    async def _session(self) -> aiohttp.ClientSession:
        loop = asyncio.get_running_loop()
        held = self._sessions.get(id(loop))
        if held is None or held[0].closed:
            s = aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0, ttl_dns_cache=300))
            closer = _close_at_loop_shutdown(s)
            await closer.__anext__()
            self._sessions[id(loop)] = held = (s, closer)
        return held[0]

    async def create_with_completion(self, *, model: str, messages: list[dict[str, Any]],
                                     response_model: type[BaseModel], api_base: str, api_key: str | None = None,
                                     schema: dict[str, Any] | None = None, timeout: float = 120.0,
                                     **params: Any) -> tuple[BaseModel, FastCompletion]:
        """One call: ``request``, ``exchange``, ``parse`` (raises as ``parse`` does, or the wire's
        aiohttp / timeout exceptions)."""
        req = request(model=model, messages=messages, response_model=response_model, api_base=api_base,
                      api_key=api_key, schema=schema, timeout=timeout, **params)
        return parse(*await self.exchange(req), response_model)

    async def exchange(self, req: Request) -> Answer:
        """POST ``req`` and read the whole answer, whatever its status (raises the wire's aiohttp
        and timeout exceptions only: what the status and body mean is ``parse``'s)."""
        session = await self._session()
        async with session.post(req.url, data=req.body, headers=req.headers,
                                timeout=aiohttp.ClientTimeout(total=req.timeout)) as resp:
            return Answer(resp.status, await _bounded_body(resp), dict(resp.headers))


async def _bounded_body(resp: aiohttp.ClientResponse, limit: int | None = None) -> bytes:
    """The whole body, or ``AnswerTooLarge`` as soon as it is announced or found to be over
    ``limit`` (default ``MAX_ANSWER_BYTES``) bytes (the connection is then dropped, not drained)."""
    limit = MAX_ANSWER_BYTES if limit is None else limit
    if resp.content_length is not None and resp.content_length > limit:
        resp.close()
        raise AnswerTooLarge(f"HTTP {resp.status}: an answer of {resp.content_length:,} bytes, over the "
                             f"{limit:,} ({limit >> 20} MB) a chat completion may be")
    body = await resp.content.read(limit + 1)
    while len(body) <= limit and not resp.content.at_eof():
        more = await resp.content.read(limit + 1 - len(body))
        if not more:
            break
        body += more
    if len(body) > limit:
        resp.close()
        raise AnswerTooLarge(f"HTTP {resp.status}: an answer of more than {limit:,} bytes ({limit >> 20} MB), "
                             "over what a chat completion may be")
    return body


class Request(NamedTuple):
    """One chat completion request as it goes on the wire (the body already JSON: it crosses
    processes as bytes, ``llm.relay``)."""

    url: str
    body: bytes
    headers: dict[str, str]
    timeout: float


class Answer(NamedTuple):
    """The endpoint's whole answer: HTTP status, body bytes, headers."""

    status: int
    body: bytes
    headers: dict[str, str]


def request(*, model: str, messages: list[dict[str, Any]], response_model: type[BaseModel], api_base: str,
            api_key: str | None = None, schema: dict[str, Any] | None = None, timeout: float = 120.0,
            **params: Any) -> Request:
    """The request Instructor's JSON_SCHEMA mode sends for ``model`` (``openai/`` prefix dropped):
    the messages, ``response_format`` json_schema named after ``response_model`` (``schema`` when
    given, else the model's own), and the sampling ``params`` an OpenAI-compatible server reads."""
    body: dict[str, Any] = {
        "model": model.removeprefix("openai/"), "messages": messages,
        "response_format": {"type": "json_schema", "json_schema": {
            "name": response_model.__name__, "schema": schema or response_model.model_json_schema()}},
        **{k: v for k, v in params.items() if k in ("temperature", "max_tokens", "seed", "top_p", "stop")},
    }
    headers = {"Content-Type": "application/json"}
    if api_key:
        headers["Authorization"] = f"Bearer {api_key}"
    # json.dumps as aiohttp's json= argument serialises: the same bytes on the wire as before
    return Request(chat_url(api_base), json.dumps(body).encode(), headers, timeout)


def parse(status: int, raw: bytes, headers: dict[str, str],
          response_model: type[BaseModel]) -> tuple[BaseModel, FastCompletion]:
    """The parsed answer and its usage. Raises ``FastHTTPError`` (status >= 400),
    ``InvalidCompletion`` (a body that is not JSON), ``MalformedCompletion`` (JSON without a
    completion's parts), ``ResponseParsingError`` (content that breaks ``response_model``)."""
    if status >= 400:
        raise FastHTTPError(status, raw.decode("utf-8", "replace"), headers)
    try:
        data = json.loads(raw)
    except ValueError:
        data = None
    if not isinstance(data, dict):  # an HTML error page from a proxy, say: the server's fault
        raise InvalidCompletion(f"HTTP {status} with a body that is not a chat completion: "
                                f"{raw[:200].decode('utf-8', 'replace')}")
    usage = data.get("usage")
    completion = FastCompletion(usage=usage if isinstance(usage, dict) else {}, model=str(data.get("model", "")))
    content = _content(data, status)
    try:
        value = response_model.model_validate_json(content)
    except ValueError as e:  # pydantic's ValidationError: an answer that breaks the schema, billed
        raise ResponseParsingError(str(e), completion) from e
    return value, completion


def _content(data: dict[str, Any], status: int) -> str:
    """``choices[0].message.content`` ("" for null), or ``MalformedCompletion`` saying which part
    of the body is missing or of the wrong type: a reply whose ``choices`` was a string surfaced as
    "TypeError: string indices must be integers", an empty list as "IndexError: list index out of range"."""
    choices = data.get("choices")
    if not isinstance(choices, list) or not choices:
        raise MalformedCompletion(f"HTTP {status}: not a chat completion: 'choices' is "
                                f"{_shape(choices)}, not a non-empty list")
    message = choices[0].get("message") if isinstance(choices[0], dict) else None
    if not isinstance(message, dict):
        raise MalformedCompletion(f"HTTP {status}: not a chat completion: 'choices[0].message' is "
                                f"{_shape(message)}, not an object")
    content = message.get("content")
    if content is not None and not isinstance(content, str):
        raise MalformedCompletion(f"HTTP {status}: not a chat completion: 'choices[0].message.content' is "
                                f"{_shape(content)}, not text")
    return content or ""


def _shape(value: Any) -> str:
    return "missing" if value is None else f"{type(value).__name__} {json.dumps(value)[:60]}"


async def _close_at_loop_shutdown(session: aiohttp.ClientSession):
    """An async generator the loop finalizes in ``shutdown_asyncgens`` (``asyncio.run`` does):
    the session closes with its loop instead of warning at garbage collection."""
    try:
        yield
    finally:
        await session.close()


_TRANSPORT = FastTransport()


def transport() -> FastTransport:
    return _TRANSPORT
