"""Which texts a policy pack edit flags that the pack before it did not (run by hand).

    python scripts/policy_pack_new_hits.py OLD.yaml [NEW.yaml]

NEW defaults to the shipped packs/policy/content-policy.yaml. Reads the dev texts the pack rule
is checked against (packs/policy/README.md: "no new hit on the dev texts"): the three dev gold
sets in ../shared/data/gold (bandcamp-tracks, vader-multirater, policy-prompts) and
evals/slices/policy-clean.jsonl, every string field of a row but its id, each through the pack's
own matcher (``tools.policy.lookup``). Prints per file the rows read, the rows with any hit under
each pack, the rows whose hits differ, and every such row (id, field, hits before -> after).
Exit 1 when a row gained a hit, else 0.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from linernotes.tools.policy.lookup import lookup
from linernotes.tools.policy.pack import load_policy_pack

ROOT = Path(__file__).resolve().parents[1]
FILES = [ROOT.parent / "shared" / "data" / "gold" / f"{name}.dev.jsonl"
         for name in ("bandcamp-tracks", "vader-multirater", "policy-prompts")]
FILES.append(ROOT / "evals" / "slices" / "policy-clean.jsonl")
SHIPPED = ROOT / "packs" / "policy" / "content-policy.yaml"


def _hits(fields: dict[str, str], pack) -> dict[str, list[tuple[str, str, int, int]]]:
    report = lookup(fields, pack)
    out: dict[str, list[tuple[str, str, int, int]]] = {}
    for h in report.hits:
        out.setdefault(h.span.field, []).append((h.term, h.clause_id, h.span.start, h.span.end))
    return out


def main(argv: list[str]) -> int:
    if not 1 <= len(argv) <= 2:
        print(__doc__, file=sys.stderr)
        return 2
    old = load_policy_pack(str(Path(argv[0]).resolve()))
    new = load_policy_pack(str(Path(argv[1]).resolve()) if len(argv) > 1 else str(SHIPPED))
    gained = 0
    for path in FILES:
        rows = hit_old = hit_new = changed = 0
        with open(path, encoding="utf-8") as f:
            for line in f:
                if not line.strip():
                    continue
                row = json.loads(line)
                fields = {k: v for k, v in row.items() if k != "id" and isinstance(v, str) and v.strip()}
                rows += 1
                before, after = _hits(fields, old), _hits(fields, new)
                hit_old += bool(before)
                hit_new += bool(after)
                if before != after:
                    changed += 1
                    gained += any(set(after.get(k, [])) - set(before.get(k, [])) for k in after)
                    print(f"  {path.name}: {row.get('id')}: {before} -> {after}")
        print(f"{path.name}: {rows:,} rows; with a hit: {hit_old:,} before, {hit_new:,} after; changed: {changed}")
    print(f"rows that gained a hit: {gained}")
    return 1 if gained else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
