"""On a service with a token, a request without it is answered 401 before its body is read.

Found by QA: the body was read (by the size and pause guards) before the token was checked, so a
client without the token held its connection for as long as it trickled a body, a byte within
each --body-timeout (30 s by default): many such connections hold every file descriptor of a
service bound to the network. Now 401 at once and the connection closes; with the token the
request is served as before."""

from __future__ import annotations

import json
import socket
import time

from linernotes.config import TagConfig
from linernotes.service.app import ServiceOptions, create_app
from linernotes.service.server import BackgroundService
from tests.service.test_request_guards import Echo

TOKEN = "Zq8-4vLr_x1TnWc7yPe2MbK9sHd3"


def _first_answer(port: int, head: bytes, wait_s: float = 10.0) -> tuple[bytes, float]:
    """Send ``head`` and 2 bytes of a 1,000-byte body, then nothing; the answer, and when it began."""
    with socket.create_connection(("127.0.0.1", port)) as s:
        s.settimeout(wait_s)
        t = time.monotonic()
        s.sendall(head + b"Content-Type: application/json\r\nContent-Length: 1000\r\n\r\n{\"")
        out = b""
        try:
            out = s.recv(65536)
            took = time.monotonic() - t
            while b"bearer token" not in out and (chunk := s.recv(65536)):
                out += chunk
        except TimeoutError:
            return out, float("inf")
        return out, took


def test_no_token_is_401_before_the_body_arrives() -> None:
    app = create_app(TagConfig(), ServiceOptions(token=TOKEN, body_timeout_s=30), enricher=Echo())
    with BackgroundService(app) as svc:
        for auth in (b"", b"Authorization: Bearer wrong-token-wrong-token-1\r\n", b"Authorization: Basic " + TOKEN.encode()
                     + b"\r\n"):
            out, took = _first_answer(svc.port, b"POST /v1/enrich HTTP/1.1\r\nHost: 127.0.0.1\r\n" + auth)
            assert out.startswith(b"HTTP/1.1 401 ") and b"bearer token" in out, (auth, out)
            assert took < 5, (auth, took)
        metrics, _ = _first_answer(svc.port, b"POST /metrics HTTP/1.1\r\nHost: 127.0.0.1\r\n")
        assert metrics.startswith(b"HTTP/1.1 401 ")


def test_with_the_token_the_body_is_read_and_served() -> None:
    body = json.dumps({"item": {"id": "ok"}}).encode()
    app = create_app(TagConfig(), ServiceOptions(token=TOKEN), enricher=Echo())
    with BackgroundService(app) as svc, socket.create_connection(("127.0.0.1", svc.port)) as s:
        s.settimeout(10)
        s.sendall(b"POST /v1/enrich HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\nAuthorization: Bearer "
                  + TOKEN.encode() + b"\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n" % len(body))
        time.sleep(0.3)  # the body follows later, as a slow but honest client sends it
        s.sendall(body)
        out = b""
        while chunk := s.recv(65536):
            out += chunk
    assert out.startswith(b"HTTP/1.1 200 ") and b'"ok"' in out, out
