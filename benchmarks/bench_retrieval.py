"""Retrieval figures: shortlist recall@10 on the bandcamp dev gold, latency over the genre pack,
and exact vs HNSW search over synthetic exemplars (1M; 100k with --quick).

Splits of ``../shared/data/gold/bandcamp-tracks.dev.jsonl`` (fixed seed, documented here):
- random: rows shuffled with SEED; 20% are the *report* queries; of the other 80%, a quarter are
  *tune* queries and the rest the tune-time exemplar index. Fusion weights were chosen on
  index->tune only (``python -m benchmarks.bench_retrieval --tune`` prints that grid); the
  reported figures use index+tune (80%) as exemplars and the report 20% as queries.
- label groups (stricter): the 10 record labels are dealt into 5 folds with SEED; report rows of
  a fold's labels are queried against exemplars (from the 80%) of the other folds' labels only,
  so exemplars can help through artists or title style, never through the label itself. Tuning
  does the same with index rows -> tune rows; the weights maximise label-group + random recall
  on the tune rows.
Recall@10 = |gold ids in the top 10| / |gold ids|, averaged over items; gold labels map to pack
ids with ``slugify``. Shortlists here are not padded with defaults (pure retrieval).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import tempfile
import time
from pathlib import Path

import numpy as np

from linernotes.tools.retrieval.embedding import load_embedder
from linernotes.tools.retrieval.exemplar_sources import exemplar_text, records_from_rows
from linernotes.tools.retrieval.exemplars import DEFAULT_EXEMPLAR_EMBEDDER, build_exemplar_index, genre_votes
from linernotes.tools.retrieval.shortlist import (
    DEFAULT_WEIGHTS,
    FusionWeights,
    Signals,
    fuse,
    shortlist,
    signals,
)
from linernotes.tools.retrieval.taxonomy import load_taxonomy, slugify
from linernotes.tools.retrieval.taxonomy_index import TaxonomyIndex, taxonomy_index
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


def label_folds(index_rows: list[dict], query_rows: list[dict], n_folds: int = 5
                ) -> list[tuple[list[dict], list[dict]]]:
    """(exemplars, queries) per fold: queries of the fold's labels against exemplars of the others."""
    labels = sorted({r["labelname"] for r in index_rows + query_rows})
    random.Random(SEED).shuffle(labels)
    fold_of = {lab: i % n_folds for i, lab in enumerate(labels)}
    return [([r for r in index_rows if fold_of[r["labelname"]] != f],
             [r for r in query_rows if fold_of[r["labelname"]] == f]) for f in range(n_folds)]


def evaluate_folds(folds: list[tuple[list[dict], list[dict]]], configs: dict, workdir: Path,
                   per_fold: int | None = None, embedder: str = DEFAULT_EXEMPLAR_EMBEDDER) -> dict[str, float]:
    """Query-weighted mean over label folds."""
    totals = dict.fromkeys(configs, 0.0)
    n = 0
    for i, (ix, q) in enumerate(folds):
        q = q[:per_fold] if per_fold else q
        if not q:
            continue
        res = evaluate(q, ix, configs, workdir / f"fold{i}", embedder)
        for name in configs:
            totals[name] += res[name] * len(q)
        n += len(q)
    return {name: round(t / max(1, n), 4) for name, t in totals.items()} | {"_queries": n}


def gold_ids(row: dict) -> set[str]:
    return {slugify(g) for g in row["gold_genres"]}


def recall_at(ranked: list[str], gold: set[str], k: int = K) -> float:
    return len(gold & set(ranked[:k])) / len(gold) if gold else 0.0


def _top(final: np.ndarray, ids: list[str], k: int = K) -> list[str]:
    order = np.argsort(-final, kind="stable")[:k]
    return [ids[i] for i in order if final[i] > 0]


def evaluate(queries: list[dict], exemplar_rows: list[dict], configs: dict[str, tuple[str, bool, FusionWeights]],
             workdir: Path, embedder: str = DEFAULT_EXEMPLAR_EMBEDDER) -> dict[str, float]:
    """Mean recall@10 per named config (mode, use exemplars, weights); signals computed once per query."""
    tax = load_taxonomy("music-genres")
    index = taxonomy_index(tax)
    exemplars = (build_exemplar_index(records_from_rows(exemplar_rows), workdir, embedder=embedder)
                 if exemplar_rows else None)
    max_nb = max(w.neighbours for _, _, w in configs.values())
    sums = dict.fromkeys(configs, 0.0)
    for row in queries:
        text = exemplar_text(row)
        gold = gold_ids(row)
        base = signals(text, tax, None, "hybrid")
        hits = exemplars.neighbours(text, max_nb) if exemplars is not None else []
        votes: dict[int, np.ndarray] = {}
        for name, (mode, use_ex, w) in configs.items():
            zero = np.zeros_like(base.lexical)
            if use_ex and w.neighbours not in votes:
                votes[w.neighbours] = _vote_array(genre_votes(hits[: w.neighbours]), index.row_of, len(zero))
            sig = Signals(lexical=base.lexical if mode in ("lexical", "hybrid") else zero,
                          embedding=base.embedding if mode in ("embedding", "hybrid") else zero,
                          exemplars=votes[w.neighbours] if use_ex else zero)
            final, _, _ = fuse(sig, index.parent_row, w)
            sums[name] += recall_at(_top(final, index.ids), gold)
    return {name: round(total / max(1, len(queries)), 4) for name, total in sums.items()}


def _vote_array(votes: list, row_of: dict[str, int], n: int) -> np.ndarray:
    out = np.zeros(n, dtype=np.float32)
    for v in votes:
        if v.id in row_of:
            out[row_of[v.id]] = v.score
    return out


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
    for lex in (0.4, 0.6, 0.9):
        for emb in (0.05, 0.1, 0.3):
            for ex in (0.7, 0.9):
                for decay in (0.0, 0.7, 0.9):
                    for nb in (10, 20, 40):
                        w = FusionWeights(lexical=lex, embedding=emb, exemplars=ex, ancestor_decay=decay, neighbours=nb)
                        grid[f"lex{lex}_emb{emb}_ex{ex}_decay{decay}_nb{nb}"] = ("hybrid", True, w)
    return grid


def recall_figures(quick: bool) -> dict[str, float]:
    index_rows, tune_rows, report_rows = random_split(load_rows())
    exemplar_rows = index_rows + tune_rows
    out: dict[str, float] = {}
    with tempfile.TemporaryDirectory() as tmp:
        queries = report_rows[:200] if quick else report_rows
        res = evaluate(queries, exemplar_rows, main_configs(), Path(tmp) / "random")
        out.update({f"recall@10_random_{k}": v for k, v in res.items()})
        out["queries_random"] = len(queries)
        out["exemplars_random"] = len(exemplar_rows)
        res = evaluate_folds(label_folds(exemplar_rows, report_rows), main_configs(), Path(tmp),
                             per_fold=40 if quick else None)
        out["queries_label_groups"] = res.pop("_queries")
        out.update({f"recall@10_label_groups_{k}": v for k, v in res.items()})
    return out


def latency_pack(quick: bool) -> dict[str, float]:
    """ms per shortlist query over the genre pack (index built beforehand, as in a run)."""
    tax = load_taxonomy("music-genres")
    embedder = load_embedder()
    t = time.perf_counter()
    TaxonomyIndex(tax, embedder)  # a fresh build (the process-wide one may exist already)
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


def ann_recall(approx: list[tuple[np.ndarray, np.ndarray]], exact: list[tuple[np.ndarray, np.ndarray]]) -> float:
    """Share of the true top-10 the graph returned; a result tied with the exact 10th similarity
    counts (duplicate texts have identical vectors, so key sets alone would punish ties)."""
    hits = [min(K, int(np.sum(a_sims >= e_sims[-1] - 1e-5))) / K for (_, a_sims), (_, e_sims) in zip(approx, exact, strict=True)]
    return round(float(np.mean(hits)), 4)


def synthetic_exemplars(quick: bool, queries: int = 200) -> dict[str, float]:
    """Random unit vectors of the exemplar embedder's size: the worst case for a graph index
    (no cluster structure to exploit), so the recall here is a floor."""
    dim = load_embedder(DEFAULT_EXEMPLAR_EMBEDDER).dim
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
        t, cpu = time.perf_counter(), time.process_time()
        store.add(vectors)
        out["hnsw_build_s"] = round(time.perf_counter() - t, 1)
        out["hnsw_build_cpu_s"] = round(time.process_time() - cpu, 1)  # wall time depends on the machine's load
        del vectors
        t = time.perf_counter()
        exact = [store.search(q, K, exact=True) for q in qs]
        out["exact_ms_per_query"] = round((time.perf_counter() - t) / queries * 1000, 2)
        for ef in (64, 128, 256):
            store._graph.expansion_search = ef
            t = time.perf_counter()
            approx = [store.search(q, K) for q in qs]
            out[f"hnsw_ef{ef}_ms_per_query"] = round((time.perf_counter() - t) / queries * 1000, 3)
            out[f"hnsw_ef{ef}_recall@10_vs_exact"] = ann_recall(approx, exact)
    return out


def real_ann_recall(queries: int = 300) -> dict[str, float]:
    """The same HNSW settings on the real bandcamp exemplar embeddings (structured, unlike the
    synthetic set): recall@10 of the graph against exact search."""
    index_rows, tune_rows, report_rows = random_split(load_rows())
    with tempfile.TemporaryDirectory() as tmp:
        index = build_exemplar_index(records_from_rows(index_rows + tune_rows), Path(tmp), ann_threshold=1)
        qs = index.embedder.encode([exemplar_text(r) for r in report_rows[:queries]])
        out: dict[str, float] = {"real_exemplars": len(index)}
        exact = [index.store.search(q, K, exact=True) for q in qs]
        for ef in (64, 128, 256):
            index.store._graph.expansion_search = ef
            approx = [index.store.search(q, K) for q in qs]
            out[f"real_hnsw_ef{ef}_recall@10_vs_exact"] = ann_recall(approx, exact)
    return out


def run(quick: bool = False) -> dict:
    figures: dict[str, object] = {"command": COMMAND + (" --quick" if quick else ""), "seed": SEED,
                                  "load_average_1m": round(os.getloadavg()[0], 1), "cpus": os.cpu_count()}
    figures.update(recall_figures(quick))
    figures.update(latency_pack(quick))
    figures.update(real_ann_recall())
    figures.update(synthetic_exemplars(quick))
    return figures


def tune() -> dict[str, dict[str, float]]:
    """The grid on the tune split only (index rows -> tune rows), random and by label group; the
    report rows are never looked at here."""
    index_rows, tune_rows, _ = random_split(load_rows())
    configs = {**main_configs(), **tune_grid()}
    with tempfile.TemporaryDirectory() as tmp:
        rand = evaluate(tune_rows, index_rows, configs, Path(tmp) / "random")
        groups = evaluate_folds(label_folds(index_rows, tune_rows), configs, Path(tmp))
    groups.pop("_queries")
    ranked = sorted(configs, key=lambda c: -(groups[c] + rand[c]))
    return {c: {"label_groups": groups[c], "random": rand[c]} for c in ranked}


def tune_embedder() -> dict[str, dict[str, float]]:
    """Exemplar-only and hybrid recall on the tune rows for each embedder size."""
    index_rows, tune_rows, _ = random_split(load_rows())
    configs = {k: v for k, v in main_configs().items() if k in ("exemplars_only", "hybrid_with_exemplars")}
    out = {}
    for spec in ("wordllama:64", "wordllama:128", "wordllama"):
        with tempfile.TemporaryDirectory() as tmp:
            rand = evaluate(tune_rows, index_rows, configs, Path(tmp) / "random", spec)
            groups = evaluate_folds(label_folds(index_rows, tune_rows), configs, Path(tmp), embedder=spec)
        out[spec] = {f"{k}_random": v for k, v in rand.items()} | {f"{k}_label_groups": groups[k] for k in configs}
    return out


if __name__ == "__main__":
    ap = argparse.ArgumentParser()
    ap.add_argument("--tune", action="store_true", help="fusion-weight grid on the tune split")
    ap.add_argument("--tune-embedder", action="store_true", help="exemplar embedder size on the tune split")
    ap.add_argument("--quick", action="store_true")
    args = ap.parse_args()
    result = tune() if args.tune else tune_embedder() if args.tune_embedder else run(args.quick)
    print(json.dumps(result, indent=2))
