"""The call relay: worker processes build and parse their HTTP calls, the run's process sends them
(``linernotes.run.parallel``, the HTTP transport only).

Why: with the graph in worker processes, each worker's event loop also runs its items' tools,
fusion and records, in passes of up to tens of ms. An answer that reached a worker's socket
waited for the pass to end before its call slot (``llm.window``) was freed and the next call
sent: at C = 64 against a 200 ms endpoint a call's slot was held ~14 ms longer than the endpoint
took, and the endpoint had 57-60 of its 64 calls at once (benchmarks/README.md, row 2). The run's
process does little else (reading rows, writing records): there the answer is read within a
pass of ~1 ms and the next call, already waiting in the run's window, goes out at once.

Split of the work: the worker builds the request (``fast.request``: body JSON, key, timeout) and
parses the answer (``fast.parse``), so its errors, retries, usage and cache are the client's as
in one process; the run's process only exchanges bytes (``fast.FastTransport.exchange``) under
the run's call window. A failed exchange (no answer: refused, reset, timed out) comes back as
``RelayedError`` carrying the kind ``llm.client.classify`` gave it in the run's process and the
exception's name and text, so an error record reads as it would in one process.

Messages (plain tuples, pickled by ``multiprocessing`` queues): worker -> run
``("calls", worker, [(call_id, Request), ...])``; run -> worker ``("answers", None,
[(call_id, (Answer | (kind, name, detail), queued_s)), ...])``, ``queued_s`` the exchange's wait
for a slot of the run's window.
"""

from __future__ import annotations

import asyncio
import itertools
import time
from collections.abc import Callable
from typing import Any

from pydantic import BaseModel

from linernotes.llm import fast
from linernotes.llm.errors import RelayedError
from linernotes.llm.transports import HTTPTransport, Transport, schema_of
from linernotes.llm.window import CallWindow

# a failure's text as sent between processes (redacted and cut to 400 characters in the worker,
# ``llm.client._short``, as any other error's); bounded so a huge exception text is not pickled
MAX_DETAIL = 4000


class Relayed(Transport):
    """A worker's HTTP transport whose exchanges the run's process makes: ``send(call_id,
    request)`` hands a request on; ``resolve(call_id, outcome)`` is called (on the worker's loop)
    when its answer or failure is back. ``ready`` and the request are ``inner``'s."""

    name = "http"
    # the run's process times each exchange from when it sends it (``exchange``), as the client
    # does a call in one process; a deadline in the worker would also count the wait for one of
    # the run's slots, which the other workers' calls hold (``llm.client``)
    times_itself = True

    def __init__(self, inner: HTTPTransport, send: Callable[[int, fast.Request], None]):
        self.inner, self._send = inner, send
        self._ids = itertools.count()
        self._waiting: dict[int, asyncio.Future[Any]] = {}

    def ready(self) -> None:
        self.inner.ready()

    async def complete(self, messages: list[dict[str, Any]], response_model: type[BaseModel],
                       schema: dict[str, Any] | None, params: dict[str, Any]) -> tuple[BaseModel, Any]:
        t = self.inner
        req = fast.request(model=t.model, messages=messages, response_model=response_model, api_base=t.api_base,
                           api_key=t.api_key, schema=schema or schema_of(response_model), **params)
        call_id = next(self._ids)
        fut = asyncio.get_running_loop().create_future()
        self._waiting[call_id] = fut
        try:
            self._send(call_id, req)
            outcome, queued_s = await fut
        finally:
            self._waiting.pop(call_id, None)  # a call cancelled here: its late answer is dropped
        # ``queued_s``: the wait for one of the run's slots, which the client leaves out of the
        # call's latency as it does the wait for its own window's in one process (``llm.client``)
        try:
            if isinstance(outcome, fast.Answer):
                value, completion = fast.parse(*outcome, response_model)
                completion.queued_s = queued_s
                return value, completion
            raise RelayedError(*outcome)
        except Exception as e:
            e.queued_s = queued_s  # type: ignore[attr-defined]
            raise

    def resolve(self, call_id: int, outcome: tuple[Any, float]) -> None:
        fut = self._waiting.get(call_id)
        if fut is not None and not fut.done():
            fut.set_result(outcome)


async def exchange(window: CallWindow, req: fast.Request) -> tuple[fast.Answer | tuple[str, str, str], float]:
    """In the run's process: ``req``'s answer, under one of ``window``'s slots (the run's
    ``--concurrency``), or ``(kind, name, detail)`` for an exchange that failed; with the seconds
    it waited for the slot. Timed from the slot: the request's timeout, and the client's margin
    past it (``llm.client``)."""
    from linernotes.llm.client import DEADLINE_MARGIN_S

    asked, queued_s = time.monotonic(), 0.0
    try:
        async with window.slot():
            queued_s = time.monotonic() - asked
            async with asyncio.timeout(req.timeout + DEADLINE_MARGIN_S):
                return await fast.transport().exchange(req), queued_s
    except asyncio.CancelledError:
        raise
    except Exception as e:  # noqa: BLE001 (classified as the client would in one process)
        from linernotes.llm.client import classify, describe

        name, detail = describe(e)
        return (classify(e), name, detail[:MAX_DETAIL]), queued_s
