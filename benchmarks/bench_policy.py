"""Policy lookup and text tools, measured on the shared gold sets (``python -m benchmarks policy``).

Gold label -> clause mapping for ``gold/policy-prompts.dev.jsonl`` (each prompt has ONE label):

| gold label (source)                                   | clause / policy          | lexicon-detectable? |
|-------------------------------------------------------|--------------------------|---------------------|
| profanity (RealToxicityPrompts)                       | profanity.general        | yes                 |
| insult (RTP)                                          | profanity.insult         | yes                 |
| sexually_explicit (RTP)                               | explicit.sexual          | yes                 |
| identity_attack (RTP)                                 | hate.identity            | yes                 |
| threat (RTP)                                          | violence.threat          | partly (phrases)    |
| severe_toxicity (RTP)                                 | explicit-language (any)  | yes, policy level   |
| flirtation (RTP)                                      | none                     | no: innuendo        |
| discrimination_exclusion_toxicity_hateful_offensive   | none                     | no: questions about |
|   (Do-Not-Answer)                                     |                          | topics, not slurs   |
| human_chatbox (DNA)                                   | none (self-harm partly)  | no                  |
| malicious_uses (DNA)                                  | none (drugs partly)      | no                  |
| information_hazard (DNA)                              | none                     | no                  |
| misinformation_harms (DNA)                            | none                     | no                  |

Per clause: positives = prompts whose label maps to it; predicted = prompts with >= 1 lookup hit
of that clause; precision and recall over all prompts (a profanity-labelled prompt that also
insults counts as a false positive for insult: the labels are single, the texts are not).
Unmapped labels are reported apart as the share of prompts flagged at all.

Split: prompts and VADER items are split in two by a hash of their id; the "tune" half was the
only one looked at while building (none of the lexicon choices came from it), figures are
reported on the "holdout" half and on the whole dev file.
"""

from __future__ import annotations

import hashlib
import json
import time
from pathlib import Path

from linernotes.tools.policy.clauses import relevant_clauses
from linernotes.tools.policy.lookup import lookup
from linernotes.tools.policy.pack import load_policy_pack
from linernotes.tools.text.language import detect_language
from linernotes.tools.text.valence import lexical_valence

GOLD = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "gold"
CLAUSE_OF = {"profanity": "profanity.general", "insult": "profanity.insult", "sexually_explicit": "explicit.sexual",
             "identity_attack": "hate.identity", "threat": "violence.threat"}
POLICY_OF = {"severe_toxicity": "explicit-language"}
UNMAPPED = ("flirtation", "discrimination_exclusion_toxicity_hateful_offensive", "human_chatbox", "malicious_uses",
            "information_hazard", "misinformation_harms")
EXPLICIT_LABELS = ("profanity", "insult", "sexually_explicit", "identity_attack", "severe_toxicity")


COMMAND = "python -m benchmarks policy"


def split_of(item_id: str) -> str:
    return "tune" if int(hashlib.sha256(item_id.encode()).hexdigest(), 16) % 2 == 0 else "holdout"


def _read(name: str) -> list[dict]:
    with open(GOLD / name, encoding="utf-8") as fh:
        return [json.loads(line) for line in fh if line.strip()]


def _pr(tp: int, npred: int, npos: int) -> tuple[float, float]:
    return (round(tp / npred, 4) if npred else 0.0), (round(tp / npos, 4) if npos else 0.0)


def policy_figures(rows: list[dict], pack, prefix: str) -> dict[str, float]:
    """Per-clause precision/recall, macro means, policy-level detection, unmapped flag rates."""
    reports = [lookup({"text": r["text"]}, pack) for r in rows]
    out: dict[str, float] = {}
    precisions, recalls = [], []
    for label, clause in CLAUSE_OF.items():
        pos = [r["label"] == label for r in rows]
        pred = [any(h.clause_id == clause for h in rep.hits) for rep in reports]
        tp = sum(p and q for p, q in zip(pos, pred, strict=True))
        p, r = _pr(tp, sum(pred), sum(pos))
        out[f"{prefix}{clause}_precision"], out[f"{prefix}{clause}_recall"] = p, r
        precisions.append(p)
        recalls.append(r)
    out[f"{prefix}macro_precision"] = round(sum(precisions) / len(precisions), 4)
    out[f"{prefix}macro_recall"] = round(sum(recalls) / len(recalls), 4)
    for label, policy in POLICY_OF.items():
        items = [rep for r, rep in zip(rows, reports, strict=True) if r["label"] == label]
        hit = sum(any(h.policy_id == policy for h in rep.hits) for rep in items)
        out[f"{prefix}{label}_recall_as_{policy}"] = round(hit / len(items), 4) if items else 0.0
    pos = [r["label"] in EXPLICIT_LABELS for r in rows]
    pred = [any(h.policy_id == "explicit-language" for h in rep.hits) for rep in reports]
    tp = sum(p and q for p, q in zip(pos, pred, strict=True))
    out[f"{prefix}explicit_language_precision"], out[f"{prefix}explicit_language_recall"] = _pr(tp, sum(pred), sum(pos))
    for label in UNMAPPED:
        items = [rep for r, rep in zip(rows, reports, strict=True) if r["label"] == label]
        out[f"{prefix}unmapped_{label}_flagged_rate"] = round(sum(bool(rep.hits) for rep in items) / len(items), 4) \
            if items else 0.0
    spans = [(r["text"], h.span) for r, rep in zip(rows, reports, strict=True) for h in rep.hits]
    out[f"{prefix}spans"] = len(spans)
    out[f"{prefix}span_correct_rate"] = round(sum(t[s.start:s.end] == s.text for t, s in spans) / len(spans), 4) \
        if spans else 1.0
    return out


def cite_recall(rows: list[dict], pack, k: int = 3) -> dict[str, float]:
    """Share of mapped prompts whose clause the LLM is offered (lookup-cited or retrieved top-k)."""
    out = {}
    for label, clause in {**CLAUSE_OF, "human_chatbox": "self-harm", "malicious_uses": "drugs.reference"}.items():
        items = [r for r in rows if r["label"] == label]
        got = 0
        for r in items:
            offered = {h.clause_id for h in lookup({"text": r["text"]}, pack).hits}
            offered |= {c.id for c in relevant_clauses(r["text"], pack, k)}
            got += clause in offered
        out[f"holdout_{label}_offered_{clause}_at{k}"] = round(got / len(items), 4) if items else 0.0
    return out


def catalog_figures(pack, quick: bool) -> dict[str, float]:
    """On real electronic-music metadata (bandcamp: artist, track, album, label), nearly all innocent:
    how often lookup flags an item and how often a clause is offered to the model."""
    rows = _read("bandcamp-tracks.dev.jsonl")
    rows = rows[::5] if quick else rows
    fields = [{k: str(r[k]) for k in ("artist", "track", "album", "labelname") if r.get(k)} for r in rows]
    flagged = sum(bool(lookup(f, pack).hits) for f in fields)
    offered = sum(bool(relevant_clauses(" \n".join(f.values()), pack, 3)) for f in fields)
    return {"catalog_items": len(rows), "catalog_lookup_flag_rate": round(flagged / len(rows), 4),
            "catalog_clause_offer_rate": round(offered / len(rows), 4)}


def _pearson(xs: list[float], ys: list[float]) -> float:
    n = len(xs)
    mx, my = sum(xs) / n, sum(ys) / n
    sxy = sum((x - mx) * (y - my) for x, y in zip(xs, ys, strict=True))
    sxx = sum((x - mx) ** 2 for x in xs) ** 0.5
    syy = sum((y - my) ** 2 for y in ys) ** 0.5
    return sxy / (sxx * syy) if sxx and syy else 0.0


def text_figures(quick: bool) -> dict[str, float | str]:
    rows = [r for r in _read("vader-multirater.dev.jsonl") if split_of(r["id"]) == "holdout"]
    if quick:
        rows = rows[::10]
    pairs = [(v, r["mean"] / 4) for r in rows if (v := lexical_valence(r["text"])) is not None]
    xs, ys = [p[0] for p in pairs], [p[1] for p in pairs]
    guesses = [detect_language(r["text"]) for r in rows]
    judged = [g for g in guesses if g is not None]
    return {
        "valence_library": "textblob PatternAnalyzer (not VADER: no circularity with the VADER gold)",
        "valence_items": len(rows),
        "valence_coverage": round(len(pairs) / len(rows), 4),
        "valence_pearson_r": round(_pearson(xs, ys), 4),
        "valence_mae": round(sum(abs(x - y) for x, y in pairs) / len(pairs), 4),
        "language_judged_rate": round(len(judged) / len(rows), 4),
        "language_en_accuracy_on_english_vader": round(sum(g[0] == "en" for g in judged) / len(judged), 4),
    }


def run(quick: bool = False) -> dict:
    t, cpu = time.perf_counter(), time.process_time()
    pack = load_policy_pack("content-policy")
    lookup({"text": "warm-up"}, pack)
    compile_s, compile_cpu_s = time.perf_counter() - t, time.process_time() - cpu
    rows = _read("policy-prompts.dev.jsonl")
    holdout = [r for r in rows if split_of(r["id"]) == "holdout"]
    figures: dict[str, float | str] = {"command": COMMAND, "pack": pack.ref,
                                       "lexicon_terms": len(pack.lexicon), "matcher_build_s": round(compile_s, 2),
                                       "matcher_build_cpu_s": round(compile_cpu_s, 2),
                                       "prompts_holdout": len(holdout), "prompts_all": len(rows)}
    figures.update(policy_figures(holdout, pack, "holdout_"))
    if not quick:
        figures.update(policy_figures(rows, pack, "all_"))
    figures.update(cite_recall(holdout, pack))
    figures.update(catalog_figures(pack, quick))
    texts = [r["text"] for r in rows]
    t = time.perf_counter()
    for text in texts:
        lookup({"text": text}, pack)
    figures["lookups_per_s_prompts"] = round(len(texts) / (time.perf_counter() - t), 1)
    long_text = " ".join(texts[:60])  # ~ a song's lyrics: several thousand characters
    t = time.perf_counter()
    reps = 20 if quick else 100
    for _ in range(reps):
        lookup({"lyrics": long_text}, pack)
    figures["lookups_per_s_4k_chars"] = round(reps / (time.perf_counter() - t), 1)
    figures["long_text_chars"] = len(long_text)
    figures.update(text_figures(quick))
    return figures


if __name__ == "__main__":
    print(json.dumps(run(quick=False), indent=2))
