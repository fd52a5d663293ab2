"""Build the shipped taxonomy packs from the reference data in ../shared/data (run once by hand).

The product never reads ../shared at run time: this script writes packs/*.yaml, which are
committed with their attribution. Re-run it only to refresh the packs.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared" / "data" / "taxonomy"


def slug(label: str) -> str:
    s = label.lower().replace("&", " and ")
    s = re.sub(r"[^\w]+", "-", s, flags=re.UNICODE).strip("-")
    return s


def genres() -> dict:
    tree = yaml.safe_load((SHARED / "genres-tree.yaml").read_text())
    entries: dict[str, dict] = {}

    def add(label: str, parent: str | None) -> str:
        gid = slug(label)
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
    return {
        "id": "music-genres",
        "version": "1.0.0",
        "kind": "genre",
        "applies_to": ["track"],
        "attribution": "Genre vocabulary and tree from beets beetsplug/lastgenre (beets 2.14.1), MIT licence.",
        "entries": sorted(entries.values(), key=lambda e: e["id"]),
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
            parent = slug(label)
            entries[parent] = {"id": parent, "label": label, "parent": None}
        else:
            gid = f"{parent}/{slug(label)}"
            entries[gid] = {"id": gid, "label": label, "parent": parent}
    return {
        "id": "podcast-categories",
        "version": "1.0.0",
        "kind": "genre",
        "applies_to": ["episode", "chapter"],
        "attribution": "Apple Podcasts category tree, npm podcast-categories 2.0.0, MIT licence.",
        "entries": list(entries.values()),
    }


def write_taxonomies() -> None:
    out = ROOT / "packs"
    for pack in (genres(), podcasts()):
        path = out / f"{pack['id']}.yaml"
        path.write_text(yaml.safe_dump(pack, sort_keys=False, allow_unicode=True, width=120))
        print(path, len(pack["entries"]), file=sys.stderr)


if __name__ == "__main__":
    write_taxonomies()
