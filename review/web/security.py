"""Guards for the review server: who may talk to it, and which writes are really the annotator's.

- Bind: loopback by default; any other address needs an access token (``check_bind``).
- Access token (when set): a ``/login?token=...`` visit sets an HttpOnly cookie; scripts may send
  the ``X-Review-Token`` header instead. Compared with ``hmac.compare_digest``.
- CSRF: a per-session random token in a cookie that must be echoed in the form field or the
  ``X-CSRF-Token`` header (double submit), plus an Origin/Referer check against the Host.
  Cookies are SameSite=Lax (not Strict) so following a link to the UI keeps the session's token
  and sign-in; GETs change nothing, and cross-site POSTs carry no cookie.
- Host check on loopback binds, so a DNS-rebinding page can't reach the server by name.
"""

from __future__ import annotations

import hmac
import ipaddress
import secrets
from urllib.parse import urlsplit

from starlette.requests import Request

CSRF_COOKIE = "liner_review_csrf"
AUTH_COOKIE = "liner_review_auth"
ANNOTATOR_COOKIE = "liner_review_annotator"
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "x-csrf-token"
TOKEN_HEADER = "x-review-token"
LOOPBACK_NAMES = {"localhost", "127.0.0.1", "::1", "[::1]"}


class BindError(Exception):
    """Refused to listen: a non-loopback address without a token (exit code 2)."""


def is_loopback(host: str) -> bool:
    if host in LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def check_bind(host: str, token: str | None) -> None:
    if not is_loopback(host) and not token:
        raise BindError(f"refusing to listen on {host}: a non-loopback address needs --token "
                        "(annotators then open /login?token=...)")


def same(a: str | None, b: str | None) -> bool:
    return bool(a) and bool(b) and hmac.compare_digest(str(a).encode(), str(b).encode())


def new_token() -> str:
    return secrets.token_urlsafe(32)


def authorised(request: Request, token: str | None) -> bool:
    if not token:
        return True
    return same(request.cookies.get(AUTH_COOKIE), token) or same(request.headers.get(TOKEN_HEADER), token)


def host_allowed(request: Request, loopback_only: bool) -> bool:
    """On a loopback bind only loopback host names are served (defeats DNS rebinding)."""
    if not loopback_only:
        return True
    host = request.headers.get("host", "")
    name = host.rsplit(":", 1)[0] if not host.startswith("[") else host.split("]")[0] + "]"
    return name in LOOPBACK_NAMES


def origin_ok(request: Request) -> bool:
    """A write's Origin (or, lacking it, Referer) must name this server; neither present is allowed
    only together with the CSRF token, which a cross-site page cannot read."""
    host = request.headers.get("host", "")
    claimed = request.headers.get("origin") or request.headers.get("referer")
    if not claimed:
        return True
    if claimed == "null":
        return False
    return urlsplit(claimed).netloc == host


def csrf_ok(request: Request, submitted: str | None) -> bool:
    return same(request.cookies.get(CSRF_COOKIE), submitted) and origin_ok(request)
