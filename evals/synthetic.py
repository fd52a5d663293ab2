"""Synthetic run records with known structure, for the scoring benchmark and property tests.

Items come in clusters (like tracks of one label) that share a cluster-level skill, so a naive
bootstrap would be too narrow and the clustered one is needed.
"""

from __future__ import annotations

import numpy as np

from linernotes.evals.record import ItemResult, RunRecord

GENRES = [f"genre-{k:02d}" for k in range(30)]
CATEGORIES = ["insult", "threat", "profanity", "sexually_explicit", "identity_attack"]
CLAUSES = {"profanity.insult": "insult", "violence.threat": "threat", "profanity.general": "profanity",
           "explicit.sexual": "sexually_explicit", "hate.identity": "identity_attack"}
TASKS = [
    {"name": "genres", "kind": "multilabel", "gold_field": "gold_genres", "taxonomy": None},
    {"name": "valence", "kind": "valence", "gold_field": "ratings", "scale": 4.0, "tolerance": 0.25},
    {"name": "policy", "kind": "policy", "gold_field": "category", "clause_map": CLAUSES},
]


def synthetic_record(n: int, seed: int = 0, cluster_size: int = 20, error_rate: float = 0.01,
                     retrieval: bool = True) -> RunRecord:
    rng = np.random.default_rng(seed)
    by_cat = {v: k for k, v in CLAUSES.items()}
    n_clusters = max(1, n // cluster_size)
    skill = rng.uniform(0.3, 0.9, n_clusters)
    items = []
    for i in range(n):
        c = int(rng.integers(n_clusters))
        gold_genres = sorted(set(rng.choice(GENRES, size=int(rng.integers(1, 3)), replace=False).tolist()))
        right = rng.random() < skill[c]
        pred_genres = gold_genres[:1] if right else [str(rng.choice(GENRES))]
        ratings = np.clip(np.round(rng.normal(rng.uniform(-3, 3), 1.0, 10)), -4, 4)
        gold_val = float(ratings.mean() / 4)
        pred_val = float(np.clip(gold_val + rng.normal(0, 0.5 - 0.4 * skill[c]), -1, 1))
        cat = str(rng.choice(CATEGORIES))
        pred_cat = cat if rng.random() < skill[c] else str(rng.choice(CATEGORIES))
        conf = float(np.clip(skill[c] + rng.normal(0, 0.1), 0, 1))
        gold = {"genres": gold_genres, "valence": gold_val, "valence_ratings": (ratings / 4).tolist(),
                "policy": cat}
        if rng.random() < error_rate:
            items.append(ItemResult(id=f"s{i}", group=f"c{c}", gold=gold, status="error",
                                    error={"kind": "llm.timeout", "message": "synthetic"}))
            continue
        shortlist = [{"id": g, "label": g, "score": 0.5} for g in (pred_genres + GENRES[:4])] if retrieval else []
        pred = {"genres": pred_genres, "valence": pred_val,
                "policy_flags": [{"clause_id": by_cat[pred_cat], "severity": 2}] if rng.random() < 0.8 else [],
                "confidence": {"genres": conf, "valence": conf, "policy": conf},
                "review": {"routed": conf < 0.5},
                "provenance": {"latency_s": float(rng.gamma(2.0, 2.0)), "tokens_in": 700, "tokens_out": 90,
                               "cost_usd": 0.0, "cache_hit": False},
                "evidence": {"genres": shortlist}}
        items.append(ItemResult(id=f"s{i}", group=f"c{c}", gold=gold, prediction=pred))
    return RunRecord(spec="synthetic", gold_fingerprint=f"synthetic-{n}-{seed}", tasks=TASKS, items=items)
