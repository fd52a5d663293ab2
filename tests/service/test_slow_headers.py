"""Slowloris: a client that sends part of a request's headers, then nothing, no longer holds its
connection for good (QA: uvicorn answered nothing after 40 s; the token and Host checks run only
once the headers are in, so anyone reaching the port could hold every file descriptor). The
headers must arrive within the deadline (``review.web.slow_clients``), else 408 and close; a
request whose answer takes longer than the deadline is not cut."""

from __future__ import annotations

import asyncio
import socket
import time

from linernotes.config import TagConfig
from linernotes.schema import OutputRecord
from linernotes.service.app import ServiceOptions, create_app
from linernotes.service.server import BackgroundService
from tests.review.serving import gold_store_server
from tests.service.test_request_guards import Echo

DEADLINE_S = 1.0
PARTIAL = b"POST /v1/enrich HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Ty"


class SlowEcho(Echo):
    """A test double: answers each item after 2.5 s, longer than the header deadline."""

    async def enrich(self, row):
        await asyncio.sleep(2.5)
        return OutputRecord(id=row.item.id, status="error", error={"kind": "test.echo", "message": "echo"})


def _service(enricher: Echo) -> BackgroundService:
    return BackgroundService(create_app(TagConfig(), ServiceOptions(), enricher=enricher), header_timeout_s=DEADLINE_S)


def _until_closed(s: socket.socket, wait_s: float = 8.0) -> tuple[bytes, float]:
    """Everything received until the server closes the connection (or ``wait_s`` passes), and when."""
    s.settimeout(wait_s)
    t, out = time.monotonic(), b""
    try:
        while chunk := s.recv(65536):
            out += chunk
    except TimeoutError:
        return out, float("inf")
    return out, time.monotonic() - t


def test_partial_headers_get_408_and_the_connection_is_closed() -> None:
    with _service(Echo()) as svc, socket.create_connection(("127.0.0.1", svc.port)) as s:
        s.sendall(PARTIAL)
        out, took = _until_closed(s)
    assert out.startswith(b"HTTP/1.1 408 ") and b"did not arrive within 1 s" in out, out
    assert took < 5, took


def test_a_connection_that_sends_nothing_is_closed() -> None:
    with _service(Echo()) as svc, socket.create_connection(("127.0.0.1", svc.port)) as s:
        out, took = _until_closed(s)
    assert out == b"" and took < 5, (out, took)


def test_a_kept_alive_connection_gets_a_new_deadline_for_its_next_request() -> None:
    with _service(Echo()) as svc, socket.create_connection(("127.0.0.1", svc.port)) as s:
        s.sendall(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
        s.settimeout(5)
        first = b""
        while not first.endswith(b"}"):  # the whole first answer (headers and JSON body may come apart)
            first += s.recv(65536)
        s.sendall(b"GET /healthz HTTP/1.1\r\nHost: 127.0")
        out, took = _until_closed(s)
    assert first.startswith(b"HTTP/1.1 200 ")
    assert out.startswith(b"HTTP/1.1 408 ") and took < 5, (out, took)


def test_a_request_answered_after_the_deadline_is_not_cut() -> None:
    body = b'{"item": {"id": "slow"}}'
    with _service(SlowEcho()) as svc, socket.create_connection(("127.0.0.1", svc.port)) as s:
        s.sendall(b"POST /v1/enrich HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n"
                  b"Content-Type: application/json\r\nContent-Length: %d\r\n\r\n" % len(body) + body)
        out, took = _until_closed(s)
    assert out.startswith(b"HTTP/1.1 200 ") and b'"slow"' in out, out
    assert took >= 2.5


def test_the_review_server_closes_partial_headers_and_keeps_serving(tmp_path) -> None:
    """``liner review serve`` as a process, at its default deadline (10 s)."""
    import httpx

    rows = [{"id": "a", "source": "tweets", "text": "fine", "ratings": [1, 2], "mean": 1.5, "sd": 0.5}]
    with gold_store_server(tmp_path, rows) as (url, _), \
            socket.create_connection(("127.0.0.1", int(url.rsplit(":", 1)[1]))) as s:
        s.sendall(b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ")
        assert httpx.get(url + "/healthz", timeout=5).status_code == 200  # others are served meanwhile
        out, took = _until_closed(s, wait_s=20)
    assert out.startswith(b"HTTP/1.1 408 ") and b"within 10 s" in out, out
    assert took < 15, took
