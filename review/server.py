"""``liner review serve``: check the bind, the token and the store, then run the web app with uvicorn."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from linernotes.review.web.security import BindError, check_bind, check_token, is_loopback

__all__ = ["BindError", "prepare", "serve"]


def prepare(store: str | Path, host: str = "127.0.0.1", token: str | None = None,
            audio_root: str | Path | None = None) -> Any:
    """The ASGI app for ``store``; ``BindError`` (unsafe bind, weak token) or ``StoreError`` (missing,
    empty, corrupt or foreign store) before anything listens or is printed."""
    from linernotes.review.store import ReviewStore
    from linernotes.review.web.app import Settings, create_app

    check_bind(host, token)
    check_token(token)
    root = audio_root or ReviewStore(store).meta().get("audio_root")
    return create_app(Settings(store=Path(store), token=token, loopback_only=is_loopback(host),
                               audio_root=Path(root) if root else None))


def serve(app: Any, host: str = "127.0.0.1", port: int = 8765, log_level: str = "warning") -> None:
    """Blocks until interrupted."""
    import uvicorn

    uvicorn.run(app, host=host, port=port, log_level=log_level, access_log=False, server_header=False)
