"""Gold and catalog ids are read as the text the file writes, whatever else the column holds.
QA (session 24 leftovers): ``datasets`` reads a JSON column mixing numbers and strings as its
``Json`` feature and hands back any string that is itself JSON as that value, so a gold file with
``{"id": 1}`` and ``{"id": "007"}`` had the ids '1' and '7' ("007" and a row's 7 then "repeated"
each other), ``"1e5"`` was refused as the float 100000.0, and an id column of ``7`` and ``7.5``
gave the id 7.0. ``liner tag`` read a ``.json`` catalog the same way."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest

from linernotes.evals.gold import load_gold
from linernotes.evals.spec import SpecError, load_spec
from linernotes.store.catalog import read_catalog
from linernotes.store.tables import load_table

MIXED = [1, "007", "1e5", 7, "true", "null-ish", "-0", "12345678901234567890", "[1]"]


def _spec(tmp_path: Path, data: str) -> Path:
    spec = tmp_path / "v.yaml"
    spec.write_text(f"name: v\ndata: {data}\ninputs: {{description: text}}\n"
                    "tasks: [{name: valence, kind: valence, gold_field: ratings}]\n", encoding="utf-8")
    return spec


def _rows(ids: list) -> list[dict]:
    return [{"id": i, "text": f"text {n}", "ratings": [n % 3 - 1]} for n, i in enumerate(ids)]


def _write(path: Path, rows: list[dict]) -> Path:
    if path.suffix == ".json":
        path.write_text(json.dumps(rows), encoding="utf-8")
    elif path.suffix == ".csv":
        with open(path, "w", encoding="utf-8", newline="") as f:
            w = csv.writer(f)
            w.writerow(["id", "text", "ratings"])
            w.writerows([[r["id"], r["text"], r["ratings"][0]] for r in rows])
    else:
        path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return path


@pytest.mark.parametrize("name", ["g.jsonl", "g.json", "g.csv"])
def test_gold_ids_are_the_text_written(tmp_path: Path, name: str) -> None:
    data = _write(tmp_path / name, _rows(MIXED))
    gold = load_gold(load_spec(_spec(tmp_path, name)), data)
    assert [it.id for it in gold.items] == [str(i) for i in MIXED]
    assert load_table(data)["id"] == [str(i) for i in MIXED]  # index build and review read it so too


@pytest.mark.parametrize(("name", "where"), [("g.jsonl", ":3:"), ("g.json", ": row 3:")])
def test_an_integer_and_its_text_are_one_id_reported_with_both_places(tmp_path: Path, name: str, where: str) -> None:
    data = _write(tmp_path / name, _rows(["a", 7, "7", "b"]))
    with pytest.raises(SpecError) as e:
        load_gold(load_spec(_spec(tmp_path, name)), data)
    message = str(e.value)
    assert f"{data}{where}" in message or f"{data}: row 3:" in message, message
    assert "id '7' repeats" in message and ("line 2" in message or "row 2" in message), message


def test_a_leading_zero_is_not_a_repeat(tmp_path: Path) -> None:
    data = _write(tmp_path / "g.jsonl", _rows(["007", 7, "07"]))
    assert [it.id for it in load_gold(load_spec(_spec(tmp_path, "g.jsonl")), data).items] == ["007", "7", "07"]


def test_a_float_beside_integers_is_refused_at_its_own_row(tmp_path: Path) -> None:
    data = _write(tmp_path / "g.json", _rows([7, 8, 7.5, 9]))
    with pytest.raises(SpecError) as e:
        load_gold(load_spec(_spec(tmp_path, "g.json")), data)
    assert str(e.value).startswith(f"{data}: row 3: id: id 7.5 is a float"), str(e.value)


def test_a_json_catalog_keeps_each_id_as_written(tmp_path: Path) -> None:
    catalog = tmp_path / "c.json"
    catalog.write_text(json.dumps([{"id": i, "title": f"t{n}", "tags": [1, "007"]}
                                   for n, i in enumerate(["007", 7, "1e5", 7.5, 8])]), encoding="utf-8")
    rows = list(read_catalog(catalog))
    assert [r.key for r in rows] == ["007", "7", "1e5", "line:4", "8"]
    assert "id 7.5 is a float" in rows[3].error.message
    assert rows[0].item.extra["tags"] == [1, "007"]  # a mixed list column: its values as written too
    plain = tmp_path / "p.json"  # a column of one type reads as before
    plain.write_text(json.dumps([{"id": "a", "title": "x"}, {"id": "b", "title": "y"}]), encoding="utf-8")
    assert [r.key for r in read_catalog(plain)] == ["a", "b"]


def test_other_mixed_columns_of_a_labeled_table_read_as_written(tmp_path: Path) -> None:
    """A column mixing JSON types gave back any string that is JSON as that value: a title "null"
    became None (the item lost its text), "007" the integer 7, a label "true" true."""
    rows = [{"id": "a", "text": 1999, "g": ["rock"]}, {"id": "b", "text": "null", "g": "rock"},
            {"id": "c", "text": "007", "g": ["1984"]}, {"id": "d", "text": "[1, 2]", "g": "true"},
            {"id": "e", "text": None, "g": None}]
    data = tmp_path / "t.jsonl"
    data.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    assert load_table(data).to_list() == rows
    spec = tmp_path / "v.yaml"
    spec.write_text("name: v\ndata: t.jsonl\ninputs: {description: text}\n"
                    "tasks: [{name: valence, kind: valence, gold_field: ratings}]\n", encoding="utf-8")
    data.write_text("".join(json.dumps(r | {"ratings": [1]}) + "\n" for r in rows), encoding="utf-8")
    gold = load_gold(load_spec(spec), data)
    assert [it.inputs.get("description") for it in gold.items] == [1999, "null", "007", "[1, 2]", None]


def test_a_csv_gold_sets_group_and_inputs_are_text_as_written(tmp_path: Path) -> None:
    """pandas read a CSV album column of '007', '7' and '1e5' as floats: groups '7.0', '7.0' and
    '100000.0' (two albums one group: their items shared folds and bootstrap clusters), and a
    description column of '007' / '42' as integers ('7')."""
    data = tmp_path / "g.csv"
    data.write_text("id,text,ratings,album\na,007,1,007\nb,42,-1,7\nc,1e5,0,1e5\nd,NA,0,\n", encoding="utf-8")
    spec = tmp_path / "v.yaml"
    spec.write_text("name: v\ndata: g.csv\ninputs: {description: text}\ngroup_field: album\n"
                    "tasks: [{name: valence, kind: valence, gold_field: ratings}]\n", encoding="utf-8")
    gold = load_gold(load_spec(spec), data)
    assert [it.group for it in gold.items] == ["007", "7", "1e5", None]
    assert [it.inputs.get("description") for it in gold.items] == ["007", "42", "1e5", None]


def test_an_exemplar_csv_sources_text_and_identity_are_text_as_written(tmp_path: Path) -> None:
    from linernotes.tools.retrieval.exemplar_sources import records_from_file

    data = tmp_path / "x.csv"
    data.write_text("id,title,album,gold_genres\na,007,007,rock\nb,1984,7,pop\n", encoding="utf-8")
    records = list(records_from_file(data))
    assert [r.text.split()[0] for r in records] == ["007", "1984"]
    assert [(r.fields or {}).get("album") for r in records] == ["007", "7"]
