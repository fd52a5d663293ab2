"""False flags of a policy combiner on clean texts its fit never saw (issue 11: "a false-flag rate
<= 5% on clean catalog text"). ``liner fit --negatives SPEC:GROUP@N`` draws N of a source's items
as clean training texts with the fit's seed (``evals.fit._negatives``); this script draws the same
N, keeps the source's *other* items (up to ``--per-source``), tags them with ``--llm never`` (the
tools and the fusion only) with each fusion artifact given, and counts the records with any policy
flag. Sources given as ``SPEC:GROUP`` without ``@N`` (e.g. ``vader-valence:tweets``) were not in
the fit at all: every item is held out. Texts are read as the spec reads them (its ``inputs``).

    python scripts/heldout_false_flags.py --fusion fusion/default --fusion /tmp/fit-policy \\
        --source vader-valence:nyt_editorial@2000 --source vader-valence:movie_review@1500 \\
        --source vader-valence:amazon_review@1000 --source vader-valence:tweets -o /tmp/heldout

Prints one JSON object: {source: {fusion: {"items", "flagged", "rate", "wilson_95_upper"}}}.
Not a product command: the numbers go into evals/reports/README.md.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np

from linernotes.evals.fit import NegativesSource
from linernotes.evals.gold import load_gold
from linernotes.evals.spec import load_spec, resolve_data
from linernotes.fusion.fitting import false_flag_bound


def held_out(source: str, seed: int, most: int) -> list[dict]:
    """The source's items its fit (seeded ``seed``) did not draw, as catalog rows, at most ``most``
    of them (a seeded draw of its own)."""
    src = NegativesSource.parse(source)
    spec = load_spec(src.spec)
    full = load_gold(spec, resolve_data(spec))
    # the fit's own draw (NegativesSource.draw); a source without @N was not in the fit at all
    drawn = {x.id for x in src.draw(full.items, seed)} if src.limit is not None else set()
    rest = [x for x in src.members(full.items) if x.id not in drawn]
    if len(rest) > most:
        rng = np.random.default_rng(seed + 1)
        rest = [rest[i] for i in sorted(rng.choice(len(rest), most, replace=False))]
    return [{"id": x.id, "type": spec.item_type, **{k: v for k, v in x.inputs.items() if v is not None}} for x in rest]


def flagged(catalog: Path, fusion: str, out: Path) -> tuple[int, int]:
    """(records, records with a policy flag) of ``liner tag CATALOG --llm never --fusion FUSION``."""
    cmd = [sys.executable, "-c", "import sys; from linernotes.cli.app import main; sys.argv[0] = 'liner'; main()",
           "tag", str(catalog), "-o", str(out), "--llm", "never", "--fusion", fusion]
    out.unlink(missing_ok=True)  # a tag output resumes: start afresh
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, env=os.environ)
    rows = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines() if line.strip()]
    ok = [r for r in rows if r.get("enrichment")]
    return len(ok), sum(bool(r["enrichment"].get("policy_flags")) for r in ok)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--fusion", action="append", required=True)
    ap.add_argument("--source", action="append", required=True)
    ap.add_argument("--seed", type=int, default=0, help="the fit's seed (its negatives draw)")
    ap.add_argument("--per-source", type=int, default=1000)
    ap.add_argument("-o", "--output", type=Path, required=True)
    a = ap.parse_args()
    a.output.mkdir(parents=True, exist_ok=True)
    report: dict[str, dict] = {}
    for source in a.source:
        rows = held_out(source, a.seed, a.per_source)
        name = source.split("@")[0].replace(":", "-")
        catalog = a.output / f"{name}.jsonl"
        catalog.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
        report[source] = {}
        for k, fusion in enumerate(a.fusion):
            n, f = flagged(catalog, fusion, a.output / f"{name}.{k}.out.jsonl")
            report[source][fusion] = {"items": n, "flagged": f, "rate": round(f / n, 4) if n else None,
                                      "wilson_95_upper": round(false_flag_bound(f, n), 4)}
    print(json.dumps(report, indent=1))


if __name__ == "__main__":
    main()
