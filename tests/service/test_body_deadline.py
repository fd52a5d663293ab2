"""The whole request body has a deadline, not only each pause. Found in session 19's QA and left:
with a token, a client that sent a byte within each --body-timeout (30 s) held its connection for
as long as it liked (a 64 MB body at that pace: two years); many such clients hold every file
descriptor of the service. Now 408 once the body is not all in within --body-deadline, on every
path (with the token, and on a path that needs none). Real sockets, bytes trickled in."""

from __future__ import annotations

import json
import socket
import time

import pytest

from linernotes.config import TagConfig
from linernotes.service.app import ServiceOptions, create_app
from linernotes.service.server import BackgroundService
from tests.service.test_request_guards import Echo

pytestmark = pytest.mark.timeout(60)

TOKEN = "Zq8-4vLr_x1TnWc7yPe2MbK9sHd3"


def _whole(s: socket.socket, first: bytes = b"") -> bytes:
    """``first`` and the rest of the answer, up to the server's close (a 408 closes the connection):
    its headers and body may come in separate reads (the CI's fresh clone got the headers alone)."""
    s.settimeout(10)
    out = first
    try:
        while chunk := s.recv(65536):
            out += chunk
    except (TimeoutError, ConnectionResetError):
        pass
    return out


def _trickle(port: int, head: bytes, length: int, every_s: float, for_s: float) -> tuple[bytes, float]:
    """Send ``head`` with a ``length``-byte body announced, then one byte per ``every_s`` (each
    pause well under the pause limit) until an answer comes or ``for_s`` passes; the answer and
    when it came (inf: none)."""
    with socket.create_connection(("127.0.0.1", port)) as s:
        s.sendall(head + b"Content-Type: application/json\r\nContent-Length: %d\r\n\r\n" % length)
        s.settimeout(every_s)
        t = time.monotonic()
        sent = 0
        out = b""
        while time.monotonic() - t < for_s and sent < length - 1:  # never the whole body
            try:
                s.sendall(b" ")
                sent += 1
                out = s.recv(65536)
            except TimeoutError:
                continue
            except (BrokenPipeError, ConnectionResetError):
                break
            if out:
                return _whole(s, out), time.monotonic() - t
        return out, float("inf")


def _service(**options) -> BackgroundService:
    return BackgroundService(create_app(TagConfig(), ServiceOptions(**options), enricher=Echo()))


def test_a_body_trickled_with_the_token_is_408_at_the_deadline() -> None:
    with _service(token=TOKEN, body_timeout_s=2, body_deadline_s=1.5) as svc:
        out, took = _trickle(svc.port, b"POST /v1/enrich HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer "
                             + TOKEN.encode() + b"\r\n", 10_000, every_s=0.2, for_s=10)
    assert out.startswith(b"HTTP/1.1 408 "), out[:300]
    assert b"not all in within 1.5 s" in out and b"Connection: close" in out.replace(b"connection", b"Connection")
    assert 1.0 < took < 6, took


def test_a_body_trickled_without_a_token_is_408_at_the_deadline() -> None:
    with _service(body_timeout_s=2, body_deadline_s=1.5) as svc:
        out, took = _trickle(svc.port, b"POST /v1/enrich HTTP/1.1\r\nHost: 127.0.0.1\r\n", 10_000,
                             every_s=0.2, for_s=10)
    assert out.startswith(b"HTTP/1.1 408 ") and b"not all in within 1.5 s" in out, out[:300]
    assert took < 6, took


def test_a_pause_still_says_pause_and_a_body_in_time_is_served() -> None:
    body = json.dumps({"item": {"id": "ok"}}).encode()
    with _service(token=TOKEN, body_timeout_s=0.5, body_deadline_s=5) as svc:
        with socket.create_connection(("127.0.0.1", svc.port)) as s:
            s.settimeout(10)
            s.sendall(b"POST /v1/enrich HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer " + TOKEN.encode()
                      + b"\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{")
            paused = _whole(s)
        with socket.create_connection(("127.0.0.1", svc.port)) as s:
            s.settimeout(10)
            s.sendall(b"POST /v1/enrich HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\nAuthorization: Bearer "
                      + TOKEN.encode() + b"\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n"
                      % len(body))
            for i in range(0, len(body), 4):  # slow but well inside the deadline
                s.sendall(body[i:i + 4])
                time.sleep(0.02)
            served = b""
            while chunk := s.recv(65536):
                served += chunk
    assert paused.startswith(b"HTTP/1.1 408 ") and b"then nothing for 0.5 s" in paused, paused[:300]
    assert served.startswith(b"HTTP/1.1 200 ") and b'"ok"' in served, served[:300]


def test_the_deadline_is_a_serve_option() -> None:
    from tests.conftest import run_liner_in_process

    r = run_liner_in_process(["serve", "--help"])
    assert "--body-deadline" in r.stdout
    with pytest.raises(ValueError):
        ServiceOptions(body_deadline_s=0)


@pytest.mark.parametrize("method", ["GET", "HEAD", "DELETE"])
def test_a_body_trickled_on_a_path_that_reads_none_is_cut_at_the_deadline(method: str) -> None:
    """GET /healthz needs no token and reads no body: one that announced a body was answered 200,
    then its connection stayed open for as long as the body trickled in (8 s of bytes, still open)."""
    with _service(body_timeout_s=2, body_deadline_s=1.5) as svc, \
            socket.create_connection(("127.0.0.1", svc.port)) as s:
        s.sendall(method.encode() + b" /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 10000\r\n\r\n")
        s.settimeout(0.2)
        t = time.monotonic()
        closed_after = float("inf")
        while time.monotonic() - t < 8:
            try:
                s.sendall(b" ")
                if not s.recv(65536):
                    closed_after = time.monotonic() - t
                    break
            except TimeoutError:
                continue
            except (BrokenPipeError, ConnectionResetError):
                closed_after = time.monotonic() - t
                break
    assert closed_after < 6, f"{method}: the connection was still open after 8 s of a trickled body"


def test_a_get_without_a_body_is_answered_at_once() -> None:
    with _service(body_deadline_s=1.5) as svc, socket.create_connection(("127.0.0.1", svc.port)) as s:
        s.settimeout(5)
        t = time.monotonic()
        s.sendall(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Encoding: gzip\r\n\r\n")
        out = s.recv(65536)
    assert out.split(b"\r\n")[0] in (b"HTTP/1.1 200 OK", b"HTTP/1.1 503 Service Unavailable") and time.monotonic() - t < 1
