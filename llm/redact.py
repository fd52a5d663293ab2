"""Redaction: credentials never reach a record, a manifest, a cache key or an error message.

Three sources of secrets, all handled here so every writer redacts the same way:

- key-like environment values (``*_KEY``, ``*_TOKEN``, ``*_SECRET``, ``*_PASSWORD``, 8+ chars),
  which providers echo back in error messages;
- anything shaped like a key (``sk-...``, ``Bearer ...``, ``key-...``);
- credentials inside an endpoint URL (``--api-base http://user:sk-x@host/v1`` or
  ``...?api_key=x``): the user-info part and key-like query values, both as they appear in a
  URL and, once known from the config (``url_secrets``), wherever else they are echoed.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable
from urllib.parse import parse_qsl, unquote, urlsplit

REDACTED = "[redacted]"
_SECRET_PATTERNS = re.compile(r"(sk-[A-Za-z0-9_\-]{6,}|Bearer\s+[A-Za-z0-9_\-.=]{6,}|key-[A-Za-z0-9]{16,})")
_ENV_NAME = re.compile(r"(KEY|TOKEN|SECRET|PASSWORD)")
# credentials in any URL of a text: scheme://user:pass@ and ?api_key=... / &token=...
_URL_USERINFO = re.compile(r"(?<=//)[^/@\s\"']*@")
_QUERY_NAME = r"[^=&\s\"'#]*(?:key|token|secret|password|passwd|sig|signature|auth)[^=&\s\"'#]*"
_URL_QUERY_SECRET = re.compile(rf"([?&]{_QUERY_NAME}=)[^&\s\"'#]*", re.IGNORECASE)
_SECRET_QUERY_NAME = re.compile(rf"^{_QUERY_NAME}$", re.IGNORECASE)


def url_secrets(url: str | None) -> tuple[str, ...]:
    """The credentials an endpoint URL carries: user-info (user and password) and the values of
    key-like query parameters, raw and percent-decoded; values under 4 characters are left out
    (blanking "v1" everywhere would redact more than it protects). Never raises."""
    if not url:
        return ()
    try:
        parts = urlsplit(url)
        found = [parts.username, parts.password]
        found += [v for k, v in parse_qsl(parts.query, keep_blank_values=True) if _SECRET_QUERY_NAME.match(k)]
    except ValueError:
        return ()
    out: list[str] = []
    for value in found:
        for v in (value, unquote(value or "")):
            if v and len(v) >= 4 and v not in out:
                out.append(v)
    return tuple(out)


def redact_url(url: str | None) -> str | None:
    """``url`` with its user-info and key-like query values replaced by ``[redacted]``."""
    if not url:
        return url
    return redact(url)


def redact(text: str, secrets: Iterable[str] = ()) -> str:
    """``text`` without known secrets (``secrets``, key-like env values), key-shaped strings, or
    URL credentials. Longest secrets first, so a secret containing another is blanked whole."""
    known = [v for name, v in os.environ.items() if v and len(v) >= 8 and _ENV_NAME.search(name.upper())]
    for value in sorted({*known, *secrets}, key=len, reverse=True):
        if value:
            text = text.replace(value, REDACTED)
    text = _URL_USERINFO.sub(REDACTED + "@", text)
    text = _URL_QUERY_SECRET.sub(r"\1" + REDACTED, text)
    return _SECRET_PATTERNS.sub(REDACTED, text)


class Redactor:
    """``redact`` bound to one configuration's endpoint secrets; picklable (workers, Beam)."""

    def __init__(self, api_base: str | None = None, extra: Iterable[str] = ()):
        self.secrets = (*url_secrets(api_base), *extra)

    def __call__(self, text: str) -> str:
        return redact(text, self.secrets)
