"""``liner review serve`` reads every request body under a size, a pause and a total limit, and an
answer given before the body is read closes the connection. Found next to the service's slowloris
(session 19, left): POST /decide with its body announced and then trickled (or never sent) got no
answer and held its connection for good (8 s of bytes, no answer), and GET /healthz or a refused
POST (403) answered, then kept the connection open while the unread body trickled in. Real
sockets, bytes trickled in; the limits are set short through ``Settings``."""

from __future__ import annotations

import socket
import time

import pytest

from linernotes.review.web.app import Settings, create_app
from linernotes.service.server import BackgroundService

pytestmark = pytest.mark.timeout(120)


@pytest.fixture
def server(built_store):
    with BackgroundService(create_app(Settings(store=built_store, body_pause_s=2, body_deadline_s=1.5))) as svc:
        yield svc


def _trickle(port: int, head: bytes, for_s: float = 8) -> tuple[bytes, float]:
    """Send ``head`` (a 1,000-byte body announced), then a byte every 0.2 s; what came back and
    when the server closed the connection (inf: still open after ``for_s``)."""
    with socket.create_connection(("127.0.0.1", port)) as s:
        s.sendall(head + b"Content-Length: 1000\r\n\r\n")
        s.settimeout(0.2)
        t = time.monotonic()
        out = b""
        while time.monotonic() - t < for_s:
            try:
                s.sendall(b" ")
                chunk = s.recv(65536)
            except TimeoutError:
                continue
            except (BrokenPipeError, ConnectionResetError):
                return out, time.monotonic() - t
            if not chunk:
                return out, time.monotonic() - t
            out += chunk
        return out, float("inf")


@pytest.mark.parametrize("head", [
    b"POST /decide/model-off HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/x-www-form-urlencoded\r\n",
    b"POST /api/adjudicate/model-off HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n",
    b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n",
], ids=["decide", "adjudicate", "healthz"])
def test_a_trickled_body_is_408_and_the_connection_closes_at_the_deadline(server, head) -> None:
    out, closed_after = _trickle(server.port, head)
    assert out.startswith(b"HTTP/1.1 408 ") and b"not all in within 1.5 s" in out, out[:300]
    assert closed_after < 6, closed_after


def test_an_answer_before_the_body_closes_the_connection(server) -> None:
    out, closed_after = _trickle(server.port, b"POST /decide/model-off HTTP/1.1\r\nHost: evil.example\r\n")
    assert out.startswith(b"HTTP/1.1 421 ") and closed_after < 1, (out[:200], closed_after)


def test_a_decision_sent_in_time_is_still_saved(server) -> None:
    import httpx

    with httpx.Client(base_url=f"http://127.0.0.1:{server.port}") as client:
        csrf = client.get("/api/session").json()["csrf_token"]
        r = client.post("/api/adjudicate/model-off", json={"annotator": "ann", "action": "accept_gold", "version": 0},
                        headers={"X-CSRF-Token": csrf})
    assert r.status_code == 200, r.text[:300]


def test_the_shipped_limits_take_a_full_body_on_a_slow_link() -> None:
    from linernotes.review.web.app import BODY_DEADLINE_S, BODY_PAUSE_S
    from linernotes.review.web.security import MAX_BODY_BYTES

    assert BODY_PAUSE_S >= 10 and MAX_BODY_BYTES / BODY_DEADLINE_S < 20_000  # ~17 KB/s is enough
