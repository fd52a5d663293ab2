"""Taxonomy packs: versioned YAML files of entries (id, label, parent, aliases, description).

The product ships its own packs in ``linernotes.packs``; ``--taxonomy PATH`` loads a user's file of
the same shape.
"""

from __future__ import annotations

import hashlib
import re
from functools import lru_cache
from importlib import resources
from pathlib import Path

import yaml
from pydantic import BaseModel, Field, model_validator

# libyaml is ~10x faster than the pure-Python loader on packs of thousands of entries
_YAML_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def slugify(label: str) -> str:
    """The id of a label: lower case, ``&`` read as "and", runs of non-word characters as one hyphen.

    Packs are built with it and gold labels are mapped with it, so the two always agree.
    """
    s = label.strip().lower().replace("&", " and ")
    return re.sub(r"[^\w]+", "-", s, flags=re.UNICODE).strip("-")


class TaxonomyEntry(BaseModel):
    id: str
    label: str
    parent: str | None = None
    aliases: list[str] = Field(default_factory=list)
    description: str | None = None
    valence: float | None = None


class Taxonomy(BaseModel):
    id: str
    version: str
    kind: str = "genre"
    applies_to: list[str] = Field(default_factory=lambda: ["track", "episode", "chapter"])
    attribution: str = ""
    entries: list[TaxonomyEntry]
    digest: str = ""

    @model_validator(mode="after")
    def _check(self) -> Taxonomy:
        ids = [e.id for e in self.entries]
        if len(ids) != len(set(ids)):
            dup = sorted({i for i in ids if ids.count(i) > 1})[:5]
            raise ValueError(f"taxonomy {self.id}: duplicate ids {dup}")
        known = set(ids)
        bad = [e.id for e in self.entries if e.parent is not None and e.parent not in known]
        if bad:
            raise ValueError(f"taxonomy {self.id}: unknown parent for {bad[:5]}")
        return self

    @property
    def by_id(self) -> dict[str, TaxonomyEntry]:
        return {e.id: e for e in self.entries}

    def __contains__(self, entry_id: object) -> bool:
        return entry_id in self._ids()

    def _ids(self) -> frozenset[str]:
        cached = self.__dict__.get("_idset")
        if cached is None:
            cached = frozenset(e.id for e in self.entries)
            self.__dict__["_idset"] = cached
        return cached

    def ancestors(self, entry_id: str) -> list[str]:
        """Parents of an entry, nearest first."""
        index = self.by_id
        out: list[str] = []
        cur = index.get(entry_id)
        while cur is not None and cur.parent is not None and cur.parent not in out:
            out.append(cur.parent)
            cur = index.get(cur.parent)
        return out

    @property
    def ref(self) -> str:
        return f"{self.id}@{self.version}"


def _load(text: str, origin: str) -> Taxonomy:
    data = yaml.load(text, Loader=_YAML_LOADER)
    if not isinstance(data, dict) or "entries" not in data:
        raise ValueError(f"{origin}: not a taxonomy pack (needs id, version, entries)")
    tax = Taxonomy.model_validate(data)
    tax.digest = hashlib.sha256(text.encode("utf-8")).hexdigest()[:12]
    return tax


@lru_cache(maxsize=32)
def load_taxonomy(name_or_path: str) -> Taxonomy:
    """A shipped pack by name (``music-genres``, ``podcast-categories``, ``moods``) or a YAML path."""
    p = Path(name_or_path)
    if p.suffix in (".yaml", ".yml") or p.exists():
        if not p.is_file():
            raise FileNotFoundError(f"taxonomy file {p} not found")
        return _load(p.read_text(encoding="utf-8"), str(p))
    res = resources.files("linernotes.packs").joinpath(f"{name_or_path}.yaml")
    if not res.is_file():
        raise FileNotFoundError(f"no shipped taxonomy named {name_or_path!r}")
    return _load(res.read_text(encoding="utf-8"), name_or_path)
