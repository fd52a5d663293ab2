"""Exemplar index: already-labeled items, found by similarity, as few-shot examples and genre votes.

A folder holds ``meta.json`` (embedder, dimension), ``records.jsonl`` (id, text, genres, the
structured ``fields``) and the vector store (see ``vector_store``). Build it from a gold set or from a previous run's accepted
output (``exemplar_sources``); adding to an existing folder appends only unseen ids.
"""

from __future__ import annotations

import io
import os
import shutil
from collections.abc import Iterable, Mapping
from pathlib import Path

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from linernotes.files import MAX_CONFIG_BYTES, open_regular, read_regular, refuse_shipped
from linernotes.numbers import TextNumbers
from linernotes.schema import validation_reasons
from linernotes.tools.retrieval.embedding import Embedder, load_embedder
from linernotes.tools.retrieval.mmr import mmr
from linernotes.tools.retrieval.vector_store import HnswParams, VectorStore

# 128 of WordLlama's 256 Matryoshka dims: as good for finding neighbours on the tune split
# (bench_retrieval --tune-embedder), half the disk and a faster HNSW build.
DEFAULT_EXEMPLAR_EMBEDDER = "wordllama:128"
META = "meta.json"
RECORDS = "records.jsonl"
FORMAT = 1
# The item fields a record keeps apart from its text: who made / released it and on which release,
# what a neighbour's "same artist / label / album" is decided on (fusion.features.candidate_rows).
STRUCTURED_FIELDS = ("artist", "label", "album")


class ExemplarRecord(BaseModel):
    """One labeled item. ``fields``: its structured identity fields (``STRUCTURED_FIELDS``: artist,
    label, album; stripped, only those it has), so "same album" compares album with album, not
    the item's album with any line of the text (a self-titled release's title or artist line
    equals its album). None: a record written before the fields were kept (old indexes)."""

    id: str
    text: str
    genres: list[str] = Field(default_factory=list)
    moods: list[str] = Field(default_factory=list)
    source: str = ""
    fields: dict[str, str] | None = None


class ExemplarHit(BaseModel):
    """A neighbour as the tools report it; ``fields`` as its record's (None for an old record)."""

    id: str
    text: str
    genres: list[str]
    score: float
    fields: dict[str, str] | None = None


class GenreVote(BaseModel):
    """Similarity-weighted share of the nearest exemplars that carry a genre, in [0, 1]."""

    id: str
    score: float
    count: int
    of: int


class IndexMeta(TextNumbers):  # meta.json may be edited by hand: a quoted '1_0' is no count
    model_config = ConfigDict(extra="forbid")  # and a misspelt 'ann_treshold' is named, not dropped

    format: int = FORMAT
    embedder: str
    dim: int
    ann_threshold: int = Field(ge=1, description="rows from which the store keeps an HNSW graph")
    hnsw: HnswParams = Field(default_factory=HnswParams)
    count: int = 0


class ExemplarIndex:
    def __init__(self, folder: str | Path, meta: IndexMeta, embedder: Embedder | None = None) -> None:
        self.folder = Path(folder)
        self.meta = meta
        self.embedder = embedder or load_embedder(meta.embedder)
        if self.embedder.dim != meta.dim:
            raise ValueError(f"{folder}: index has {meta.dim}-d vectors, embedder {self.embedder.name} makes "
                             f"{self.embedder.dim}-d")
        self.records = _read_records(self.folder / RECORDS)
        self.store = VectorStore(self.folder, meta.dim, meta.ann_threshold, meta.hnsw)
        if len(self.store) != len(self.records):
            raise ValueError(f"{folder}: {len(self.records)} records but {len(self.store)} vectors; rebuild it")
        self._ids = {r.id for r in self.records}

    def __len__(self) -> int:
        return len(self.records)

    def add(self, records: Iterable[ExemplarRecord], batch: int = 4096) -> int:
        """Append records whose id is not in the index yet; returns how many were added."""
        added = 0
        pending: list[ExemplarRecord] = []
        for rec in records:
            if rec.id in self._ids:
                continue
            self._ids.add(rec.id)
            pending.append(rec)
            if len(pending) >= batch:
                added += self._append(pending)
                pending = []
        added += self._append(pending)
        return added

    def _append(self, records: list[ExemplarRecord]) -> int:
        if not records:
            return 0
        vectors = self.embedder.encode([r.text for r in records])
        # records first: a crash before the vectors land is caught by the count check on open
        with open(self.folder / RECORDS, "a", encoding="utf-8") as f:
            for r in records:
                # an old-format record (no fields) stays one: no "fields": null line
                f.write(r.model_dump_json(exclude_none=True) + "\n")
            f.flush()
            os.fsync(f.fileno())
        self.store.add(vectors)
        self.records.extend(records)
        self.meta.count = len(self.records)
        _write_meta(self.folder, self.meta)
        return len(records)

    def _hits(self, keys: np.ndarray, sims: np.ndarray) -> list[ExemplarHit]:
        out = []
        for key, sim in zip(keys.tolist(), sims.tolist(), strict=True):
            r = self.records[key]
            out.append(ExemplarHit(id=r.id, text=r.text, genres=r.genres, score=round(max(0.0, min(1.0, sim)), 4),
                                  fields=r.fields))
        return out

    def neighbours(self, text: str, k: int = 10) -> list[ExemplarHit]:
        """The k most similar exemplars, best first (score = cosine similarity, clipped to [0, 1])."""
        query = self.embedder.encode([text])[0]
        if not query.any():
            return []
        return self._hits(*self.store.search(query, k))

    def search(self, text: str, k: int = 3, relevance_weight: float = 0.7, pool: int = 20) -> list[ExemplarHit]:
        """k few-shot examples: MMR over the ``pool`` nearest, so they are similar but not copies."""
        query = self.embedder.encode([text])[0]
        if not query.any():
            return []
        keys, sims = self.store.search(query, max(k, pool))
        picked = mmr(query, self.store.rows(keys), k, relevance_weight)
        return self._hits(keys[picked], sims[picked])

    def votes(self, text: str, k: int = 10) -> list[GenreVote]:
        """Genres of the k nearest exemplars, weighted by similarity, best first."""
        return genre_votes(self.neighbours(text, k))


def genre_votes(hits: list[ExemplarHit]) -> list[GenreVote]:
    total = sum(h.score for h in hits)
    if total <= 0:
        return []
    weight: dict[str, float] = {}
    count: dict[str, int] = {}
    for h in hits:
        for g in dict.fromkeys(h.genres):
            weight[g] = weight.get(g, 0.0) + h.score
            count[g] = count.get(g, 0) + 1
    votes = [GenreVote(id=g, score=round(w / total, 4), count=count[g], of=len(hits)) for g, w in weight.items()]
    return sorted(votes, key=lambda v: (-v.score, v.id))


def _read_records(path: Path) -> list[ExemplarRecord]:
    if not path.exists():
        return []
    out = []
    with io.TextIOWrapper(open_regular(path, ValueError, ": an index's records are a file"), encoding="utf-8") as f:
        for n, line in enumerate(f, 1):
            if line.strip():
                try:
                    out.append(ExemplarRecord.model_validate_json(line))
                except ValidationError as e:
                    raise ValueError(f"{path}:{n}: not an exemplar record ({validation_reasons(e, 1)}); "
                                     "rebuild the index") from None
    return out


def _write_meta(folder: Path, meta: IndexMeta) -> None:
    tmp = folder / (META + ".tmp")
    tmp.write_text(meta.model_dump_json(indent=2), encoding="utf-8")
    os.replace(tmp, folder / META)


def open_exemplar_index(folder: str | Path) -> ExemplarIndex:
    """An index built before (``build_exemplar_index``); loads its embedder once."""
    return ExemplarIndex(folder, open_exemplar_meta(folder))


def open_exemplar_meta(folder: str | Path) -> IndexMeta:
    """The ``meta.json`` of the index in ``folder``. Raises ``FileNotFoundError`` (no index there)
    or ``ValueError`` naming the file: not a regular file (a FIFO there blocked for good, and was
    called "no meta.json"), or not an index's meta."""
    path = Path(folder) / META
    if not Path(folder).exists():  # "not an exemplar index (no meta.json)" read as a broken index
        raise FileNotFoundError(f"{folder}: not an exemplar index: no such folder (build one with "
                                f"`liner index build --gold LABELED -o {folder}`)")
    if not path.exists():
        raise FileNotFoundError(f"{folder}: not an exemplar index (no {META})")
    try:
        return IndexMeta.model_validate_json(read_regular(path, ValueError, ": an index's meta is a file",
                                                          limit=MAX_CONFIG_BYTES, what="an index's meta.json"))
    except ValidationError as e:
        raise ValueError(f"{path}: not an exemplar index's {META} ({validation_reasons(e, 1)}); rebuild the index") from None


def build_exemplar_index(records: Iterable[ExemplarRecord | Mapping], folder: str | Path, *,
                         embedder: str = DEFAULT_EXEMPLAR_EMBEDDER, ann_threshold: int = 50_000,
                         hnsw: HnswParams | None = None, overwrite_shipped: bool = False) -> ExemplarIndex:
    """Create the index in ``folder``, or add to the one already there (unseen ids only).

    Exact search below ``ann_threshold`` items (fast enough and exact); an HNSW graph above it.
    A ``folder`` inside data the package ships (``files.refuse_shipped``) is a ``ValueError``
    unless ``overwrite_shipped``."""
    folder = Path(folder)
    refuse_shipped(folder, ValueError, "-o", overwrite_shipped)
    if (folder / META).exists():  # a FIFO or folder named meta.json is refused by the open, not overwritten
        index = open_exemplar_index(folder)
        index.add(r if isinstance(r, ExemplarRecord) else ExemplarRecord.model_validate(r) for r in records)
        return index
    # a new index: if reading the records fails (a bad line or label cell), nothing is left behind,
    # so the fixed command's rerun builds from scratch instead of extending an empty stub
    made = [p for p in (folder, *folder.parents) if not p.exists()]
    present = set(folder.iterdir()) if folder.is_dir() else set()
    try:
        folder.mkdir(parents=True, exist_ok=True)
        model = load_embedder(embedder)
        meta = IndexMeta(embedder=model.name, dim=model.dim, ann_threshold=ann_threshold, hnsw=hnsw or HnswParams())
        _write_meta(folder, meta)
        index = ExemplarIndex(folder, meta, model)
        index.add(r if isinstance(r, ExemplarRecord) else ExemplarRecord.model_validate(r) for r in records)
    except BaseException:
        if folder.is_dir():  # what this call wrote into a folder that was there (e.g. empty) before
            for entry in set(folder.iterdir()) - present:
                shutil.rmtree(entry) if entry.is_dir() else entry.unlink(missing_ok=True)
        for p in made:  # deepest first: only the folders this call created
            shutil.rmtree(p, ignore_errors=True)
        raise
    return index
