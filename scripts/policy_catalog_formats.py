"""How a policy combiner reads clean catalog metadata in formats its fit never saw (session 25: the
Bandcamp negatives all carried one of 10 record labels, and the combiner took those names as
evidence of "none"). Held-out Bandcamp tracks (neither in the fit's ``bandcamp-genres@1500`` draw
for ``--seed`` nor in the clean slice), ``--items`` of them drawn with ``--draw-seed``, written in
four formats and tagged with ``liner tag --llm never --fusion F`` for each ``--fusion``:
A as fitted (title, artist, album, year, label), C with a label name no dev track has, D without
the label, B title and artist only. Counts, per format and fusion, the records with any policy
flag (all false flags: the tracks are clean) and those routed to review for policy.

    python scripts/policy_catalog_formats.py --fusion fusion/default --fusion /tmp/fit-policy -o /tmp/formats

Prints one JSON object: {format: {fusion: {"items", "flagged", "policy_routed"}}}. Not a product
command: the numbers go into evals/reports/README.md.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import subprocess
import sys
from pathlib import Path

from linernotes.evals.fit import NegativesSource
from linernotes.evals.gold import load_gold
from linernotes.evals.spec import load_spec, resolve_data

ROOT = Path(__file__).resolve().parents[1]
SLICE = ROOT / "evals" / "slices" / "policy-clean.jsonl"
UNSEEN_LABELS = ("Warp Records", "Ninja Tune", "Ostgut Ton", "Kompakt", "R&S Records", "Hyperdub", "Planet Mu",
                 "Tresor Records")


def catalogs(seed: int, draw_seed: int, items: int) -> dict[str, list[dict]]:
    """The held-out tracks as catalog rows, one list per format (A, C, D, B)."""
    spec = load_spec("bandcamp-genres")
    full = load_gold(spec, resolve_data(spec)).items
    drawn = {x.id for x in NegativesSource.parse("bandcamp-genres@1500").draw(full, seed)}
    in_slice = {json.loads(line)["id"] for line in SLICE.read_text(encoding="utf-8").splitlines() if line.strip()}
    rng = random.Random(draw_seed)
    held = [x for x in full if x.id not in drawn and x.id not in in_slice]
    out: dict[str, list[dict]] = {k: [] for k in "ACDB"}
    for x in rng.sample(held, min(items, len(held))):
        base = {"id": x.id, "type": spec.item_type, "title": x.inputs.get("title"), "artist": x.inputs.get("artist")}
        album = {**base, "album": x.inputs.get("album")}
        out["B"].append(base)
        out["D"].append(album)
        out["A"].append({**album, "year": x.inputs.get("year"), "label": x.inputs.get("label")})
        out["C"].append({**album, "year": x.inputs.get("year"), "label": rng.choice(UNSEEN_LABELS)})
    return out


def tag(rows: list[dict], fusion: str, work: Path) -> dict[str, int]:
    catalog, out = work / "catalog.jsonl", work / "out.jsonl"
    catalog.write_text("".join(json.dumps({k: v for k, v in r.items() if v is not None}) + "\n" for r in rows),
                       encoding="utf-8")
    out.unlink(missing_ok=True)  # a tag output resumes: start afresh
    cmd = [sys.executable, "-c", "import sys; from linernotes.cli.app import main; sys.argv[0] = 'liner'; main()",
           "tag", str(catalog), "-o", str(out), "--llm", "never", "--fusion", fusion]
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, env=os.environ)
    recs = [json.loads(line)["enrichment"] for line in out.read_text(encoding="utf-8").splitlines() if line.strip()]
    recs = [e for e in recs if e]
    return {"items": len(recs), "flagged": sum(bool(e.get("policy_flags")) for e in recs),
            "policy_routed": sum(any("policy" in r for r in e["review"]["reasons"]) for e in recs)}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--fusion", action="append", required=True)
    ap.add_argument("--seed", type=int, default=0, help="the policy fit's seed (its negatives draw)")
    ap.add_argument("--draw-seed", type=int, default=25)
    ap.add_argument("--items", type=int, default=300)
    ap.add_argument("-o", "--output", type=Path, required=True, help="work folder")
    args = ap.parse_args()
    args.output.mkdir(parents=True, exist_ok=True)
    result: dict[str, dict[str, dict[str, int]]] = {}
    for fmt, rows in catalogs(args.seed, args.draw_seed, args.items).items():
        for i, fusion in enumerate(args.fusion):
            work = args.output / f"{fmt}-{i}"
            work.mkdir(exist_ok=True)
            result.setdefault(fmt, {})[fusion] = tag(rows, fusion, work)
    print(json.dumps(result, indent=1))


if __name__ == "__main__":
    main()
