"""Taxonomy packs: versioned YAML files of entries (id, label, parent, aliases, description).

The product ships its own packs in ``linernotes.packs``; ``--taxonomy PATH`` loads a user's file of
the same shape.
"""

from __future__ import annotations

import hashlib
import unicodedata
from functools import lru_cache
from importlib import resources
from pathlib import Path

from pydantic import ConfigDict, Field, ValidationError, field_validator, model_validator

from linernotes.files import MAX_CONFIG_BYTES, read_regular_text, special_kind
from linernotes.numbers import TextNumbers
from linernotes.tools.disk_cache import file_stamp
from linernotes.tools.yaml_text import load_pack_yaml


def _strippable_base(ch: str) -> bool:
    return ch.isascii() or unicodedata.name(ch, "").startswith(("LATIN", "GREEK", "CYRILLIC"))


def fold_accents(text: str) -> str:
    """``text`` in NFC with the accents of Latin, Greek and Cyrillic letters removed: the combining
    marks that NFKD splits off such letters are dropped (``Forró``, NFC or NFD, -> ``Forro``;
    fullwidth and other compatibility forms become plain letters). Marks of other scripts stay
    (a Japanese voicing mark or a Devanagari vowel sign is part of the letter, not an accent)."""
    out: list[str] = []
    base = ""
    for ch in unicodedata.normalize("NFKD", text):
        if unicodedata.combining(ch):
            if _strippable_base(base):
                continue
        else:
            base = ch
        out.append(ch)
    return unicodedata.normalize("NFC", "".join(out))


def canonical_id(entry_id: str) -> str:
    """The form every taxonomy id is stored and matched in: ``fold_accents`` and trimmed; case,
    hyphens and ``/`` are kept (a user pack's ids are otherwise its own)."""
    return fold_accents(entry_id).strip()


def slugify(label: str) -> str:
    """The id of a label: accents folded (``fold_accents``, so NFC, NFD and compatibility forms of
    one label give one id), lower case, ``&`` read as "and", runs of non-word characters as one
    hyphen (``Nueva Canción`` -> ``nueva-cancion``, ``Drum & Bass`` -> ``drum-and-bass``).

    Packs are built with it and gold and exemplar labels are mapped with it, so they always agree.
    """
    s = fold_accents(label).strip().lower().replace("&", " and ")
    # a mark that stays (a Devanagari vowel sign) is part of its word, not a separator
    s = "".join(c if c.isalnum() or c == "_" or unicodedata.category(c)[0] == "M" else " " for c in s)
    return "-".join(s.split())


class TaxonomyEntry(TextNumbers):  # a quoted valence '0_5' is refused, not read as 5
    """One entry; ``id`` and ``parent`` are stored as ``canonical_id``, text in NFC. A key it does
    not have is refused: a misspelt ``alias:`` was dropped without a word (its synonyms unused)."""

    model_config = ConfigDict(extra="forbid")

    id: str
    label: str
    parent: str | None = None
    aliases: list[str] = Field(default_factory=list)
    description: str | None = None
    valence: float | None = None

    @field_validator("id", "parent", mode="after")
    @classmethod
    def _canonical(cls, v: str | None) -> str | None:
        return None if v is None else canonical_id(v)

    @field_validator("label", "description", mode="after")
    @classmethod
    def _nfc(cls, v: str | None) -> str | None:
        return None if v is None else unicodedata.normalize("NFC", v)

    @field_validator("aliases", mode="after")
    @classmethod
    def _nfc_all(cls, v: list[str]) -> list[str]:
        return [unicodedata.normalize("NFC", a) for a in v]


class Taxonomy(TextNumbers):
    model_config = ConfigDict(extra="forbid")  # as TaxonomyEntry: 'atribution:' was dropped silently

    id: str
    version: str
    kind: str = "genre"
    applies_to: list[str] = Field(default_factory=lambda: ["track", "episode", "chapter"])
    attribution: str = ""
    entries: list[TaxonomyEntry]
    digest: str = ""

    @field_validator("version", mode="before")
    @classmethod
    def _version_text(cls, v: object) -> object:
        """``version: 1`` or ``1.2`` is what YAML reads as a number: the version it spells ('version:
        Input should be a valid string' refused a hand-written pack over it)."""
        return str(v) if isinstance(v, int | float) and not isinstance(v, bool) else v

    @model_validator(mode="before")
    @classmethod
    def _merge_accent_variants(cls, data: object) -> object:
        """Entries whose ids differ only by accents (``raï`` and ``rai``) are one entry once ids
        are canonical: merged, the first with a parent as the base, the others' labels kept as
        aliases. Ids that are equal as written stay duplicates (an error)."""
        if not isinstance(data, dict) or not isinstance(data.get("entries"), list):
            return data
        raw = [e.model_dump() if isinstance(e, TaxonomyEntry) else e for e in data["entries"]]
        if not all(isinstance(e, dict) and isinstance(e.get("id"), str) for e in raw):
            return data
        groups: dict[str, list[dict]] = {}
        for e in raw:
            groups.setdefault(canonical_id(e["id"]), []).append(e)
        if all(len(g) == 1 or len({e["id"] for e in g}) < len(g) for g in groups.values()):
            return data
        entries = []
        for group in groups.values():
            if len(group) == 1 or len({e["id"] for e in group}) < len(group):
                entries.extend(group)
                continue
            base = dict(next((e for e in group if e.get("parent")), group[0]))
            aliases = list(base.get("aliases") or [])
            for other in group:
                if other is not base and other.get("id") != base["id"]:
                    for key in ("parent", "description", "valence"):
                        if base.get(key) is None and other.get(key) is not None:
                            base[key] = other[key]
                    for a in [other.get("label"), *(other.get("aliases") or [])]:
                        if a and a != base.get("label") and a not in aliases:
                            aliases.append(a)
            base["aliases"] = aliases
            entries.append(base)
        return {**data, "entries": entries}

    @model_validator(mode="after")
    def _check(self) -> Taxonomy:
        ids = [e.id for e in self.entries]
        if len(ids) != len(set(ids)):
            dup = sorted({i for i in ids if ids.count(i) > 1})[:5]
            raise ValueError(f"taxonomy {self.id}: duplicate ids {dup}")
        known = set(ids)
        bad = [f"{e.id!r} names parent {e.parent!r}" for e in self.entries if e.parent is not None
               and e.parent not in known]
        if bad:  # 'unknown parent for ['rock']' left the user to find which parent was meant
            raise ValueError(f"taxonomy {self.id}: unknown parent: {'; '.join(bad[:5])}, which is no entry's id")
        parent = {e.id: e.parent for e in self.entries}
        for start in ids:  # a parent cycle would make every walk up the tree loop forever
            seen, cur = [start], parent[start]
            while cur is not None and cur not in seen:
                seen.append(cur)
                cur = parent[cur]
            if cur is not None:
                loop = seen[seen.index(cur):] + [cur]
                raise ValueError(f"taxonomy {self.id}: parent cycle {' -> '.join(loop)}")
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
    data = load_pack_yaml(text, origin)
    if not isinstance(data, dict) or "entries" not in data:
        raise ValueError(f"{origin}: not a taxonomy pack (needs id, version, entries)")
    try:
        tax = Taxonomy.model_validate(data)
    except ValidationError as e:  # named after the file: the CLI reads a bare field error as an option's
        raise ValueError(f"{origin}: " + "; ".join(
            (".".join(map(str, err["loc"])) + ": " if err["loc"] else "") + _reason(err)
            for err in e.errors()[:3])) from None
    tax.digest = hashlib.sha256(text.encode("utf-8")).hexdigest()[:12]
    return tax


def _reason(err: dict) -> str:
    """One validation error's reason; an unknown key's names the keys the format has."""
    if err["type"] == "extra_forbidden":
        model = TaxonomyEntry if len(err["loc"]) > 1 else Taxonomy
        keys = ", ".join(k for k in model.model_fields if k != "digest")
        return f"not a key of a taxonomy{' entry' if model is TaxonomyEntry else ''} (its keys: {keys})"
    return err["msg"].removeprefix("Value error, ")


def load_taxonomy(name_or_path: str) -> Taxonomy:
    """A shipped pack by name (``music-genres``, ``podcast-categories``, ``moods``) or a YAML path.
    Parsed once per process per file version (``file_stamp``): a file edited in place is read
    again by a long-lived process (``liner serve``, an in-process rerun), as its digest must be."""
    p = Path(name_or_path)
    if p.suffix in (".yaml", ".yml") or p.exists():
        if not p.is_file():
            kind = special_kind(p) or ("a folder" if p.is_dir() else None)
            if kind is not None:
                raise ValueError(f"taxonomy file {p}: is {kind}, not a regular file (give a taxonomy YAML file)")
            raise FileNotFoundError(f"taxonomy file {p} not found")
        return _taxonomy_file(str(p), file_stamp(p))
    return _shipped_taxonomy(name_or_path)


@lru_cache(maxsize=32)
def _taxonomy_file(path: str, stamp: tuple[int, int, int]) -> Taxonomy:
    return _load(read_regular_text(path, ValueError, limit=MAX_CONFIG_BYTES, what="a taxonomy file"), path)


@lru_cache(maxsize=32)
def _shipped_taxonomy(name_or_path: str) -> Taxonomy:
    res = resources.files("linernotes.packs").joinpath(f"{name_or_path}.yaml")
    if not res.is_file():
        raise FileNotFoundError(f"no shipped taxonomy named {name_or_path!r}")
    return _load(res.read_text(encoding="utf-8"), name_or_path)
