"""Retrieval figures: shortlist recall@10 on the bandcamp dev gold, latency over the genre pack,
and exact vs HNSW search over synthetic exemplars (1M; 100k with --quick).

Splits of ``../shared/data/gold/bandcamp-tracks.dev.jsonl`` (fixed seed, documented here):
- random: rows shuffled with SEED; 20% are the *report* queries; of the other 80%, a quarter are
  *tune* queries and the rest the tune-time exemplar index. Fusion weights were chosen on
  index->tune only (``python -m benchmarks.bench_retrieval --tune`` prints that grid); the
  reported figures use index+tune (80%) as exemplars and the report 20% as queries.
- label groups (stricter): the 10 record labels are dealt into 5 folds with SEED; each fold's
  items are queried against an index of the other folds' labels (no label is shared), so
  exemplars can only help through artists or text, not the label itself.
Recall@10 = |gold ids in the top 10| / |gold ids|, averaged over items; gold labels map to pack
ids with ``slugify``. Shortlists here are not padded with defaults (pure retrieval).
"""

from __future__ import annotations

import argparse
import json
import random
import tempfile
import time
from pathlib import Path

import numpy as np

from linernotes.tools.retrieval.exemplar_sources import exemplar_text, records_from_rows
from linernotes.tools.retrieval.exemplars import build_exemplar_index
from linernotes.tools.retrieval.shortlist import DEFAULT_WEIGHTS, FusionWeights, fuse, shortlist, signals
from linernotes.tools.retrieval.taxonomy import load_taxonomy, slugify
from linernotes.tools.retrieval.taxonomy_index import taxonomy_index
from linernotes.tools.retrieval.vector_store import HnswParams, VectorStore

ROOT = Path(__file__).resolve().parents[1]
GOLD = ROOT.parent / "shared" / "data" / "gold" / "bandcamp-tracks.dev.jsonl"
SEED = 20261123
K = 10
COMMAND = "python -m benchmarks retrieval"


def load_rows() -> list[dict]:
    with open(GOLD, encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


def random_split(rows: list[dict]) -> tuple[list[dict], list[dict], list[dict]]:
    """(index, tune, report)"""
    shuffled = rows[:]
    random.Random(SEED).shuffle(shuffled)
    n_report = len(rows) // 5
    report, rest = shuffled[:n_report], shuffled[n_report:]
    n_tune = len(rest) // 4
    return rest[n_tune:], rest[:n_tune], report


def label_folds(rows: list[dict], n_folds: int = 5) -> list[tuple[list[dict], list[dict]]]:
    labels = sorted({r["labelname"] for r in rows})
    random.Random(SEED).shuffle(labels)
    fold_of = {lab: i % n_folds for i, lab in enumerate(labels)}
    return [([r for r in rows if fold_of[r["labelname"]] != f], [r for r in rows if fold_of[r["labelname"]] == f])
            for f in range(n_folds)]


def gold_ids(row: dict) -> set[str]:
    return {slugify(g) for g in row["gold_genres"]}


def recall_at(ranked: list[str], gold: set[str], k: int = K) -> float:
    return len(gold & set(ranked[:k])) / len(gold) if gold else 0.0


def _top(final: np.ndarray, ids: list[str], k: int = K) -> list[str]:
    order = np.argsort(-final, kind="stable")[:k]
    return [ids[i] for i in order if final[i] > 0]


def evaluate(queries: list[dict], exemplar_rows: list[dict], configs: dict[str, tuple[str, bool, FusionWeights]],
             workdir: Path) -> dict[str, float]:
    """Mean recall@10 per named config (mode, use exemplars, weights), signals computed once."""
    tax = load_taxonomy("music-genres")
    index = taxonomy_index(tax)
    exemplars = build_exemplar_index(records_from_rows(exemplar_rows), workdir) if exemplar_rows else None
    sums = dict.fromkeys(configs, 0.0)
    for row in queries:
        text = exemplar_text(row)
        gold = gold_ids(row)
        full = signals(text, tax, exemplars, "hybrid", max(w.neighbours for _, _, w in configs.values()))
        cache: dict[int, np.ndarray] = {}
        for name, (mode, use_ex, w) in configs.items():
            sig = full.model_copy()
            if mode == "lexical":
                sig.embedding = np.zeros_like(sig.embedding)
            if mode == "embedding":
                sig.lexical = np.zeros_like(sig.lexical)
            if mode == "exemplars":
                sig.lexical = np.zeros_like(sig.lexical)
                sig.embedding = np.zeros_like(sig.embedding)
            if use_ex and exemplars is not None:
                if w.neighbours not in cache:
                    cache[w.neighbours] = signals(text, tax, exemplars, "hybrid", w.neighbours).exemplars
                sig.exemplars = cache[w.neighbours]
            else:
                sig.exemplars = np.zeros_like(sig.exemplars)
            final, _, _ = fuse(sig, index.parent_row, w)
            sums[name] += recall_at(_top(final, index.ids), gold)
    return {name: round(total / max(1, len(queries)), 4) for name, total in sums.items()}


def main_configs(w: FusionWeights = DEFAULT_WEIGHTS) -> dict[str, tuple[str, bool, FusionWeights]]:
    return {
        "lexical_only": ("lexical", False, w),
        "embedding_only": ("embedding", False, w),
        "hybrid_no_exemplars": ("hybrid", False, w),
        "exemplars_only": ("exemplars", True, w),
        "hybrid_with_exemplars": ("hybrid", True, w),
    }


def tune_grid() -> dict[str, tuple[str, bool, FusionWeights]]:
    grid = {}
    for lex in (0.6, 0.8, 0.95):
        for emb in (0.1, 0.3, 0.5):
            for ex in (0.7, 0.9):
                for decay in (0.0, 0.5, 0.7, 0.9):
                    for nb in (5, 10, 20):
                        w = FusionWeights(lexical=lex, embedding=emb, exemplars=ex, ancestor_decay=decay, neighbours=nb)
                        grid[f"lex{lex}_emb{emb}_ex{ex}_decay{decay}_nb{nb}"] = ("hybrid", True, w)
    return grid


def recall_figures(quick: bool) -> dict[str, float]:
    rows = load_rows()
    index_rows, tune_rows, report_rows = random_split(rows)
    out: dict[str, float] = {}
    with tempfile.TemporaryDirectory() as tmp:
        queries = report_rows[: 200] if quick else report_rows
        res = evaluate(queries, index_rows + tune_rows, main_configs(), Path(tmp) / "random")
        out.update({f"recall@10_random_{k}": v for k, v in res.items()})
        out["queries_random"] = len(queries)
        out["exemplars_random"] = len(index_rows) + len(tune_rows)
        per_fold = [evaluate(q[:60] if quick else q, ix, main_configs(), Path(tmp) / f"fold{i}")
                    for i, (ix, q) in enumerate(label_folds(rows))]
        sizes = [len(q[:60] if quick else q) for _, q in label_folds(rows)]
        for name in main_configs():
            out[f"recall@10_label_groups_{name}"] = round(
                sum(r[name] * n for r, n in zip(per_fold, sizes, strict=True)) / sum(sizes), 4)
        out["queries_label_groups"] = sum(sizes)
    return out


def latency_pack(quick: bool) -> dict[str, float]:
    """ms per shortlist query over the genre pack (index built beforehand, as in a run)."""
    tax = load_taxonomy("music-genres")
    t = time.perf_counter()
    taxonomy_index(tax)
    build_s = time.perf_counter() - t
    rows = load_rows()
    texts = [exemplar_text(r) for r in random.Random(SEED).sample(rows, 100 if quick else 400)]
    out: dict[str, float] = {"genre_pack_entries": len(tax.entries), "genre_pack_index_build_s": round(build_s, 2)}
    for mode in ("lexical", "embedding", "hybrid"):
        t = time.perf_counter()
        for text in texts:
            shortlist(text, tax, K, mode=mode)
        out[f"shortlist_{mode}_ms_per_query"] = round((time.perf_counter() - t) / len(texts) * 1000, 2)
    return out


def synthetic_exemplars(quick: bool, dim: int = 256, queries: int = 200) -> dict[str, float]:
    """Random unit vectors: the worst case for a graph index (no cluster structure to exploit)."""
    n = 100_000 if quick else 1_000_000
    rng = np.random.default_rng(SEED)
    vectors = rng.standard_normal((n, dim), dtype=np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    qs = rng.standard_normal((queries, dim), dtype=np.float32)
    qs /= np.linalg.norm(qs, axis=1, keepdims=True)
    params = HnswParams()
    out: dict[str, float] = {"synthetic_exemplars": n, "synthetic_dim": dim, "hnsw_dtype": params.dtype,
                             "hnsw_connectivity": params.connectivity, "hnsw_expansion_add": params.expansion_add}
    with tempfile.TemporaryDirectory() as tmp:
        store = VectorStore(tmp, dim, ann_threshold=n, hnsw=params)
        t = time.perf_counter()
        store.add(vectors)
        out["hnsw_build_s"] = round(time.perf_counter() - t, 1)
        del vectors
        t = time.perf_counter()
        exact = [store.search(q, K, exact=True)[0] for q in qs]
        out["exact_ms_per_query"] = round((time.perf_counter() - t) / queries * 1000, 2)
        for ef in (64, 128, 256):
            store._graph.expansion_search = ef
            t = time.perf_counter()
            approx = [store.search(q, K)[0] for q in qs]
            out[f"hnsw_ef{ef}_ms_per_query"] = round((time.perf_counter() - t) / queries * 1000, 3)
            out[f"hnsw_ef{ef}_recall@10_vs_exact"] = round(
                float(np.mean([len(set(a) & set(e)) / K for a, e in zip(approx, exact, strict=True)])), 4)
    return out


def run(quick: bool = False) -> dict:
    figures: dict[str, object] = {"command": COMMAND + (" --quick" if quick else ""), "seed": SEED}
    figures.update(recall_figures(quick))
    figures.update(latency_pack(quick))
    figures.update(synthetic_exemplars(quick))
    return figures


def tune() -> dict[str, float]:
    """The grid on index->tune queries (the report split is never looked at here)."""
    index_rows, tune_rows, _ = random_split(load_rows())
    with tempfile.TemporaryDirectory() as tmp:
        res = evaluate(tune_rows, index_rows, {**main_configs(), **tune_grid()}, Path(tmp))
    return dict(sorted(res.items(), key=lambda kv: -kv[1]))


if __name__ == "__main__":
    ap = argparse.ArgumentParser()
    ap.add_argument("--tune", action="store_true")
    ap.add_argument("--quick", action="store_true")
    args = ap.parse_args()
    print(json.dumps(tune() if args.tune else run(args.quick), indent=2))
