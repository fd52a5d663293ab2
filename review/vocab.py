"""The values an annotator may enter for a field: its vocabulary, and how typed text maps onto it.

Each built-in field's vocabulary follows its shipped spec (``signals/builtin/*.yaml``), by kind:

- a field whose spec names a taxonomy pack (``genres``: ``music-genres``; ``moods``: ``moods``):
  the pack's ids plus every label the store's own gold set and model already use, so "keep what
  gold says" can always be typed back in; ``genres`` also takes the run's pack for episodes and
  chapters (``TagConfig.podcast_taxonomy``, ``podcast-categories``), as the tagger does;
- a boolean field (``explicit``): ``true`` / ``false``;
- ``language`` (text): a BCP-47 tag shape (RFC 5646 language subtag, then subtags), or ``und``.

Typed labels are matched NFC-normalised and through ``slugify`` (the function packs are built
with), so "Deep House" is stored as the id ``deep-house``.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from functools import lru_cache

# RFC 5646 shape: a 2-3 letter primary language subtag (or 'und'), then 1-8 alphanumeric subtags.
BCP47 = re.compile(r"^[A-Za-z]{2,3}(-[A-Za-z0-9]{1,8})*$")


def packs(field: str) -> tuple[str, ...]:
    """The taxonomy packs of a built-in field: its shipped spec's pack, then the run's other
    per-item-type pack for the field whose pack the runtime picks by item type (the genre field
    the ``multilabel`` gold task scores: tracks ``genre_taxonomy``, episodes and chapters
    ``podcast_taxonomy``). () for a field without a pack or not a built-in."""
    from linernotes.config import TagConfig
    from linernotes.signals.builtin import builtin_specs, field_for_task

    spec = builtin_specs().get(field)
    if spec is None or spec.taxonomy is None:
        return ()
    if field == field_for_task("multilabel"):
        run = TagConfig()
        return tuple(dict.fromkeys((spec.taxonomy, run.genre_taxonomy, run.podcast_taxonomy)))
    return (spec.taxonomy,)


@lru_cache(maxsize=8)
def pack_ids(field: str) -> frozenset[str]:
    """Ids of the shipped packs for a set field (empty for fields without a pack)."""
    from linernotes.tools.retrieval.taxonomy import load_taxonomy

    return frozenset(e.id for name in packs(field) for e in load_taxonomy(name).entries)


def vocabulary(field: str, store_labels: Iterable[str] = ()) -> tuple[list[str] | None, str]:
    """(allowed values or None when the field has none, where they come from) for a built-in
    ``field``, by its spec's kind (boolean: true/false; a taxonomy pack: its ids and the store's)."""
    from linernotes.signals.builtin import builtin_specs

    spec = builtin_specs().get(field)
    if spec is not None and spec.kind == "boolean":
        return sorted(spec.ids), "true/false"
    if packs(field):
        ids = pack_ids(field) | {normalise(x) for x in store_labels if isinstance(x, str) and x.strip()}
        return sorted(ids), " + ".join(packs(field)) + " taxonomy ids and the store's own labels"
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
