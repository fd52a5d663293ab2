"""An id made of digits is the same text in every reader: ``liner tag`` reads a CSV catalog's
``00123`` as '00123', and review's and eval's gold readers (and an exemplar source) read the same
file so too. QA session 22: they read CSV through pandas, which made ``00123`` the integer 123, so
review said '00123' and '123' were one id repeated and matched the run's '00123' to nothing, and
an eval gold id was '123' where the catalog's item is '00123'. A float id (123.0) is no review
item, as tag and eval refuse it, instead of the item '123.0'."""

from __future__ import annotations

import json
from pathlib import Path

from linernotes.evals.gold import load_gold
from linernotes.evals.spec import load_spec
from linernotes.review.sources import gold_items, load_source, read_gold_lines
from linernotes.store.catalog import read_catalog
from linernotes.tools.retrieval.exemplar_sources import records_from_file
from tests.conftest import run_liner_in_process

IDS = ["00123", "123", "7", "0"]


def _catalog(tmp_path: Path) -> Path:
    p = tmp_path / "c.csv"
    p.write_text("id,title,description,valence,gold_genres\n"
                 + "".join(f"{i},Song {n},a happy dance track,0.5,house\n" for n, i in enumerate(IDS)), encoding="utf-8")
    return p


def test_tag_review_eval_and_exemplar_readers_read_the_same_ids(tmp_path: Path) -> None:
    catalog = _catalog(tmp_path)
    assert [r.key for r in read_catalog(catalog)] == IDS
    items, notes = gold_items(read_gold_lines(catalog))
    assert [row["id"] for _, row in items] == IDS and notes == []
    spec = tmp_path / "v.yaml"
    spec.write_text(f"name: v\ndata: {catalog}\ninputs: {{description: description}}\n"
                    "tasks: [{name: valence, kind: valence, gold_field: valence}]\n", encoding="utf-8")
    assert [i.id for i in load_gold(load_spec(spec), catalog).items] == IDS
    assert [r.id for r in records_from_file(catalog)] == IDS


def test_a_review_of_a_tagged_csv_catalog_finds_every_item(tmp_path: Path) -> None:
    catalog = _catalog(tmp_path)
    out = tmp_path / "o.jsonl"
    r = run_liner_in_process(["tag", catalog, "-o", out, "--llm", "never", "--no-progress"])
    assert r.returncode == 0, r.stderr
    source = load_source(run=out, gold=catalog)
    assert sorted(i.id for i in source.items if i.in_run) == sorted(IDS) and source.notes == []


def test_a_float_or_boolean_id_in_a_review_gold_set_is_no_item(tmp_path: Path) -> None:
    p = tmp_path / "g.jsonl"
    p.write_text("".join(json.dumps(r) + "\n" for r in [{"id": 123, "valence": 0.5}, {"id": 124.0, "valence": 0.5},
                                                        {"id": True, "valence": 0.5}]), encoding="utf-8")
    items, notes = gold_items(read_gold_lines(p))
    assert [row["id"] for _, row in items] == [123]
    assert [n.split(": ", 1)[0] for n in notes] == [f"{p}:2", f"{p}:3"]
    assert "id 124.0 is a float; ids are strings or integers" in notes[0] and "true/false" in notes[1]
