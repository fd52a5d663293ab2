"""Content identities: the short sha256 digest that names an artifact, a prompt, a spec, a config
or an item by its content (provenance, cache keys, resume checks)."""

from __future__ import annotations

import hashlib

DIGEST_CHARS = 16  # 64 bits of sha256: no accidental collision among the versions one project keeps


def short_digest(data: str | bytes) -> str:
    """The first ``DIGEST_CHARS`` hex characters of sha256(``data``), text as UTF-8."""
    return hashlib.sha256(data.encode() if isinstance(data, str) else data).hexdigest()[:DIGEST_CHARS]
