"""Unit vectors on disk with nearest-neighbour search: exact (numpy) while small, HNSW (usearch) once large.

Vectors are appended as raw float32 rows (``vectors.f32``), so an incremental add never
rewrites what is there; the HNSW graph (``hnsw.usearch``) is built the first time the store
crosses ``ann_threshold`` rows and extended on later adds. Keys are row numbers.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
from pydantic import ConfigDict

from linernotes.numbers import TextNumbers
from linernotes.tools.retrieval.embedding import similarities

VECTORS = "vectors.f32"
GRAPH = "hnsw.usearch"


class HnswParams(TextNumbers):  # read from an index's meta.json (IndexMeta.hnsw)
    """HNSW settings. i8 storage and modest connectivity keep a 1M build within minutes on two
    cores; expansion_search trades latency for recall (see benchmarks/bench_retrieval.py)."""

    model_config = ConfigDict(extra="forbid")  # a misspelt key in meta.json's hnsw is named, not dropped

    dtype: str = "i8"
    connectivity: int = 16
    expansion_add: int = 64
    expansion_search: int = 128
    threads: int = 0  # 0 = all cores
    oversample: int = 2  # candidates fetched per result, re-ranked exactly


class VectorStore:
    def __init__(self, folder: str | Path, dim: int, ann_threshold: int = 50_000,
                 hnsw: HnswParams | None = None) -> None:
        self.folder = Path(folder)
        self.dim = dim
        self.ann_threshold = ann_threshold
        self.hnsw = hnsw or HnswParams()
        self.folder.mkdir(parents=True, exist_ok=True)
        self._vectors = self._read_vectors()
        self._graph = self._open_graph()
        if self._graph is None and len(self) >= ann_threshold:
            self._graph = self._build_graph()  # e.g. the threshold was lowered since the last add

    def __len__(self) -> int:
        return int(self._vectors.shape[0])

    @property
    def uses_ann(self) -> bool:
        return self._graph is not None

    def _read_vectors(self) -> np.ndarray:
        path = self.folder / VECTORS
        if not path.exists() or path.stat().st_size == 0:
            return np.zeros((0, self.dim), dtype=np.float32)
        size = path.stat().st_size
        if size % (4 * self.dim):
            raise ValueError(f"{path}: size {size} is not a whole number of {self.dim}-d float32 rows")
        return np.fromfile(path, dtype=np.float32).reshape(-1, self.dim)

    def _open_graph(self):
        path = self.folder / GRAPH
        if not path.exists():
            return None
        from usearch.index import Index

        graph = Index.restore(str(path))
        if graph is None or len(graph) != len(self):
            return self._build_graph()  # stale (a crash between files): rebuild from the vectors
        graph.expansion_search = self.hnsw.expansion_search
        return graph

    def _new_graph(self):
        from usearch.index import Index

        return Index(ndim=self.dim, metric="ip", dtype=self.hnsw.dtype, connectivity=self.hnsw.connectivity,
                     expansion_add=self.hnsw.expansion_add, expansion_search=self.hnsw.expansion_search)

    def _build_graph(self):
        graph = self._new_graph()
        graph.add(np.arange(len(self), dtype=np.uint64), self._vectors, threads=self.hnsw.threads)
        self._save_graph(graph)
        return graph

    def _save_graph(self, graph) -> None:
        tmp = self.folder / (GRAPH + ".tmp")
        graph.save(str(tmp))
        os.replace(tmp, self.folder / GRAPH)

    def add(self, vectors: np.ndarray) -> np.ndarray:
        """Append rows (already unit length); returns their keys."""
        vectors = np.ascontiguousarray(vectors, dtype=np.float32).reshape(-1, self.dim)
        start = len(self)
        keys = np.arange(start, start + len(vectors), dtype=np.uint64)
        if not len(vectors):
            return keys
        with open(self.folder / VECTORS, "ab") as f:
            f.write(vectors.tobytes())
            f.flush()
            os.fsync(f.fileno())
        self._vectors = np.concatenate([self._vectors, vectors]) if start else vectors.copy()
        if self._graph is not None:
            self._graph.add(keys, vectors, threads=self.hnsw.threads)
            self._save_graph(self._graph)
        elif len(self) >= self.ann_threshold:
            self._graph = self._build_graph()
        return keys

    def rows(self, keys: np.ndarray) -> np.ndarray:
        return self._vectors[np.asarray(keys, dtype=np.int64)]

    def search(self, query: np.ndarray, k: int, exact: bool | None = None) -> tuple[np.ndarray, np.ndarray]:
        """Keys and inner-product similarities of the k nearest rows, best first."""
        k = min(k, len(self))
        if k <= 0:
            return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float32)
        query = np.asarray(query, dtype=np.float32).reshape(self.dim)
        if self._graph is not None and not exact:
            # the graph ranks by i8 distances: over-fetch, then re-rank on the float32 rows
            found = self._graph.search(query, min(len(self), self.hnsw.oversample * k), threads=1)
            keys = np.asarray(found.keys, dtype=np.int64)
            sims = similarities(self._vectors[keys], query)
            order = np.argsort(-sims, kind="stable")[:k]
            return keys[order], sims[order]
        sims = similarities(self._vectors, query)
        top = np.argpartition(-sims, k - 1)[:k] if k < len(sims) else np.arange(len(sims))
        top = top[np.argsort(-sims[top], kind="stable")]
        return top.astype(np.int64), sims[top]
