"""Exemplar records keep the item's artist, label and album as structured ``fields`` (besides the
text), from every source (gold rows under catalog aliases, a previous run joined to its catalog),
through the on-disk index to the hits the tools report; an index written before stays readable."""

from __future__ import annotations

import json

from linernotes.tools.retrieval.exemplar_sources import records_from_file, records_from_rows, records_from_run
from linernotes.tools.retrieval.exemplars import RECORDS, build_exemplar_index, open_exemplar_index

ROW = {"id": "b1", "track": "Nightfall", "artist": " Moritz Vale ", "album": "Nightfall",
       "labelname": "Ostgut Tapes", "year": "2019", "gold_genres": ["Techno"]}


def test_gold_rows_keep_artist_label_and_album_under_their_aliases(tmp_path):
    (rec,) = records_from_rows([ROW])
    assert rec.fields == {"artist": "Moritz Vale", "label": "Ostgut Tapes", "album": "Nightfall"}
    # the text is unchanged: the same join the graph reads
    assert rec.text == "Nightfall \nMoritz Vale \nNightfall \nOstgut Tapes"
    # a blank field is left out, not kept as ""
    (rec,) = records_from_rows([{**ROW, "album": "  "}])
    assert rec.fields == {"artist": "Moritz Vale", "label": "Ostgut Tapes"}
    path = tmp_path / "gold.jsonl"
    path.write_text(json.dumps(ROW) + "\n", encoding="utf-8")
    assert next(records_from_file(path)).fields["album"] == "Nightfall"


def test_a_runs_accepted_items_keep_their_fields(tmp_path):
    catalog = tmp_path / "catalog.jsonl"
    catalog.write_text(json.dumps({"id": "t1", "type": "track", "title": "Glass Rooms", "artist": "Moritz Vale",
                                   "album": "Nightfall", "label": "Ostgut Tapes"}) + "\n", encoding="utf-8")
    out = tmp_path / "out.jsonl"
    out.write_text(json.dumps({"id": "t1", "status": "ok", "enrichment": {"genres": ["techno"]}}) + "\n",
                   encoding="utf-8")
    (rec,) = records_from_run(out, catalog)
    assert rec.fields == {"artist": "Moritz Vale", "label": "Ostgut Tapes", "album": "Nightfall"}


def test_the_index_keeps_fields_and_reads_an_index_written_before(tmp_path):
    folder = tmp_path / "ix"
    build_exemplar_index(records_from_rows([ROW, {**ROW, "id": "b2", "track": "Other", "album": "Signal Path"}]),
                         folder)
    hits = open_exemplar_index(folder).search("Nightfall \nMoritz Vale", 2)
    assert {h.id: h.fields["album"] for h in hits} == {"b1": "Nightfall", "b2": "Signal Path"}
    # an index built before the fields were kept: its records have no "fields"; hits say None
    old = tmp_path / "old"
    build_exemplar_index([{"id": "o1", "text": "Nightfall \nMoritz Vale", "genres": ["techno"]}], old)
    line = (old / RECORDS).read_text(encoding="utf-8")
    assert "fields" not in json.loads(line)  # written as before, no "fields": null
    (hit,) = open_exemplar_index(old).search("Nightfall", 1)
    assert hit.fields is None


def test_an_eval_folder_from_before_the_fields_has_the_same_exemplar_set():
    # liner eval stamps its run folder with a digest of the exemplar records and refuses to resume
    # next to predictions of another set: the same items with fields are the same set
    from linernotes.evals.run import _exemplar_digest

    new = list(records_from_rows([ROW, {**ROW, "id": "b2", "album": "Signal Path"}]))
    old = [r.model_copy(update={"fields": None}) for r in new]
    assert _exemplar_digest(new, "wordllama:128") == _exemplar_digest(old, "wordllama:128")
    assert _exemplar_digest(new[:1], "wordllama:128") != _exemplar_digest(new, "wordllama:128")
