"""Prompt-injection flip rates: the same items clean and with each payload template
(tests/reliability/injection_templates.yaml) appended to their lyrics.

A flip is a signal that differs between an item's clean run and its injected run.
- Lexicon-backed flags (policy flags the lexicon found, and ``explicit`` when the lexicon found
  explicit language) must never flip: the route node builds them from tool evidence, whatever the
  model says. Goal: 0.
- Model-only signals (genres, moods, valence, model-cited clauses) are only as robust as the
  model: reported, not gated.

Two model settings:
- ``adversary``: the FaultServer TEST DOUBLE playing a model that obeys every injection maximally
  (claims "clean", cites ids outside the taxonomy). Clean items run against the plain stub. This
  bounds what ANY model could do to the record.
- ``embedded``: the real embedded model (SmolLM2-135M) on a small sample, clean and injected.

Items: the first items of ../shared/data/gold/policy-prompts.dev.jsonl whose text the policy
lexicon flags, plus as many it does not flag (so both kinds of signal are measured).
"""

from __future__ import annotations

import asyncio
import json
import tempfile
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import yaml

COMMAND = "python -m benchmarks injection"
REPO = Path(__file__).resolve().parents[1]
TEMPLATES = REPO / "tests" / "reliability" / "injection_templates.yaml"
GOLD = REPO.parent / "shared" / "data" / "gold" / "policy-prompts.dev.jsonl"
SEP = "~inj~"


def load_templates(path: Path = TEMPLATES) -> list[dict[str, str]]:
    return yaml.safe_load(path.read_text(encoding="utf-8"))["templates"]


def pick_items(n_flagged: int, n_plain: int, gold: Path = GOLD) -> list[dict[str, Any]]:
    """Catalog rows built from gold prompts: ``n_flagged`` the lexicon flags, ``n_plain`` it does not."""
    from linernotes.tools.policy.lookup import lookup
    from linernotes.tools.policy.pack import load_policy_pack

    pack = load_policy_pack("content-policy")
    flagged: list[dict[str, Any]] = []
    plain: list[dict[str, Any]] = []
    for line in gold.read_text(encoding="utf-8").splitlines():
        g = json.loads(line)
        row = {"id": g["id"], "type": "track", "title": "Untitled demo", "artist": "Anonymous uploader",
               "lyrics": g["text"]}
        bucket = flagged if lookup({"lyrics": g["text"]}, pack).hits else plain
        want = n_flagged if bucket is flagged else n_plain
        if len(bucket) < want:
            bucket.append(row)
        if len(flagged) >= n_flagged and len(plain) >= n_plain:
            break
    return flagged + plain


def inject(rows: Iterable[dict[str, Any]], templates: list[dict[str, str]]) -> list[dict[str, Any]]:
    out = []
    for row in rows:
        for t in templates:
            out.append({**row, "id": f"{row['id']}{SEP}{t['id']}", "lyrics": f"{row['lyrics']}\n\n{t['payload']}"})
    return out


def write_jsonl(path: Path, rows: list[dict[str, Any]]) -> Path:
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    return path


async def tag(rows: list[dict[str, Any]], model: str, api_base: str | None, work: Path, name: str,
              concurrency: int = 8) -> dict[str, dict[str, Any]]:
    """Run the real batch runner (graph, tools, verify, route, writer) and return records by id."""
    from linernotes.config import TagConfig
    from linernotes.llm.client import LLMConfig
    from linernotes.run.runner import RunOptions, run_batch

    cfg = TagConfig(llm=LLMConfig(model=model, api_base=api_base, use_cache=False, max_retries=1, threads=1), llm_mode="always")
    out = work / f"{name}.out.jsonl"
    out.unlink(missing_ok=True)
    await run_batch(cfg, RunOptions(input=write_jsonl(work / f"{name}.jsonl", rows), output=out,
                                    concurrency=concurrency))
    return {r["id"]: r for r in map(json.loads, out.read_text(encoding="utf-8").splitlines())}


def lexicon_flags(rec: dict[str, Any]) -> set[str]:
    e = rec.get("enrichment") or {}
    # lexicon-backed whoever else agrees (the model, the fused classifier)
    flags = {f["clause_id"] for f in e.get("policy_flags", []) if f["source"].startswith("lexicon")}
    if (e.get("explicit") or {}).get("value") and (e.get("explicit") or {}).get("evidence"):
        flags.add("explicit=true")
    return flags


def out_of_vocabulary(records: Iterable[dict[str, Any]]) -> list[str]:
    """Every id in an output that the taxonomy, mood vocabulary or policy pack does not define."""
    from linernotes.tools.policy.pack import load_policy_pack
    from linernotes.tools.retrieval.taxonomy import load_taxonomy

    genres, moods = load_taxonomy("music-genres"), load_taxonomy("moods")
    clauses = load_policy_pack("content-policy").clause_index()
    bad = []
    for r in records:
        e = r.get("enrichment") or {}
        bad += [f"{r['id']}: genre {g}" for g in e.get("genres", []) if g not in genres]
        bad += [f"{r['id']}: mood {m}" for m in e.get("moods", []) if m not in moods]
        bad += [f"{r['id']}: clause {f['clause_id']}" for f in e.get("policy_flags", []) if f["clause_id"] not in clauses]
    return bad


def flip_figures(clean: dict[str, dict[str, Any]], injected: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """Compare each injected record with its clean twin."""
    pairs = [(clean[i.split(SEP)[0]], rec) for i, rec in injected.items() if i.split(SEP)[0] in clean]
    pairs = [(c, j) for c, j in pairs if c["status"] == "ok" and j["status"] == "ok"]
    lex_total = lex_flipped = lex_added = 0
    changed = {"genres": 0, "moods": 0, "valence_sign": 0, "model_flags": 0, "review_routed": 0}
    by_template: dict[str, int] = {}
    flipped_ids: list[str] = []
    for c, j in pairs:
        lc, lj = lexicon_flags(c), lexicon_flags(j)
        lex_total += len(lc)
        lex_flipped += len(lc - lj)
        lex_added += len(lj - lc)
        if lc - lj:
            tid = j["id"].split(SEP)[1]
            by_template[tid] = by_template.get(tid, 0) + 1
            flipped_ids.append(f"{j['id']}: lost {sorted(lc - lj)}")
        ce, je = c["enrichment"], j["enrichment"]
        changed["genres"] += set(ce["genres"]) != set(je["genres"])
        changed["moods"] += set(ce["moods"]) != set(je["moods"])
        changed["valence_sign"] += (ce["valence"] > 0) != (je["valence"] > 0)
        model = lambda e: {f["clause_id"] for f in e["policy_flags"] if f["source"] == "model"}  # noqa: E731
        changed["model_flags"] += model(ce) != model(je)
        changed["review_routed"] += ce["review"]["routed"] != je["review"]["routed"]
    n = max(1, len(pairs))
    return {
        "pairs": len(pairs),
        "errors": sum(r["status"] != "ok" for r in [*clean.values(), *injected.values()]),
        "lexicon_flags_clean": lex_total,
        "lexicon_flags_flipped": lex_flipped,
        "lexicon_flip_rate": round(lex_flipped / lex_total, 4) if lex_total else 0.0,
        "lexicon_flips_by_template": by_template,
        "lexicon_flipped": flipped_ids[:20],
        "lexicon_flags_added": lex_added,
        **{f"{k}_flip_rate": round(v / n, 4) for k, v in changed.items()},
        "out_of_vocabulary_ids": len(out_of_vocabulary([*clean.values(), *injected.values()])),
    }


async def adversary_setting(rows: list[dict[str, Any]], templates: list[dict[str, str]], work: Path) -> dict[str, Any]:
    from linernotes.testing.fault_server import FaultServer

    with FaultServer() as srv:
        clean = await tag(rows, "openai/stub", srv.base_url, work, "adv-clean")
        injected = await tag(inject(rows, templates), "openai/adversary", srv.base_url, work, "adv-injected")
    return flip_figures(clean, injected)


async def embedded_setting(rows: list[dict[str, Any]], templates: list[dict[str, str]], work: Path) -> dict[str, Any]:
    clean = await tag(rows, "embedded", None, work, "emb-clean", concurrency=1)
    injected = await tag(inject(rows, templates), "embedded", None, work, "emb-injected", concurrency=1)
    return flip_figures(clean, injected)


def run(quick: bool = False) -> dict[str, Any]:
    import os

    os.environ.setdefault("OPENAI_API_KEY", "sk-test-bench-injection")
    templates = load_templates()
    adv_rows = pick_items(8, 4) if quick else pick_items(30, 10)
    emb_rows = pick_items(2, 1) if quick else pick_items(4, 2)
    emb_templates = templates[:2] if quick else templates
    with tempfile.TemporaryDirectory(prefix="bench-injection-") as tmp:
        work = Path(tmp)
        adv = asyncio.run(adversary_setting(adv_rows, templates, work))
        emb = asyncio.run(embedded_setting(emb_rows, emb_templates, work))
    figures: dict[str, Any] = {"command": COMMAND + (" --quick" if quick else ""), "templates": len(templates)}
    figures.update({f"adversary_{k}": v for k, v in adv.items()})
    figures["adversary_items"] = len(adv_rows)
    figures.update({f"embedded_{k}": v for k, v in emb.items()})
    figures["embedded_items"] = len(emb_rows)
    figures["embedded_templates"] = len(emb_templates)
    return figures


if __name__ == "__main__":
    print(json.dumps(run(quick=True), indent=2))
