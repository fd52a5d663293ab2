"""The values an annotator may enter for a field: its vocabulary, and how typed text maps onto it.

- ``genres``: ids of the shipped genre taxonomies (``music-genres`` from the beets tree and
  ``podcast-categories``, see ``linernotes.packs``) plus every label the store's own gold set and
  model already use, so "keep what gold says" can always be typed back in;
- ``moods``: the ``moods`` pack's ids plus the same store labels;
- ``explicit``: ``true`` / ``false``;
- ``language``: a BCP-47 tag shape (RFC 5646 language subtag, then subtags), or ``und``.

Typed labels are matched NFC-normalised and through ``slugify`` (the function packs are built
with), so "Deep House" is stored as the id ``deep-house``.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from functools import lru_cache

PACKS = {"genres": ("music-genres", "podcast-categories"), "moods": ("moods",)}
NOMINAL = {"explicit": ("false", "true")}
# RFC 5646 shape: a 2-3 letter primary language subtag (or 'und'), then 1-8 alphanumeric subtags.
BCP47 = re.compile(r"^[A-Za-z]{2,3}(-[A-Za-z0-9]{1,8})*$")


@lru_cache(maxsize=8)
def pack_ids(field: str) -> frozenset[str]:
    """Ids of the shipped packs for a set field (empty for fields without a pack)."""
    from linernotes.tools.retrieval.taxonomy import load_taxonomy

    return frozenset(e.id for name in PACKS.get(field, ()) for e in load_taxonomy(name).entries)


def vocabulary(field: str, store_labels: Iterable[str] = ()) -> tuple[list[str] | None, str]:
    """(allowed values or None when the field has none, where they come from) for ``field``."""
    if field in NOMINAL:
        return list(NOMINAL[field]), "true/false"
    if field in PACKS:
        ids = pack_ids(field) | {normalise(x) for x in store_labels if isinstance(x, str) and x.strip()}
        return sorted(ids), " + ".join(PACKS[field]) + " taxonomy ids and the store's own labels"
    return None, ""


def normalise(text: str) -> str:
    return unicodedata.normalize("NFC", text).strip()


def match(text: str, allowed: frozenset[str]) -> str | None:
    """The vocabulary id ``text`` names (itself, or its slug), else None."""
    from linernotes.tools.retrieval.taxonomy import slugify

    t = normalise(text)
    if t in allowed:
        return t
    slug = slugify(t)
    return slug if slug in allowed else None


def is_language_tag(text: str) -> bool:
    return bool(BCP47.match(text))
