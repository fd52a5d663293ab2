"""Exemplar index: build, persist, reopen, incremental add, exact vs HNSW, MMR, record sources."""

from __future__ import annotations

import json

import numpy as np
import pytest

from linernotes.tools.retrieval.exemplar_sources import (
    exemplar_text,
    records_from_file,
    records_from_rows,
    records_from_run,
)
from linernotes.tools.retrieval.exemplars import (
    ExemplarHit,
    ExemplarRecord,
    build_exemplar_index,
    genre_votes,
    open_exemplar_index,
)
from linernotes.tools.retrieval.mmr import mmr
from linernotes.tools.retrieval.vector_store import HnswParams, VectorStore

RECORDS = [
    {"id": "t1", "text": "Caught In The Middle \nJames Ruskin \nCircuit \nBlueprint Records", "genres": ["techno"]},
    {"id": "t2", "text": "Human Process \nJames Ruskin \nCircuit \nBlueprint Records", "genres": ["techno", "electronic"]},
    {"id": "p1", "text": "Shiva Space \nAstral Projection \nTrust In Trance \nParvati Records",
     "genres": ["psytrance", "goa-trance"]},
    {"id": "h1", "text": "Let The Music Play \nDefected Ibiza \nDefected Records", "genres": ["house", "dance"]},
]


def test_build_search_and_reopen(tmp_path):
    index = build_exemplar_index(RECORDS, tmp_path / "ix")
    assert len(index) == 4 and not index.store.uses_ann
    hits = index.neighbours("Another Track \nJames Ruskin \nBlueprint Records", 2)
    assert {h.id for h in hits} == {"t1", "t2"}
    assert all(0 <= h.score <= 1 for h in hits) and hits[0].score >= hits[1].score
    again = open_exemplar_index(tmp_path / "ix")
    assert [h.id for h in again.neighbours("Astral Projection Parvati", 1)] == ["p1"]


def test_votes_weight_genres_by_similarity(tmp_path):
    index = build_exemplar_index(RECORDS, tmp_path / "ix")
    votes = {v.id: v for v in index.votes("Something \nJames Ruskin \nBlueprint Records", 2)}
    assert votes["techno"].score == pytest.approx(1.0) and votes["techno"].count == 2
    assert 0 < votes["electronic"].score < 1


def test_genre_votes_arithmetic():
    hits = [ExemplarHit(id="a", text="", genres=["x", "y"], score=0.6),
            ExemplarHit(id="b", text="", genres=["x"], score=0.2)]
    votes = {v.id: v for v in genre_votes(hits)}
    assert votes["x"].score == pytest.approx(1.0) and votes["y"].score == pytest.approx(0.75)
    assert genre_votes([]) == []


def test_incremental_add_skips_known_ids_and_persists(tmp_path):
    folder = tmp_path / "ix"
    build_exemplar_index(RECORDS[:2], folder)
    index = build_exemplar_index(RECORDS, folder)  # same folder: adds only unseen ids
    assert len(index) == 4
    assert index.add([ExemplarRecord(**RECORDS[0])]) == 0
    reopened = open_exemplar_index(folder)
    assert len(reopened) == 4 and reopened.meta.count == 4
    assert sorted(r.id for r in reopened.records) == ["h1", "p1", "t1", "t2"]


def test_empty_query_finds_nothing(tmp_path):
    index = build_exemplar_index(RECORDS, tmp_path / "ix")
    assert index.neighbours("   ", 3) == [] and index.search("", 3) == []


def test_open_refuses_non_index_and_inconsistent_folders(tmp_path):
    with pytest.raises(FileNotFoundError):
        open_exemplar_index(tmp_path)
    build_exemplar_index(RECORDS, tmp_path / "ix")
    with open(tmp_path / "ix" / "records.jsonl", "a") as f:
        f.write(ExemplarRecord(id="extra", text="x", genres=["y"]).model_dump_json() + "\n")
    with pytest.raises(ValueError, match="rebuild"):
        open_exemplar_index(tmp_path / "ix")


def test_mmr_prefers_diverse_examples():
    q = np.array([1.0, 0.0, 0.0], dtype=np.float32)
    near = np.array([0.95, 0.31, 0.0], dtype=np.float32)
    cands = np.stack([near, near, np.array([0.9, 0.0, 0.43], dtype=np.float32)])
    cands /= np.linalg.norm(cands, axis=1, keepdims=True)
    assert mmr(q, cands, 2, relevance_weight=1.0) == [0, 1]  # plain similarity: the duplicate
    assert mmr(q, cands, 2, relevance_weight=0.5) == [0, 2]  # MMR: the other direction
    assert mmr(q, cands[:0], 2) == []


def test_search_uses_mmr_over_the_pool(tmp_path):
    dupes = [{"id": f"d{i}", "text": "Circuit \nJames Ruskin \nBlueprint Records", "genres": ["techno"]}
             for i in range(4)]
    index = build_exemplar_index(dupes + RECORDS, tmp_path / "ix")
    plain = index.search("Circuit James Ruskin Blueprint", 3, relevance_weight=1.0)
    diverse = index.search("Circuit James Ruskin Blueprint", 3, relevance_weight=0.3)
    assert sum(h.id.startswith("d") for h in plain) == 3
    assert sum(h.id.startswith("d") for h in diverse) < 3


def _unit(rng, n, dim):
    x = rng.standard_normal((n, dim)).astype(np.float32)
    return x / np.linalg.norm(x, axis=1, keepdims=True)


def test_vector_store_switches_to_hnsw_past_threshold_and_stays_consistent(tmp_path):
    rng = np.random.default_rng(0)
    dim = 16
    store = VectorStore(tmp_path, dim, ann_threshold=300, hnsw=HnswParams(dtype="f32", threads=1))
    first = _unit(rng, 200, dim)
    store.add(first)
    assert not store.uses_ann and not (tmp_path / "hnsw.usearch").exists()
    store.add(_unit(rng, 200, dim))  # crosses the threshold: the graph is built
    assert store.uses_ann and (tmp_path / "hnsw.usearch").exists()
    store.add(_unit(rng, 50, dim))  # incremental add extends the graph
    reopened = VectorStore(tmp_path, dim, ann_threshold=300)
    assert len(reopened) == 450 and reopened.uses_ann
    q = first[7]
    ann_keys, ann_sims = reopened.search(q, 10)
    exact_keys, exact_sims = reopened.search(q, 10, exact=True)
    assert exact_keys[0] == 7 and exact_sims[0] == pytest.approx(1.0, abs=1e-5)
    assert ann_keys[0] == 7
    assert len(set(ann_keys) & set(exact_keys)) >= 8
    assert np.all(np.diff(ann_sims) <= 1e-6)


def test_vector_store_builds_the_graph_on_open_when_the_threshold_is_lowered(tmp_path):
    rng = np.random.default_rng(1)
    VectorStore(tmp_path, 8, ann_threshold=1000).add(_unit(rng, 40, 8))
    assert not (tmp_path / "hnsw.usearch").exists()
    assert VectorStore(tmp_path, 8, ann_threshold=10, hnsw=HnswParams(threads=1)).uses_ann


def test_vector_store_rejects_a_truncated_file(tmp_path):
    store = VectorStore(tmp_path, 8)
    store.add(np.ones((2, 8), dtype=np.float32) / np.sqrt(8))
    with open(tmp_path / "vectors.f32", "ab") as f:
        f.write(b"\0\0")
    with pytest.raises(ValueError, match="float32 rows"):
        VectorStore(tmp_path, 8)


def test_exemplar_text_reads_only_item_fields():
    row = {"id": "b1", "artist": "A", "track": "T", "album": "Al", "labelname": "L", "year": "2020",
           "tags": "techno detroit", "gold_genres": ["techno"], "url": "https://x.bandcamp.com/track/t"}
    text = exemplar_text(row)
    assert text == "T \nA \nAl \nL"
    recs = list(records_from_rows([row, {"id": "b2", "track": "no genres"}]))
    assert [r.id for r in recs] == ["b1"] and recs[0].genres == ["techno"]


def test_records_from_jsonl_and_csv(tmp_path):
    jl = tmp_path / "gold.jsonl"
    jl.write_text(json.dumps({"id": "1", "track": "X", "artist": "Y", "gold_genres": ["Drum & Bass"]}) + "\n")
    assert [r.genres for r in records_from_file(jl)] == [["drum-and-bass"]]
    csv = tmp_path / "gold.csv"
    csv.write_text("id,title,artist,genre\n7,Song,Band,Deep House\n")
    assert [(r.id, r.text, r.genres) for r in records_from_file(csv, genres_field="genre")] == [
        ("7", "Song \nBand", ["deep-house"])]


def test_records_from_run_takes_accepted_items_with_catalog_text(tmp_path):
    catalog = tmp_path / "cat.jsonl"
    catalog.write_text("".join(json.dumps(r) + "\n" for r in [
        {"id": "a", "title": "Alpha", "artist": "X"}, {"id": "b", "title": "Beta"},
        {"id": "c", "title": "Gamma"}, {"id": "d", "title": "Delta"}]))
    out = tmp_path / "out.jsonl"
    lines = [
        {"id": "a", "status": "ok", "enrichment": {"genres": ["techno"], "review": {"routed": False}}},
        {"id": "b", "status": "ok", "enrichment": {"genres": ["house"], "review": {"routed": True}}},
        {"id": "c", "status": "error", "enrichment": None},
    ]
    out.write_text("".join(json.dumps(x) + "\n" for x in lines) + '{"id": "d", "stat')
    recs = list(records_from_run(out, catalog))
    assert [(r.id, r.text, r.genres) for r in recs] == [("a", "Alpha \nX", ["techno"])]
    assert {r.id for r in records_from_run(out, catalog, accepted_only=False)} == {"a", "b"}


def test_records_from_run_counts_what_it_leaves_out_and_refuses_the_wrong_catalog(tmp_path):
    from linernotes.tools.retrieval.exemplar_sources import SkippedRows

    catalog = tmp_path / "cat.jsonl"
    catalog.write_text("".join(json.dumps(r) + "\n" for r in [
        {"id": "a", "title": "Alpha"}, {"id": "b", "title": "Beta"}, {"id": "c", "title": "Gamma"},
        {"id": "e", "year": 1999}]))
    out = tmp_path / "out.jsonl"
    lines = [
        {"id": "a", "status": "ok", "enrichment": {"genres": ["techno"], "review": {"routed": False}}},
        {"id": "b", "status": "ok", "enrichment": {"genres": ["house"], "review": {"routed": True}}},
        {"id": "c", "status": "error", "enrichment": None},
        {"id": "z", "status": "ok", "enrichment": {"genres": ["dub"], "review": {"routed": False}}},
        {"id": "e", "status": "ok", "enrichment": {"genres": ["dub"], "review": {"routed": False}}},
        {"id": "f", "status": "ok", "enrichment": {"genres": [], "review": {"routed": False}}},
        {"status": "ok", "enrichment": {"genres": ["dub"], "review": {"routed": False}}},  # no id: not a record
    ]
    out.write_text("".join(json.dumps(x) + "\n" for x in lines) + '{"id": "d", "stat')
    skipped = SkippedRows()
    assert [r.id for r in records_from_run(out, catalog, skipped=skipped)] == ["a"]
    assert dict(skipped.counts) == {"routed to review (--include-routed adds these)": 1,
                                    "not ok in the run (an error record)": 1, "its id is not in the catalog": 1,
                                    "no text a tagger reads in the catalog (title, description, lyrics ...)": 1,
                                    "no genres in its record": 1,
                                    "not an output record (a line cut short by a kill?)": 2}
    assert skipped.first["its id is not in the catalog"] == f"{out}:4"

    other = tmp_path / "other.jsonl"  # a catalog the run never tagged: was an empty index, exit 0
    other.write_text(json.dumps({"id": "q", "title": "Q"}) + "\n")
    with pytest.raises(ValueError, match=r"none of the 3 labeled items of .*out.jsonl is in it \(e.g. id 'a'\)"):
        list(records_from_run(out, other))


def test_index_build_from_a_run_with_the_wrong_catalog_exits_2_and_leaves_no_index(tmp_path):
    from typer.testing import CliRunner

    from linernotes.cli.index_cmd import index_app

    out = tmp_path / "out.jsonl"
    out.write_text(json.dumps({"id": "a", "status": "ok", "enrichment": {"genres": ["techno"],
                                                                          "review": {"routed": False}}}) + "\n")
    other = tmp_path / "other.jsonl"
    other.write_text(json.dumps({"id": "q", "title": "Q"}) + "\n")
    r = CliRunner().invoke(index_app, ["build", str(out), "--catalog", str(other), "-o", str(tmp_path / "ix")])
    assert r.exit_code == 2, r.output
    assert "none of the 1 labeled items" in r.stderr and "give the catalog that run tagged" in r.stderr
    assert not (tmp_path / "ix").exists()
