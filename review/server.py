"""``liner review serve``: check the bind, the token and the store, then run the web app with uvicorn."""

from __future__ import annotations

import errno
import socket
from pathlib import Path
from typing import Any

from linernotes.review.web.security import BindError, check_bind, check_host, check_token, is_loopback

__all__ = ["BindError", "listen", "prepare", "serve"]


def prepare(store: str | Path, host: str = "127.0.0.1", token: str | None = None,
            audio_root: str | Path | None = None) -> Any:
    """The ASGI app for ``store``; ``BindError`` (no address, unsafe bind, weak token, an
    ``audio_root`` that is no folder) or ``StoreError`` (missing, empty, corrupt or foreign store)
    before anything listens or is printed."""
    from linernotes.review.store import ReviewStore
    from linernotes.review.web.app import Settings, create_app
    from linernotes.review.web.media import audio_root_problem

    check_host(host)  # blank: every interface (printed as 'http://:8765/'); '127.0.0.1:80', '[::1]': a wrong reason
    check_bind(host, token)
    check_token(token)
    if why := audio_root_problem(audio_root):  # else every item's audio was a silent 404
        raise BindError(why)
    root = audio_root or ReviewStore(store).meta().get("audio_root")
    return create_app(Settings(store=Path(store), token=token, loopback_only=is_loopback(host),
                               audio_root=Path(root) if root else None))


def listen(host: str, port: int) -> socket.socket:
    """The server's socket, bound before anything is printed: ``BindError`` naming the address when
    it cannot be had. uvicorn bound it after 'review UI on http://...' was printed, then logged
    '[Errno 98] ... address already in use' and exited 3."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # a just-stopped server's port, as uvicorn does
    try:
        sock.bind((host, port))
    except OSError as e:
        sock.close()
        why = ("; another program (another liner review serve?) listens there: choose another --port"
               if e.errno == errno.EADDRINUSE else "")
        raise BindError(f"cannot listen on {host}:{port} ({e.strerror or e}){why}") from None
    return sock


def serve(app: Any, sock: socket.socket, log_level: str = "warning", header_timeout_s: float | None = None) -> None:
    """Serve ``app`` on the socket ``listen`` bound; blocks until interrupted. A connection whose
    request headers take longer than ``header_timeout_s`` (default ``HEADER_TIMEOUT_S``) is closed
    (``web.slow_clients``)."""
    import uvicorn

    from linernotes.review.web.slow_clients import HEADER_TIMEOUT_S, header_deadline_protocol

    config = uvicorn.Config(app, log_level=log_level, access_log=False, server_header=False,
                            http=header_deadline_protocol(header_timeout_s or HEADER_TIMEOUT_S))
    uvicorn.Server(config).run(sockets=[sock])
