"""A multilabel cell written as text (a CSV/TSV gold file or exemplar source) is a list of labels:
``"techno, house"`` was one label, the id ``techno-house``, which no taxonomy has (T9)."""

from __future__ import annotations

import math

import numpy as np
import pytest

from linernotes.labels import label_list


@pytest.mark.parametrize(("cell", "labels"), [
    ("techno, house", ["techno", "house"]),
    ("techno;house | ambient", ["techno", "house", "ambient"]),
    ('["drum and bass", "jungle"]', ["drum and bass", "jungle"]),
    ("drum and bass", ["drum and bass"]),  # a space is part of a label, never a separator
    ("  Deep House  ", ["Deep House"]),
    ("rock,,  ,pop,", ["rock", "pop"]),
    ("[not json", ["[not json"]),
    ("", []), ("   ", []), (None, []), (math.nan, []),
    (["Techno", " House ", "", None], ["Techno", "House"]),
    (("a", "b"), ["a", "b"]),
    (np.array(["x", "y"]), ["x", "y"]),
])
def test_a_label_cell_is_a_list_of_labels(cell, labels):
    assert label_list(cell) == labels


def test_an_object_is_not_a_label_cell():
    with pytest.raises(ValueError, match="text or a list"):
        label_list({"genre": "techno"})


def test_a_csv_exemplar_source_splits_its_genre_cells(tmp_path):
    from linernotes.tools.retrieval.exemplar_sources import records_from_file

    csv = tmp_path / "gold.csv"
    csv.write_text('id,title,genre\n1,Song,"techno, house"\n2,Other,"[""ambient"", ""drone""]"\n3,Third,Deep House\n')
    assert [r.genres for r in records_from_file(csv, genres_field="genre")] == [
        ["techno", "house"], ["ambient", "drone"], ["deep-house"]]


def test_a_csv_gold_set_splits_its_multilabel_cells(tmp_path):
    from linernotes.evals.gold import gold_for
    from linernotes.evals.spec import TaskSpec

    task = TaskSpec(name="genres", kind="multilabel", gold_field="genres")
    assert gold_for(task, "Techno, Deep House")["genres"] == ["deep-house", "techno"]
    assert gold_for(task, ["Techno"])["genres"] == ["techno"]


def test_index_build_splits_cells_and_warns_about_labels_outside_the_taxonomy(tmp_path, liner_in_process):
    import json

    gold = tmp_path / "labeled.csv"
    gold.write_text('id,title,tags\nb1,Deep dub,"dub-techno, techno"\nb2,Acid jam,"acid house; house"\n'
                    'b3,Odd one,space disco jazz\n')
    r = liner_in_process(["index", "build", "--gold", str(gold), "--genres-field", "tags", "-o", str(tmp_path / "ex")])
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout)["added"] == 3
    records = [json.loads(line) for line in (tmp_path / "ex" / "records.jsonl").read_text().splitlines()]
    assert [rec["genres"] for rec in records] == [["dub-techno", "techno"], ["acid-house", "house"], ["space-disco-jazz"]]
    assert "1 of 5 labels added are not in taxonomy music-genres: 'space-disco-jazz' (1 records)" in r.stderr


def test_index_build_refuses_an_unknown_taxonomy_before_writing_anything(tmp_path, liner_in_process):
    gold = tmp_path / "labeled.csv"
    gold.write_text('id,title,tags\nb1,Deep dub,"dub-techno, techno"\n')
    out = tmp_path / "ex"
    r = liner_in_process(["index", "build", "--gold", str(gold), "--genres-field", "tags", "--taxonomy", "no-such-pack",
                          "-o", str(out)])
    assert r.returncode == 2 and "no shipped taxonomy named 'no-such-pack'" in r.stderr
    assert not out.exists()
