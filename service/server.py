"""Running the service: the review server's bind rules (loopback by default, a token for any
other address; ``linernotes.review.web.security``), then uvicorn.

``BackgroundService`` runs it on 127.0.0.1 in a thread of this process and stops it on exit
(tests, the benchmark, notebooks).
"""

from __future__ import annotations

import contextlib
import signal
import socket
import threading
import time
from collections.abc import Callable, Iterator

import uvicorn
from fastapi import FastAPI

from linernotes.config import TagConfig
from linernotes.review.web.security import BindError, check_bind, check_host, check_token, is_loopback
from linernotes.review.web.slow_clients import HEADER_TIMEOUT_S, header_deadline_protocol
from linernotes.run.runner import Enricher
from linernotes.service.app import ServiceOptions, create_app, service_config
from linernotes.service.rolling_log import prepare_folder

__all__ = ["BackgroundService", "BindError", "base_url", "build", "serve"]


def build(config: TagConfig, host: str, options: ServiceOptions, enricher: Enricher | None = None) -> FastAPI:
    """Check the bind first (raises ``BindError`` before any model is loaded), then the app
    (``enricher``: built at the app's startup when None)."""
    _check_access(host, options)
    return create_app(config, options.model_copy(update={"loopback_only": is_loopback(host)}), enricher)


def _check_access(host: str, options: ServiceOptions) -> None:
    check_host(host)  # before the token rule, which took any string for a non-loopback address
    check_token(options.token)  # the review server's strength rules for a token that guards a network bind
    try:
        check_bind(host, options.token)
    except BindError:
        raise BindError(f"refusing to listen on {host}: a non-loopback address needs --token "
                        "(clients then send 'Authorization: Bearer <token>')") from None


def serve(config: TagConfig, host: str = "127.0.0.1", port: int = 8780,
          options: ServiceOptions | None = None, announce: Callable[[int], None] | None = None) -> None:
    """Serve until interrupted. Raises ``BindError`` for a non-loopback host without a token or
    an address that cannot be bound (in use, not this machine's),
    ``OutputError`` for a ``log_dir`` that cannot be made or written, and
    whatever building the graph raises (a fusion folder, signal model, exemplar index, prompt or
    pack that cannot load: ``ValueError`` / ``OSError`` naming it) before the port is bound, so a
    bad option is an error line and exit 2, not a traceback from the app's startup. ``announce``
    is called once the graph is built, just before serving, with the port the socket holds:
    ``port`` 0 lets the OS choose a free one (tests, parallel users), and only the socket knows it."""
    options = options or ServiceOptions()
    _check_access(host, options)
    if options.log_dir is not None:
        prepare_folder(options.log_dir, options.overwrite_shipped)  # an impossible --log-dir is an error line, before the model loads
    sock = listen_socket(host, port)  # a port in use is an error line, before the model loads
    port = sock.getsockname()[1]  # the port given, or the one the OS chose for 0
    try:
        enricher = Enricher(service_config(config, options.audio_root, options.concurrency))
        try:
            app = build(config, host, options, enricher)
            if announce is not None:
                announce(port)
            server = _Server(uvicorn.Config(app, host=host, port=port, log_level="warning", access_log=False,
                                            http=header_deadline_protocol()))
            server.run(sockets=[sock])
        finally:
            enricher.close()
    finally:
        sock.close()
    # the signal that stopped the server (requests in flight answered, log closed) now reaches
    # liner's own handling, outside the event loop: 'liner: stopped by SIGTERM', exit 143
    for sig in reversed(server.stop_signals):
        if sig == signal.SIGINT and signal.getsignal(sig) is signal.SIG_IGN:
            # SIGINT was ignored when liner started (a background job of a script): raising it
            # again did nothing and the server stopped by it exited 0, silently; uvicorn still
            # caught it and stopped, so it ends as the interrupt it was (exit 130)
            raise KeyboardInterrupt
        signal.raise_signal(sig)


def base_url(host: str, port: int) -> str:
    """The URL a client uses for ``host:port``: an IPv6 address in brackets (RFC 3986), as
    'http://::1:8780/' is no URL a browser or curl can open."""
    return f"http://[{host}]:{port}/" if ":" in host else f"http://{host}:{port}/"


def listen_socket(host: str, port: int) -> socket.socket:
    """A TCP socket bound to ``host:port`` (uvicorn listens on it); raises ``BindError`` naming the
    address and the reason. uvicorn bound it itself after the model had loaded and 'liner serve:
    http://...' was printed, then logged '[Errno 98] error while attempting to bind ...' and
    exited 3."""
    try:
        family, kind, proto, _, address = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM,
                                                             flags=socket.AI_PASSIVE)[0]
        sock = socket.socket(family, kind, proto)
    except OSError as e:
        raise BindError(f"cannot listen on {host}:{port}: {e.strerror or e}") from None
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as uvicorn: a restart reuses the port at once
        sock.bind(address)
    except OSError as e:
        sock.close()
        raise BindError(f"cannot listen on {host}:{port}: {e.strerror or e}") from None
    return sock


class _Server(uvicorn.Server):
    """uvicorn's server, but the stop signal it caught is kept for ``serve`` to raise again
    after the event loop has closed. uvicorn raises it again itself, inside the loop, as soon as
    it puts the previous handlers back; liner's SIGTERM handler (``linernotes.run.stopping``) then
    interrupts the loop from a callback while ``asyncio.run`` is closing it, and a SIGTERM with
    requests in flight ended in two tracebacks ('Event loop stopped before Future completed')."""

    stop_signals: list[int]

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        self.stop_signals = []
        with super().capture_signals():
            yield
            self.stop_signals = list(self._captured_signals)
            self._captured_signals.clear()  # uvicorn raises what is left here when its block ends


class BackgroundService:
    """``with BackgroundService(app) as svc: httpx.get(svc.base_url + "/healthz")`` — 127.0.0.1, a
    free port, ready (startup done) on enter, stopped on exit."""

    def __init__(self, app: FastAPI, startup_timeout_s: float = 120, header_timeout_s: float = HEADER_TIMEOUT_S):
        self.app = app
        self.timeout = startup_timeout_s
        self.server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=0, log_level="warning",
                                                    access_log=False, lifespan="on",
                                                    http=header_deadline_protocol(header_timeout_s)))
        self.thread = threading.Thread(target=self.server.run, name="liner-service", daemon=True)
        self.port = 0

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def __enter__(self) -> BackgroundService:
        self.thread.start()
        deadline = time.monotonic() + self.timeout
        while not self.server.started:
            if not self.thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError("the service did not start")
            time.sleep(0.02)
        self.port = self.server.servers[0].sockets[0].getsockname()[1]
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.should_exit = True
        self.thread.join(30)
