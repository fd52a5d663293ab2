"""A deadline for a request's headers, for both servers (``liner review serve``, ``liner serve``).

uvicorn (0.54, h11) starts no timer until a first response is sent: a client that opens a
connection and sends part of a request line or headers, then nothing, holds the connection for
good (QA: no answer after 40 s). The access token and the Host check only run once the headers
are in, so anyone who can reach the port could hold every file descriptor (20,000 here) with a
few bytes each and no token; the server then accepts nobody (slowloris). Here the headers of each
request on a connection must arrive within ``seconds`` of the connection opening or of the
previous response; a connection still without them gets 408 (nothing, when it sent nothing) and
is closed, as nginx's ``client_header_timeout``. A body that stalls is the app's concern (``liner serve``: 408 after
``--body-timeout``; the review server's bodies are capped at 1 MB).
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
