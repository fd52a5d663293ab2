"""``liner review serve``: check the bind is safe, then run the web app with uvicorn (foreground)."""

from __future__ import annotations

from pathlib import Path

from linernotes.review.web.security import BindError, check_bind, is_loopback

__all__ = ["BindError", "serve"]


def serve(store: str | Path, host: str = "127.0.0.1", port: int = 8765, token: str | None = None,
          audio_root: str | Path | None = None, log_level: str = "warning") -> None:
    """Blocks until interrupted. A non-loopback host without a token raises ``BindError`` first."""
    import uvicorn

    from linernotes.review.store import ReviewStore
    from linernotes.review.web.app import Settings, create_app

    check_bind(host, token)
    root = audio_root or ReviewStore(store).meta().get("audio_root")
    app = create_app(Settings(store=Path(store), token=token, loopback_only=is_loopback(host),
                              audio_root=Path(root) if root else None))
    uvicorn.run(app, host=host, port=port, log_level=log_level, access_log=False, server_header=False)
