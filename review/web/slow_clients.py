"""A deadline for a request's headers, for both servers (``liner review serve``, ``liner serve``).

uvicorn (0.54, h11) starts no timer until a first response is sent: a client that opens a
connection and sends part of a request line or headers, then nothing, holds the connection for
good (QA: no answer after 40 s). The access token and the Host check only run once the headers
are in, so anyone who can reach the port could hold every file descriptor (20,000 here) with a
few bytes each and no token; the server then accepts nobody (slowloris). Here the headers of each
request on a connection must arrive within ``seconds`` of the connection opening or of the
previous response; a connection still without them gets 408 (nothing, when it sent nothing) and
is closed, as nginx's ``client_header_timeout``. A body is read by the app's middleware under a size
limit, a pause limit and a total deadline (``read_body``; ``liner serve``: --max-body-mb,
--body-timeout, --body-deadline; the review server: 1 MB, 30 s, 60 s).
"""

from __future__ import annotations

import asyncio
from typing import Any

import h11
from uvicorn.protocols.http.h11_impl import H11Protocol

HEADER_TIMEOUT_S = 10.0  # a browser or HTTP client sends its headers in one write; 10 s is nginx's order (60)


def _answer(seconds: float) -> bytes:
    body = f"the request headers did not arrive within {seconds:g} s\n".encode()
    return (b"HTTP/1.1 408 Request Timeout\r\nContent-Type: text/plain; charset=utf-8\r\nConnection: close\r\n"
            b"Content-Length: %d\r\n\r\n" % len(body)) + body


def header_deadline_protocol(seconds: float = HEADER_TIMEOUT_S) -> type[H11Protocol]:
    """uvicorn's h11 protocol, closing a connection whose request headers are not complete within
    ``seconds`` (pass it as ``uvicorn.Config(http=...)``)."""
    if not seconds > 0:
        raise ValueError(f"the header deadline must be above 0 s, not {seconds}")

    class HeaderDeadline(H11Protocol):
        _deadline: asyncio.TimerHandle | None = None

        def connection_made(self, transport: Any) -> None:  # type: ignore[override]
            super().connection_made(transport)
            self._arm()

        def on_response_complete(self) -> None:
            super().on_response_complete()
            self._arm()  # the next request on a kept-alive connection gets its own deadline

        def connection_lost(self, exc: Exception | None) -> None:
            if self._deadline is not None:
                self._deadline.cancel()
            super().connection_lost(exc)

        def _arm(self) -> None:
            if self._deadline is not None:
                self._deadline.cancel()
            self._deadline = self.loop.call_later(seconds, self._expired)

        def _expired(self) -> None:
            # IDLE on the client's side: no complete request line and headers since the timer
            # started (a request being read or answered has left IDLE and is not cut)
            if self.transport.is_closing() or self.conn.their_state is not h11.IDLE:
                return
            if self.conn.trailing_data[0]:  # part of a request came: say why it ends (an idle one just closes)
                self.transport.write(_answer(seconds))
            self.transport.close()

    return HeaderDeadline


async def read_body(request: Any, limit: int, pause_s: float, deadline_s: float) -> tuple[int, str] | None:
    """Read ``request``'s body whole (any method), keep it for the route (starlette replays a body
    a middleware read), and say why it is refused: ``(413, reason)`` past ``limit`` bytes received
    (whatever the headers claim), ``(408, reason)`` when it paused longer than ``pause_s`` (as
    nginx's ``client_body_timeout``: a stalled client held its connection, and a stopping server,
    for good) or was not all in within ``deadline_s`` (a byte within each pause held it as long as
    the client liked: a 64 MB body at one byte per 29 s, two years); None when it is in. The
    answer to a refusal must close the connection: the rest of the body is never read.
    ``starlette.requests.ClientDisconnect`` passes through (the client left while sending)."""
    body = bytearray()
    chunks = request.stream().__aiter__()
    loop = asyncio.get_running_loop()
    deadline = loop.time() + deadline_s
    while True:
        try:  # no task per chunk, as wait_for makes
            async with asyncio.timeout_at(min(deadline, loop.time() + pause_s)):
                chunk = await chunks.__anext__()
        except StopAsyncIteration:
            break
        except TimeoutError:
            if loop.time() >= deadline:
                return 408, (f"the request body was not all in within {deadline_s:g} s ({len(body):,} bytes "
                             "received); send it again, faster")
            return 408, (f"the request body stopped arriving ({len(body):,} bytes received, then nothing for "
                         f"{pause_s:g} s); send it again")
        body += chunk
        if len(body) > limit:
            return 413, f"request body over {limit:,} bytes (the limit)"
    request._body = bytes(body)
    return None
