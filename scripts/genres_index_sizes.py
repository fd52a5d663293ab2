"""A genres combiner on albums it never saw, at several exemplar-index sizes (evals/reports/README.md,
"Genres: a combiner that holds across catalog sizes").

    # 1. split a Bandcamp gold file by album: PART (80% of albums) to fit on, FRESH (the rest) to check
    python scripts/genres_index_sizes.py split ../shared/data/gold/bandcamp-tracks.dev.jsonl -o /tmp/sizes --seed 7
    # 2. fit on PART (`liner eval bandcamp-genres[-album] --data /tmp/sizes/part.jsonl --llm never --limit 300`,
    #    then `liner fit bandcamp-genres bandcamp-genres-album --data /tmp/sizes/part.jsonl --run ... -o FIT`)
    # 3. score FRESH against indexes drawn from PART
    python scripts/genres_index_sizes.py check FIT [FIT2 ...] --dir /tmp/sizes --sizes 150,400,1200,3078

``check`` tags every fresh track (tools only, ``evals.exemplar_pool.Tagger``) against a seeded
random subset of PART's labeled tracks of each size. Album held out: the index is PART's subset
alone (no track of a fresh album is in PART). Random split: PART's subset plus the fresh tracks of
the other 4 of 5 folds, so album-mates are there. It prints per regime, size and combiner:
micro-F1 of the record and of the exemplar vote, the plug-in ECE, mean confidence vs share
precise, and the share auto-accepted at the combiner's threshold with its precision. The tagged
evidence is cached in ``--dir`` (one file per regime and size) so several combiners compare on
the same items.
"""

from __future__ import annotations

import argparse
import json
import random
import tempfile
from pathlib import Path

import numpy as np

from linernotes.config import TagConfig
from linernotes.evals.exemplar_pool import Tagger
from linernotes.evals.gold import exemplar_records, load_gold, norm_key, tagger_id, to_tagger_item
from linernotes.evals.metrics.baselines import exemplar_vote
from linernotes.evals.metrics.calibration import plugin_ece
from linernotes.evals.spec import load_spec
from linernotes.fusion.artifact import load_fusion
from linernotes.fusion.multilabel import micro_f1, precise
from linernotes.fusion.observation import observation
from linernotes.tools.retrieval.exemplars import build_exemplar_index

SPECS = {"album": "bandcamp-genres-album", "random": "bandcamp-genres"}


def split(gold: Path, out: Path, seed: int, fresh_share: float = 0.2) -> None:
    """PART and FRESH JSONL files, FRESH holding ``fresh_share`` of the albums (a row without an
    album is an album of its own)."""
    rows = [json.loads(line) for line in gold.read_text(encoding="utf-8").splitlines() if line.strip()]

    def album(r: dict) -> str:
        return norm_key(r.get("album")) or f"id:{r['id']}"

    albums = sorted({album(r) for r in rows})
    random.Random(seed).shuffle(albums)
    fresh = set(albums[:round(len(albums) * fresh_share)])
    out.mkdir(parents=True, exist_ok=True)
    for name, keep in (("part", False), ("fresh", True)):
        picked = [r for r in rows if (album(r) in fresh) == keep]
        (out / f"{name}.jsonl").write_text("".join(json.dumps(r) + "\n" for r in picked), encoding="utf-8")
        print(f"{out / f'{name}.jsonl'}: {len(picked)} tracks")


def _evidence(regime: str, size: int, folder: Path, rng: np.random.Generator) -> dict[str, dict]:
    """Each fresh track's prediction (evidence, no draft) against an index of ``size`` PART tracks."""
    cache = folder / f"evidence-{regime}-{size}.json"
    if cache.exists():
        return json.loads(cache.read_text(encoding="utf-8"))
    spec = load_spec(SPECS[regime])
    part, fresh = load_gold(spec, folder / "part.jsonl"), load_gold(spec, folder / "fresh.jsonl")
    records, fresh_records = exemplar_records(spec, part.items), exemplar_records(spec, fresh.items)
    chosen = [records[i] for i in np.sort(rng.choice(len(records), min(size, len(records)), replace=False))]
    items = [g for g in fresh.items if g.gold.get("genres")]
    tag, out = Tagger(spec, TagConfig()), {}
    folds = [[g for n, g in enumerate(items) if n % 5 == k] for k in range(5)] if regime == "random" else [items]
    for test in folds:
        held = {tagger_id(g.id) for g in test}
        extra = [r for r in fresh_records if r.id not in held] if regime == "random" else []
        with tempfile.TemporaryDirectory() as tmp:
            index = build_exemplar_index(chosen + extra, tmp)
            for g in test:
                out[g.id] = tag(g, index).prediction
    cache.write_text(json.dumps(out), encoding="utf-8")
    return out


def check(fits: list[Path], folder: Path, sizes: list[int], seed: int) -> None:
    rng = np.random.default_rng(seed)
    for regime in SPECS:
        spec = load_spec(SPECS[regime])
        fresh = [g for g in load_gold(spec, folder / "fresh.jsonl").items if g.gold.get("genres")]
        for size in sizes:
            evidence = _evidence(regime, size, folder, rng)
            obs = [observation(to_tagger_item(spec, g), evidence[g.id]["evidence"], None) for g in fresh]
            gold = [g.gold["genres"] for g in fresh]
            vote = [exemplar_vote(evidence[g.id]["evidence"]) for g in fresh]
            for fit in fits:
                entry = load_fusion(fit).fields["genres"]
                decided = [entry.model.decide(o)[:2] for o in obs]
                conf = np.array([c for _, c in decided])
                hit = np.array([precise(labels, g) for (labels, _), g in zip(decided, gold, strict=True)])
                acc = conf >= entry.threshold if entry.threshold is not None else np.zeros(len(conf), dtype=bool)
                print(f"{regime:6s} index {size:5d} {fit.name:12s} micro-F1 {micro_f1([d[0] for d in decided], gold):.3f}"
                      f" vote {micro_f1(vote, gold):.3f} ECE {plugin_ece(conf, hit):.3f}"
                      f" conf {conf.mean():.3f} precise {hit.mean():.3f} auto-accepted {acc.mean():.1%}"
                      f" at {hit[acc].mean() if acc.any() else float('nan'):.1%}", flush=True)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = ap.add_subparsers(dest="cmd", required=True)
    s = sub.add_parser("split", help="PART and FRESH files, split by album")
    s.add_argument("gold", type=Path)
    s.add_argument("-o", "--out", type=Path, required=True)
    s.add_argument("--seed", type=int, default=7)
    c = sub.add_parser("check", help="score combiners on FRESH at several index sizes")
    c.add_argument("fits", type=Path, nargs="+", help="fusion folders (liner fit -o) with a genres combiner")
    c.add_argument("--dir", type=Path, required=True, help="the split's folder (part.jsonl, fresh.jsonl)")
    c.add_argument("--sizes", default="150,400,1200,3078", help="index sizes, comma-separated")
    c.add_argument("--seed", type=int, default=11)
    a = ap.parse_args()
    if a.cmd == "split":
        split(a.gold, a.out, a.seed)
    else:
        check(a.fits, a.dir, [int(x) for x in a.sizes.split(",")], a.seed)


if __name__ == "__main__":
    main()
