"""Catalog readers: every input format, every bad-row kind, column mapping."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from linernotes.catalog import CatalogError, parse_mapping, read_catalog

GOOD = [
    {"id": "a", "title": "Night Drive", "artist": "Neon", "year": 2021},
    {"id": "b", "type": "episode", "title": "Money Hour", "description": "index funds", "year": "2020.0"},
    {"id": 7, "title": "Numeric id", "mood_hint": "calm"},
]


def _rows(path: Path, **kw):
    return list(read_catalog(path, **kw))


def _assert_good(rows) -> None:
    assert [r.item.id for r in rows] == ["a", "b", "7"]
    assert rows[1].item.type == "episode" and rows[1].item.year == 2020
    assert rows[2].item.extra == {"mood_hint": "calm"}
    assert all(r.error is None for r in rows)


def test_jsonl(tmp_path: Path) -> None:
    p = tmp_path / "c.jsonl"
    p.write_text("\n".join(json.dumps(r) for r in GOOD) + "\n")
    _assert_good(_rows(p))


def test_jsonl_with_bom_and_blank_lines(tmp_path: Path) -> None:
    p = tmp_path / "c.jsonl"
    p.write_bytes(b"\xef\xbb\xbf" + "\n\n".join(json.dumps(r) for r in GOOD).encode() + b"\n")
    _assert_good(_rows(p))


def test_csv(tmp_path: Path) -> None:
    p = tmp_path / "c.csv"
    p.write_text("id,type,title,artist,description,year,mood_hint\n"
                 "a,,Night Drive,Neon,,2021,\n"
                 "b,episode,Money Hour,,index funds,2020.0,\n"
                 "7,,Numeric id,,,,calm\n")
    rows = _rows(p)
    assert [r.item.id for r in rows] == ["a", "b", "7"]
    assert rows[0].item.year == 2021 and rows[1].item.type == "episode"
    assert rows[2].item.extra == {"mood_hint": "calm"}


def test_parquet(tmp_path: Path) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    p = tmp_path / "c.parquet"
    cols = sorted({k for r in GOOD for k in r})
    records = [{**dict.fromkeys(cols), **r, "id": str(r["id"]), "year": str(r.get("year", ""))} for r in GOOD]
    pq.write_table(pa.Table.from_pylist(records), p)
    rows = _rows(p)
    assert [r.item.id for r in rows] == ["a", "b", "7"]
    assert rows[2].item.extra["mood_hint"] == "calm"
    assert rows[0].item.extra == {"mood_hint": None}  # a null column value is kept as null context


def test_datasets_save_to_disk_folder(tmp_path: Path) -> None:
    from datasets import Dataset

    d = tmp_path / "ds"
    Dataset.from_list([{**r, "id": str(r["id"]), "year": str(r.get("year", ""))} for r in GOOD]).save_to_disk(d)
    rows = _rows(d)
    assert [r.item.id for r in rows] == ["a", "b", "7"]
    assert rows[0].item.year == 2021


def test_datasets_loadable_json_file(tmp_path: Path) -> None:
    p = tmp_path / "c.json"
    p.write_text(json.dumps([{**r, "id": str(r["id"]), "year": str(r.get("year", ""))} for r in GOOD]))
    assert [r.item.id for r in _rows(p)] == ["a", "b", "7"]


def test_bad_rows_become_errors_with_line_and_reason(tmp_path: Path) -> None:
    p = tmp_path / "bad.jsonl"
    lines = [
        json.dumps({"id": "ok1", "title": "fine"}).encode(),
        b'{"id": "broken", "title": ',  # invalid JSON
        json.dumps({"title": "no id"}).encode(),  # missing id
        json.dumps({"id": "ok1", "title": "again"}).encode(),  # duplicate id
        json.dumps({"id": "t1", "type": "movie"}).encode(),  # wrong enum
        json.dumps({"id": "t2", "year": "next year"}).encode(),  # wrong type
        json.dumps({"id": "t3", "title": {"nested": 1}}).encode(),  # wrong type
        b'{"id": "enc", "title": "caf\xe9"}',  # undecodable bytes (latin-1)
        json.dumps([1, 2]).encode(),  # not an object
        json.dumps({"id": "ok2", "title": "fine too"}).encode(),
    ]
    p.write_bytes(b"\n".join(lines) + b"\n")
    rows = _rows(p)
    assert len(rows) == 10
    good = [r.item.id for r in rows if r.item]
    assert good == ["ok1", "ok2"]
    errs = {r.line: r.error for r in rows if r.error}
    assert errs[2].kind == "input.invalid_json"
    assert errs[3].kind == "input.missing_id"
    assert errs[4].kind == "input.duplicate_id" and "ok1" in errs[4].message
    assert errs[5].kind == "input.invalid" and "type" in errs[5].message
    assert errs[6].kind == "input.invalid" and "year" in errs[6].message
    assert errs[7].kind == "input.invalid" and "title" in errs[7].message
    assert errs[8].kind == "input.encoding"
    assert errs[9].kind == "input.not_an_object"
    assert all(e.source == str(p) and e.line == n for n, e in errs.items())
    # every bad row has a key of its own, distinct from the good ids, for resume
    keys = [r.key for r in rows]
    assert len(keys) == len(set(keys))


def test_csv_ragged_and_bad_bytes(tmp_path: Path) -> None:
    p = tmp_path / "bad.csv"
    p.write_bytes(b"id,title\na,one\nb,two,extra\nc\nd,caf\xe9\ne,five\n")
    rows = _rows(p)
    assert [r.item.id for r in rows if r.item] == ["a", "e"]
    kinds = {r.line: r.error.kind for r in rows if r.error}
    assert kinds == {3: "input.ragged_row", 4: "input.ragged_row", 5: "input.encoding"}


def test_map_renames_and_drop_hides(tmp_path: Path) -> None:
    p = tmp_path / "bc.jsonl"
    p.write_text(json.dumps({"id": "x", "track": "Circuit", "labelname": "Blueprint", "tags": "uk techno",
                             "gold_genres": ["techno"]}) + "\n")
    rows = _rows(p, mapping=parse_mapping("title=track,label=labelname"), drop=["tags", "gold_genres"])
    item = rows[0].item
    assert item.title == "Circuit" and item.label == "Blueprint"
    assert "tags" not in item.extra and "gold_genres" not in item.extra
    assert rows[0].item.extra == {}


def test_parse_mapping_rejects_bad_specs() -> None:
    with pytest.raises(CatalogError, match="dst=src"):
        parse_mapping("title")
    with pytest.raises(CatalogError, match="not an input field"):
        parse_mapping("bogus=track")


@pytest.mark.parametrize("setup, message", [
    (lambda d: d / "missing.jsonl", "no such file"),
    (lambda d: (d / "empty.jsonl").write_text("") and d / "empty.jsonl" or d / "empty.jsonl", "empty"),
    (lambda d: d, "is a directory"),
    (lambda d: (d / "x.xlsx").write_text("x") and d / "x.xlsx", "unknown catalog format"),
])
def test_whole_file_problems_raise_catalog_error(tmp_path: Path, setup, message: str) -> None:
    path = setup(tmp_path)
    with pytest.raises(CatalogError, match=message):
        read_catalog(path)
