"""Build the shipped taxonomy packs from the reference data in ../shared/data (run once by hand).

The product never reads ../shared at run time: this script writes packs/*.yaml, which are
committed with their attribution. Re-run it only to refresh the packs. (``packs/moods.yaml`` is
the project's own vocabulary and is edited by hand.)

Aliases and descriptions are derived by rule from the source data (spelling variants of the
label; the entry's place in the tree), never picked per entry, so they help retrieval on any
catalog rather than on one gold set.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared" / "data" / "taxonomy"
sys.path.insert(0, str(ROOT / "tools" / "retrieval"))
from taxonomy import slugify  # noqa: E402  (the product's own function, importable without installing)

GENRES_VERSION = "1.1.0"
PODCASTS_VERSION = "1.1.0"

# Labels used by catalogs (and by the bandcamp gold set's vocabulary) that the beets tree lacks.
EXTRA_GENRES: list[dict] = [
    {"label": "dance", "parent": None, "description": "music made for dancing, in clubs or on the radio"},
    {"label": "edm", "parent": "electronica", "aliases": ["electronic dance music"],
     "description": "electronic dance music: club and festival dance music made with electronics"},
    {"label": "ebm", "parent": "industrial", "aliases": ["electronic body music"],
     "description": "electronic body music: industrial-influenced dance music"},
    {"label": "psychedelic trance", "parent": "trance", "aliases": ["psy trance", "psy-trance"],
     "description": "trance with psychedelic sound design; also called psytrance"},
    {"label": "experimental", "parent": "avant-garde", "aliases": ["experimental music"],
     "description": "music that breaks with established forms"},
]
DESCRIBE_CHILDREN = 6


def spelling_variants(label: str, music: bool = False) -> list[str]:
    """Other ways people write the same label: ``&``/``and``, hyphen/space; for music also the
    ``n`` forms and acronyms of ``X and Y`` (``drum and bass`` -> ``drum n bass``, ``dnb``, ``d&b``)."""
    low = label.lower().strip()
    out: list[str] = []
    words = re.split(r"\s+", low.replace("&", " and "))
    if "and" in words and len(words) == 3 and words[1] == "and":
        a, _, b = words
        out += [f"{a} & {b}", f"{a} and {b}"]
        if music:
            out += [f"{a} n {b}", f"{a}'n'{b}", f"{a[0]}n{b[0]}", f"{a[0]}&{b[0]}"]
    if "-" in low:
        out += [low.replace("-", " "), low.replace("-", "")]
    elif len(words) == 2 and "and" not in words:
        out.append("-".join(words))
    return [v for v in dict.fromkeys(out) if v != low]


def describe(label: str, parent_label: str | None, grand_label: str | None, children: list[str],
             relation: str) -> str | None:
    """One line from the tree: where the entry sits and what it includes."""
    parts = []
    if parent_label:
        parts.append(f"{label}: {relation} {parent_label}" + (f" ({grand_label})" if grand_label else ""))
    if children:
        shown = ", ".join(children[:DESCRIBE_CHILDREN])
        more = len(children) - DESCRIBE_CHILDREN
        parts.append(f"includes {shown}" + (f" and {more} more" if more > 0 else ""))
    return "; ".join(parts) or None


def _finish(entries: dict[str, dict], relation: str, music: bool) -> list[dict]:
    """Add derived aliases (dropping any that collide with another entry's id or alias) and
    descriptions; return entries sorted by id."""
    children: dict[str, list[str]] = {}
    for e in entries.values():
        if e["parent"]:
            children.setdefault(e["parent"], []).append(e["label"])
    taken = set(entries) | {slugify(e["label"]) for e in entries.values()}
    seen_alias: dict[str, str] = {}
    for e in sorted(entries.values(), key=lambda e: e["id"]):
        aliases = list(e.get("aliases", []))
        others = taken - {e["id"], slugify(e["label"])}
        for v in spelling_variants(e["label"], music):
            if slugify(v) not in others and v not in seen_alias:
                aliases.append(v)
        aliases = list(dict.fromkeys(aliases))
        for a in aliases:
            seen_alias.setdefault(a, e["id"])
        e["aliases"] = aliases
        if not e.get("description"):
            parent = entries.get(e["parent"]) if e["parent"] else None
            grand = entries.get(parent["parent"]) if parent and parent["parent"] else None
            e["description"] = describe(e["label"], parent and parent["label"], grand and grand["label"],
                                        sorted(children.get(e["id"], [])), relation)
    order = ("id", "label", "parent", "aliases", "description")
    return [{k: e[k] for k in order if k == "parent" or e.get(k)} for e in sorted(entries.values(), key=lambda e: e["id"])]


def genres() -> dict:
    tree = yaml.safe_load((SHARED / "genres-tree.yaml").read_text())
    entries: dict[str, dict] = {}

    def add(label: str, parent: str | None) -> str:
        gid = slugify(label)
        if gid not in entries:
            entries[gid] = {"id": gid, "label": label, "parent": parent}
        return gid

    def walk(node, parent):
        if isinstance(node, list):
            for x in node:
                walk(x, parent)
        elif isinstance(node, dict):
            for k, v in node.items():
                walk(v, add(k, parent))
        elif node is not None:
            add(str(node), parent)

    walk(tree, None)
    for line in (SHARED / "genres.txt").read_text().splitlines():
        if line.strip():
            add(line.strip(), None)
    for extra in EXTRA_GENRES:
        gid = slugify(extra["label"])
        parent = slugify(extra["parent"]) if extra["parent"] else None
        if parent is not None and parent not in entries:
            raise SystemExit(f"extra genre {gid}: parent {parent} not in the tree")
        entries[gid] = {"id": gid, "label": extra["label"], "parent": parent,
                        "aliases": extra.get("aliases", []), "description": extra["description"]}
    return {
        "id": "music-genres",
        "version": GENRES_VERSION,
        "kind": "genre",
        "applies_to": ["track"],
        "attribution": ("Genre vocabulary and tree from beets beetsplug/lastgenre (beets 2.14.1), MIT licence. "
                        "linernotes added dance, edm, ebm, psychedelic trance, experimental, and derived "
                        "aliases and descriptions from the tree."),
        "entries": _finish(entries, "a style of", music=True),
    }


def podcasts() -> dict:
    js = (SHARED / "podcast-categories.js").read_text()
    entries: dict[str, dict] = {}
    parent = None
    for line in js.splitlines():
        m = re.match(r"\s*'?([^:']+?)'?\s*:\s*(\{|true)", line)
        if not m:
            continue
        label, kind = m.group(1).strip(), m.group(2)
        if kind == "{":
            parent = slugify(label)
            entries[parent] = {"id": parent, "label": label, "parent": None}
        else:
            gid = f"{parent}/{slugify(label)}"
            entries[gid] = {"id": gid, "label": label, "parent": parent}
    return {
        "id": "podcast-categories",
        "version": PODCASTS_VERSION,
        "kind": "genre",
        "applies_to": ["episode", "chapter"],
        "attribution": ("Apple Podcasts category tree, npm podcast-categories 2.0.0, MIT licence. "
                        "Aliases and descriptions derived by linernotes."),
        "entries": _finish(entries, "a subcategory of", music=False),
    }


def write_taxonomies() -> None:
    out = ROOT / "packs"
    for pack in (genres(), podcasts()):
        path = out / f"{pack['id']}.yaml"
        path.write_text(yaml.safe_dump(pack, sort_keys=False, allow_unicode=True, width=120))
        print(path, len(pack["entries"]), file=sys.stderr)


if __name__ == "__main__":
    write_taxonomies()
