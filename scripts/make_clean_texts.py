"""Build ``evals/slices/policy-clean.jsonl``: clean catalog texts that the policy specs score
beside their unsafe prompts (spec ``clean:``, ``evals.clean``), held out from the shipped policy
combiner's fit. Not a product command; rerun only to rebuild the file (its README says how it was
drawn).

    python scripts/make_clean_texts.py [--per-source 100] [-o evals/slices/policy-clean.jsonl]

Sources (the kinds of clean prose the policy fit's negatives are): VADER's NYT editorial, movie
review and product review sentences, and Bandcamp track metadata (title, artist, album, year,
label). Tweets are left out: they hold profanity the policy covers. Left out as well: every item
the shipped fusion's policy field was fitted on (``trained_on``), and the CI slice's own items and
exemplars (their ids would collide). Drawn with ``random.Random(13)`` per source, in file order.
"""

from __future__ import annotations

import argparse
import json
import random
from pathlib import Path

from linernotes.evals.gold import load_gold
from linernotes.evals.spec import load_spec, resolve_data
from linernotes.fusion.artifact import default_fusion_dir, id_digest, load_fusion

SOURCES = (("vader-valence", "nyt_editorial"), ("vader-valence", "movie_review"),
           ("vader-valence", "amazon_review"), ("bandcamp-genres", None))
SLICES = Path(__file__).resolve().parents[1] / "evals" / "slices"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--per-source", type=int, default=100)
    ap.add_argument("-o", "--output", type=Path, default=SLICES / "policy-clean.jsonl")
    a = ap.parse_args()
    trained = set(load_fusion(default_fusion_dir()).fields["policy"].trained_on)
    taken = {json.loads(line)["id"] for name in ("ci-slice.jsonl", "ci-exemplars.jsonl")
             for line in (SLICES / name).read_text(encoding="utf-8").splitlines() if line.strip()}
    rows = []
    for spec_name, group in SOURCES:
        spec = load_spec(spec_name)
        items = [g for g in load_gold(spec, resolve_data(spec)).items
                 if (group is None or g.group == group) and id_digest(g.id) not in trained and g.id not in taken]
        pick = sorted(random.Random(13).sample(range(len(items)), a.per_source))
        source = group or "bandcamp_metadata"
        rows += [{"id": items[i].id, "source": source, **{k: v for k, v in items[i].inputs.items() if v is not None}}
                 for i in pick]
        print(f"{source}: {len(items)} held out, {a.per_source} drawn")
    a.output.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    print(f"{a.output}: {len(rows)} rows")


if __name__ == "__main__":
    main()
