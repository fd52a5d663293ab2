"""Guards for the review server: who may talk to it, and which writes are really the annotator's.

- Bind: loopback by default; any other address needs an access token (``check_bind``).
- Access token (when set): at least ``MIN_TOKEN_CHARS`` characters with ``MIN_TOKEN_DISTINCT``
  different ones (``--generate-token`` makes one of 256 bits); a ``/login?token=...`` visit starts a
  server-side session whose random id (never the token) is the HttpOnly cookie; scripts may send
  the ``X-Review-Token`` header instead. Compared with ``hmac.compare_digest``. Failed attempts
  are throttled per client address and in total (``LoginThrottle``): guessing stays hopeless
  even for a short token.
- CSRF: a per-session random token in a cookie that must be echoed in the form field or the
  ``X-CSRF-Token`` header (double submit), plus an Origin/Referer check against the Host.
  Cookies are SameSite=Lax (not Strict) so following a link to the UI keeps the session's token
  and sign-in; GETs change nothing, and cross-site POSTs carry no cookie.
- Host check on loopback binds, so a DNS-rebinding page can't reach the server by name; any
  loopback address (127.0.0.0/8, ::1) is a valid Host, since the server may be bound to one.
- A request body over ``MAX_BODY_BYTES`` (or chunked, without a length) is refused unread.
"""

from __future__ import annotations

import hmac
import ipaddress
import re
import secrets
import threading
import time
from collections.abc import Callable
from typing import Any
from urllib.parse import quote, unquote, urlsplit

from starlette.requests import Request

CSRF_COOKIE = "liner_review_csrf"
AUTH_COOKIE = "liner_review_auth"
ANNOTATOR_COOKIE = "liner_review_annotator"
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "x-csrf-token"
TOKEN_HEADER = "x-review-token"
LOOPBACK_NAMES = {"localhost", "127.0.0.1", "::1", "[::1]"}
# 20 characters of >= 10 distinct symbols: even a digits-only token has 10^20 values; NIST SP 800-63B
# asks 8+ characters of a memorised secret *with* throttling, this token is typed once per session.
MIN_TOKEN_CHARS = 20
MIN_TOKEN_DISTINCT = 10
SESSION_TTL_S = 12 * 3600.0
URL_BREAKING = frozenset("+#&%")  # change meaning in a query string (WHATWG URL, form decoding)


class BindError(Exception):
    """Refused to listen: a non-loopback address without a token, or a weak token (exit code 2)."""


def check_token(token: str | None) -> None:
    """``BindError`` when a given access token is too weak to stand between the network and the gold set."""
    if token is None:
        return
    if token != token.strip() or any(not c.isprintable() for c in token):
        raise BindError("--token must not contain spaces at its ends or control characters")
    if bad := sorted(set(token) & URL_BREAKING):
        raise BindError(f"--token must not contain {' '.join(repr(c) for c in bad)}: annotators type it into "
                        "/login?token=..., where '+' reads as a space, '#' ends the URL, '&' starts another "
                        "parameter and '%' an escape")
    if len(token) < MIN_TOKEN_CHARS or len(set(token)) < MIN_TOKEN_DISTINCT:
        raise BindError(f"--token is too weak: use at least {MIN_TOKEN_CHARS} characters with "
                        f"{MIN_TOKEN_DISTINCT} different ones, or --generate-token")


def generate_token() -> str:
    """256 random bits, URL-safe (``secrets.token_urlsafe``)."""
    return secrets.token_urlsafe(32)


class LoginThrottle:
    """Failed sign-ins per client address and in total, with exponential lockout.

    ``free`` failures per address pass unthrottled; each later one doubles the lockout (from
    ``base_s``, at most ``max_s``). All addresses together may fail ``global_free`` times per
    ``window_s`` before everyone waits, so spreading guesses over many addresses does not help.
    While locked out, even the right token is refused (else the lockout would leak it).
    """

    def __init__(self, free: int = 5, base_s: float = 1.0, max_s: float = 300.0, global_free: int = 50,
                 window_s: float = 60.0, clock: Callable[[], float] = time.monotonic):
        self.free, self.base_s, self.max_s = free, base_s, max_s
        self.global_free, self.window_s, self.clock = global_free, window_s, clock
        self._fails: dict[str, int] = {}
        self._until: dict[str, float] = {}
        self._recent: list[float] = []
        self._lock = threading.Lock()

    def wait(self, client: str) -> float:
        """Seconds ``client`` must wait before its next attempt (0: go ahead)."""
        now = self.clock()
        with self._lock:
            self._recent = [t for t in self._recent if now - t < self.window_s]
            overall = (self._recent[0] + self.window_s - now) if len(self._recent) >= self.global_free else 0.0
            return max(0.0, self._until.get(client, 0.0) - now, overall)

    def failed(self, client: str) -> None:
        now = self.clock()
        with self._lock:
            n = self._fails[client] = self._fails.get(client, 0) + 1
            self._recent.append(now)
            if n > self.free:
                self._until[client] = now + min(self.max_s, self.base_s * 2 ** (n - self.free - 1))

    def succeeded(self, client: str) -> None:
        with self._lock:
            self._fails.pop(client, None)
            self._until.pop(client, None)


class Sessions:
    """Signed-in sessions: random ids (the cookie) that expire after ``ttl_s``; the token never leaves
    the server."""

    def __init__(self, ttl_s: float = SESSION_TTL_S, clock: Callable[[], float] = time.monotonic):
        self.ttl_s, self.clock = ttl_s, clock
        self._ids: dict[str, float] = {}
        self._lock = threading.Lock()

    def start(self) -> str:
        sid = secrets.token_urlsafe(32)
        with self._lock:
            now = self.clock()
            self._ids = {k: t for k, t in self._ids.items() if t > now}
            self._ids[sid] = now + self.ttl_s
        return sid

    def valid(self, sid: str | None) -> bool:
        if not sid:
            return False
        with self._lock:
            return self._ids.get(sid, 0.0) > self.clock()


def is_loopback(host: str) -> bool:
    return host in LOOPBACK_NAMES or _loopback_ip(host)


def check_host(host: str) -> None:
    """Raise ``BindError`` for a ``host`` that is plainly no address, without asking DNS: blank
    (getaddrinfo reads it as the wildcard: every interface), an address with its port
    ('127.0.0.1:8780'), in brackets ('[::1]') or with a part past 255 ('256.1.1.1'). Each was told
    'a non-loopback address needs --token' (``liner serve`` and ``liner review serve``; the
    review server bound a blank host to every interface with a token and printed 'http://:8765/')."""
    if not host.strip():
        raise BindError(f"cannot listen on {host!r}: no address given: give one (127.0.0.1 or ::1; 0.0.0.0 "
                        "for every interface, with --token)")
    if re.fullmatch(r"[^:\[\]]+:\d+", host):
        raise BindError(f"cannot listen on {host}: an address with a port: give the address alone and the port "
                        "with --port")
    if host.startswith("[") and host.endswith("]"):
        raise BindError(f"cannot listen on {host}: give an IPv6 address without its brackets ({host[1:-1]})")
    if re.fullmatch(r"[\d.]+", host):
        try:
            ipaddress.IPv4Address(host)
        except ValueError as e:
            raise BindError(f"cannot listen on {host}: not an IPv4 address ({e})") from None


def check_bind(host: str, token: str | None) -> None:
    """``BindError`` for a non-loopback address without a token (``check_token`` judges its strength;
    ``linernotes.service`` shares this rule)."""
    if not is_loopback(host) and not token:
        raise BindError(f"refusing to listen on {host}: a non-loopback address needs --token or "
                        "--generate-token (annotators then open /login?token=...)")


def annotator_of(request: Request) -> str:
    """The annotator name the browser remembers (``remember_annotator``), "" when none."""
    return unquote(request.cookies.get(ANNOTATOR_COOKIE, ""))


def remember_annotator(response: Any, name: str) -> None:
    """Keep ``name`` in the annotator cookie, percent-encoded: a header is Latin-1, so a name like
    "田中" or "Łukasz" made the save's response a 500 after the decision was stored."""
    response.set_cookie(ANNOTATOR_COOKIE, quote(name, safe=""), httponly=True, samesite="lax")


def same(a: str | None, b: str | None) -> bool:
    return bool(a) and bool(b) and hmac.compare_digest(str(a).encode(), str(b).encode())


def new_token() -> str:
    return secrets.token_urlsafe(32)


def host_allowed(request: Request, loopback_only: bool) -> bool:
    """On a loopback bind only loopback host names are served (defeats DNS rebinding)."""
    if not loopback_only:
        return True
    name = host_name(request.headers.get("host", ""))
    return name is not None and (name in LOOPBACK_NAMES or _loopback_ip(name))


# RFC 3986 §3.2.2 host [":" port]: an IPv6 literal in brackets, or a name / IPv4 without ':'.
_HOST = re.compile(r"^(?:(\[[0-9A-Fa-f:.]+\])|([^\[\]:\s/@]+))(?::[0-9]{1,5})?$")


def host_name(header: str) -> str | None:
    """The host of a Host header, lower-cased and without a final root dot (``LocalHost.:80`` ->
    ``localhost``); None when the header is not ``host[:port]`` (junk after ``]``, two ports, spaces)."""
    m = _HOST.match(header)
    if m is None:
        return None
    if m.group(1):
        return m.group(1).lower() if _is_ipv6(m.group(1)[1:-1]) else None
    name = m.group(2).lower()
    return name[:-1] if name.endswith(".") and len(name) > 1 else name


def _is_ipv6(text: str) -> bool:
    try:
        ipaddress.IPv6Address(text)
    except ValueError:
        return False
    return True


def _loopback_ip(name: str) -> bool:
    """A literal loopback address (127.0.0.0/8, ::1, and 127.0.0.0/8 written IPv4-mapped as
    ::ffff:127.0.0.1, which Python's ``is_loopback`` says False of); a DNS name never is, whatever
    it resolves to."""
    try:
        address = ipaddress.ip_address(name.strip("[]"))
    except ValueError:
        return False
    mapped = getattr(address, "ipv4_mapped", None)
    return address.is_loopback or (mapped is not None and mapped.is_loopback)


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


# The largest request body the server reads: a decision is a few values and a comment of at most
# 5,000 characters, a sign-in one token; 1 MB leaves room for any of them. Without a cap a 50 MB
# JSON body was read and parsed in full (1.2 s) before the comment limit refused it.
MAX_BODY_BYTES = 1_000_000


def body_refused(method: str, headers: Any) -> tuple[int, str] | None:
    """(status, reason) for a request whose body is not read: 413 when its declared length is over
    ``MAX_BODY_BYTES``, 411 for a body sent without a length (chunked), 400 for a length that is
    not a number; None when it may go on. Methods without a body are never refused."""
    if method in ("GET", "HEAD", "OPTIONS"):
        return None
    length = headers.get("content-length")
    if length is None:
        if "chunked" in headers.get("transfer-encoding", "").lower():
            return 411, "send the request body with a Content-Length"
        return None
    if not length.isdigit():
        return 400, "Content-Length is not a number"
    if int(length) > MAX_BODY_BYTES:
        return 413, f"request body over {MAX_BODY_BYTES:,} bytes"
    return None
