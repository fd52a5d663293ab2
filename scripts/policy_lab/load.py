"""Experiment harness for the policy combiner (issue #11), step 1: build and cache the policy fit's inputs (observations, labels, groups, negatives sources) per seed."""

import asyncio
import os
import pickle
import sys
from pathlib import Path

import linernotes.evals.fit as F
from linernotes.config import TagConfig
from linernotes.evals.fit import (
    FitOptions,
    _clause_for,
    _negatives,
    _observations,
    _pool,
    _read_runs,
    pack_clauses,
)

CACHE = os.environ.get("POLICY_LAB", "/tmp/policy_lab")  # cached inputs and out-of-fold results
os.makedirs(CACHE, exist_ok=True)
RUNS = os.environ.get("POLICY_LAB_RUNS", "/work/runs/never/s{seed}")  # the seed's run records


def build(seed):
    # made by `liner eval SPEC --llm never --limit 300 --seed SEED -o DIR/SPEC.json`, DIR = RUNS for the seed
    runs = [Path(RUNS.format(seed=seed)) / f"{s}.json" for s in ("policy-prompts", "bandcamp-genres", "vader-valence")]
    opts = FitOptions(
        specs=["policy-prompts"],
        output=Path(CACHE + "/out"),
        limit=300,
        seed=seed,
        runs=runs,
        negatives=["bandcamp-genres@1500", "vader-valence:nyt_editorial@2000", "vader-valence:movie_review@1500",
                   "vader-valence:amazon_review@1000"],  # the shipped fit's (fusion/default/MODEL_CARD.md)
        folds=5,
    )
    config = TagConfig(fusion=None)
    spec = F.load_spec("policy-prompts")
    data = F.resolve_data(spec, None)
    rec, path, results = _read_runs(runs, spec, opts)
    task = spec.tasks[0]
    sample = F.load_gold(spec, data, 300, seed)
    # obs for the sample items: the run's (seed-0 sample) where present, else tools-only pool
    full = F.load_gold(spec, data)
    pool = _pool(spec, data, set(results), None, config, seed)
    allres = {**pool, **results}
    obs, items = _observations(spec, [g for g in full.items if task.name in g.gold], allres)
    obs = [o.without_draft() for o in obs]
    labels = [str(g.gold[task.name]) for g in items]
    groups = [g.group for g in items]
    neg_obs, neg_items, neg_sources = asyncio.run(_negatives(opts, config, Path(CACHE + "/out/runs")))
    neg_obs = [o.without_draft() for o in neg_obs]
    sample_ids = {g.id for g in sample.items}
    return dict(
        obs=obs + neg_obs,
        labels=labels + [task.none_label] * len(neg_obs),
        groups=groups + [f"negatives:{g.group}" for g in neg_items],
        ids=[g.id for g in items] + [g.id for g in neg_items],
        n_prompts=len(obs),
        neg_sources=neg_sources,
        sample=[g.id in sample_ids for g in items],
        clauses=pack_clauses(config),
        clause_for=_clause_for(task),
        none_label=task.none_label,
    )


if __name__ == "__main__":
    for s in map(int, sys.argv[1:]):
        d = build(s)
        Path(CACHE + f"/data_s{s}.pkl").write_bytes(pickle.dumps(d))
        print(s, len(d["obs"]), d["n_prompts"], sum(d["sample"]))
