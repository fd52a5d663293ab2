"""The request body as it arrives over a real socket (uvicorn's HTTP parser, as ``liner serve``
runs it), not as a test client hands it over: the size limit counts the bytes received, whatever
the headers claim, and a body that stops arriving is answered (408) instead of held for good."""

from __future__ import annotations

import json
import socket
import time

from linernotes.config import TagConfig
from linernotes.service.app import ServiceOptions, create_app
from linernotes.service.server import BackgroundService
from tests.service.test_request_guards import Echo


def _service(**options) -> BackgroundService:
    return BackgroundService(create_app(TagConfig(), ServiceOptions(**options), enricher=Echo()))


def _exchange(port: int, head: bytes, body: bytes, wait_s: float = 20) -> tuple[int, bytes]:
    """Send ``head`` (request line and headers, without the blank line) then ``body``; the status
    code and body of the answer (0 when none came within ``wait_s``)."""
    with socket.create_connection(("127.0.0.1", port)) as s:
        s.settimeout(wait_s)
        s.sendall(head + b"\r\n" + body)
        out = b""
        try:
            while b"\r\n\r\n" not in out or not out.endswith(b"}"):
                chunk = s.recv(65536)
                if not chunk:
                    break
                out += chunk
        except (TimeoutError, ConnectionResetError):
            pass
    status, _, rest = out.partition(b"\r\n\r\n")
    return (int(status.split()[1]) if status else 0), rest


def _post(extra: bytes) -> bytes:
    return (b"POST /v1/enrich HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n"
            b"Content-Type: application/json\r\n" + extra)


def _chunked(body: bytes) -> bytes:
    return b"%x\r\n" % len(body) + body + b"\r\n0\r\n\r\n"


def test_a_content_length_beside_a_chunked_body_does_not_lift_the_size_limit() -> None:
    """QA: 'Content-Length: 5' with 'Transfer-Encoding: chunked' (the parser reads the chunks, as
    HTTP/1.1 says) got a 50 KB body past a 10 KB --max-body-mb, 200: the guard read the header's
    5 and let the route read the body whole, so any size got in."""
    big = json.dumps({"item": {"id": "big", "description": "w" * 50_000}}).encode()
    small = json.dumps({"item": {"id": "small"}}).encode()
    with _service(max_body_bytes=10_240) as svc:
        liar, over = _exchange(svc.port, _post(b"Content-Length: 5\r\nTransfer-Encoding: chunked\r\n"), _chunked(big))
        honest, _ = _exchange(svc.port, _post(b"Transfer-Encoding: chunked\r\n"), _chunked(big))
        fine, served = _exchange(svc.port, _post(b"Content-Length: 5\r\nTransfer-Encoding: chunked\r\n"), _chunked(small))
    assert (liar, honest) == (413, 413), over[:200]
    assert b"10,240" in over
    assert fine == 200 and json.loads(served)["records"][0]["id"] == "small"


def test_a_body_that_stops_arriving_is_answered_408_and_does_not_hold_the_service_at_shutdown() -> None:
    """QA: a client that sent its headers and half its body, then nothing, held its connection for
    good; after SIGTERM the service waited on it and never exited (90 s, until the client gave up),
    so an orchestrator's SIGKILL would take the requests in flight with it."""
    half = b'{"item": {"id": '
    with _service(body_timeout_s=0.5) as svc:
        t = time.monotonic()
        status, body = _exchange(svc.port, _post(b"Content-Length: 100\r\n"), half)
        waited = time.monotonic() - t
        with socket.create_connection(("127.0.0.1", svc.port)) as stalled:
            stalled.sendall(_post(b"Content-Length: 100\r\n") + b"\r\n" + half)
            time.sleep(0.2)
            svc.server.should_exit = True  # what SIGTERM does
            svc.thread.join(10)
            stopped = not svc.thread.is_alive()
    assert status == 408 and waited < 5, (status, waited)
    assert b"0.5 s" in body
    assert stopped


def test_a_compressed_body_is_415_naming_its_content_encoding() -> None:
    """QA: a gzip body sent with 'Content-Encoding: gzip' (a client with compression on) was 422
    'the request body is not JSON: not UTF-8 text (byte 1: invalid start byte)', as if its JSON
    were broken; the service never decodes a content coding."""
    import gzip

    body = json.dumps({"item": {"id": "z"}}).encode()
    with _service() as svc:
        for coding in (b"gzip", b"br", b"deflate, gzip"):
            status, answer = _exchange(svc.port, _post(b"Content-Encoding: %s\r\nContent-Length: %d\r\n"
                                                       % (coding, len(gzip.compress(body)))), gzip.compress(body))
            assert status == 415 and coding in answer and b"uncompressed" in answer, (coding, status, answer)
        plain, _ = _exchange(svc.port, _post(b"Content-Encoding: identity\r\nContent-Length: %d\r\n" % len(body)), body)
    assert plain == 200
