"""Catalog readers: every input format, every bad-row kind, column mapping."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from linernotes.store.catalog import CatalogError, parse_mapping, read_catalog

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


def test_csv_unclosed_quote_names_the_line_it_opens_on(tmp_path: Path) -> None:
    """An unclosed quote swallows the following lines into one field; the error named only the
    last line ("row has 2 fields, header has 3"), not where the quote opened (new-user test)."""
    p = tmp_path / "q.csv"
    p.write_text('id,title,artist\n1,A,X\n2,"B, open\n3,C,Z\n')
    rows = _rows(p)
    assert [r.item.id for r in rows if r.item] == ["1"]
    (err,) = [r.error for r in rows if r.error]
    assert err.kind == "input.ragged_row" and err.line == 3  # the line the row starts on
    assert "lines 3-4" in err.message and "unclosed" in err.message and "line 3" in err.message
    (tmp_path / "x.csv").write_text("id,title\nb,two,extra\n")
    assert [r.error.message for r in _rows(tmp_path / "x.csv")] == ["row has 3 fields, header has 2"]


def test_map_renames_and_drop_hides(tmp_path: Path) -> None:
    p = tmp_path / "bc.jsonl"
    p.write_text(json.dumps({"id": "x", "track": "Circuit", "labelname": "Blueprint", "tags": "uk techno",
                             "gold_genres": ["techno"]}) + "\n")
    rows = _rows(p, mapping=parse_mapping("title=track,label=labelname"), drop=["tags", "gold_genres"])
    item = rows[0].item
    assert item.title == "Circuit" and item.label == "Blueprint"
    assert "tags" not in item.extra and "gold_genres" not in item.extra
    assert rows[0].item.extra == {}


def test_a_mapped_field_never_falls_back_to_the_raw_column_of_its_name(tmp_path: Path) -> None:
    """``--map id=nope``: a row without ``nope`` has no id (an error naming the missing column),
    even when it has its own ``id`` column; the same for any mapped field (found by a new-user
    test: rows with an ``id`` quietly kept it)."""
    p = tmp_path / "c.jsonl"
    p.write_text(json.dumps({"id": "raw-1", "nope": "mapped-1", "title": "A"}) + "\n"
                 + json.dumps({"id": "raw-2", "title": "B"}) + "\n"
                 + json.dumps({"id": "raw-3", "name": "Named", "title": "Raw title"}) + "\n")
    rows = _rows(p, mapping=parse_mapping("id=nope"))
    assert rows[0].item is not None and rows[0].item.id == "mapped-1"
    assert rows[1].item is None and rows[1].error.kind == "input.missing_id"
    assert "no column 'nope'" in rows[1].error.message
    assert rows[2].item is None
    rows = _rows(p, mapping=parse_mapping("title=name"))
    assert [r.item.title for r in rows] == [None, None, "Named"]


def test_parse_mapping_rejects_bad_specs() -> None:
    with pytest.raises(CatalogError, match="dst=src"):
        parse_mapping("title")
    with pytest.raises(CatalogError, match="not an input field"):
        parse_mapping("bogus=track")


def test_parse_mapping_refuses_a_field_or_a_column_named_twice() -> None:
    """``--map id=track_id,id=artist`` was accepted and the id came from whichever column the row
    listed last; ``title=track,artist=track`` silently dropped the title (new-user test)."""
    with pytest.raises(CatalogError, match="field 'id' is mapped twice .id=track_id, id=artist."):
        parse_mapping("id=track_id,id=artist")
    with pytest.raises(CatalogError, match="column 'track' is mapped twice"):
        parse_mapping("title=track,artist=track")
    assert parse_mapping("id=track_id,title=track") == {"track_id": "id", "track": "title"}


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


# --- missing-value markers (issue 12, item 9) -------------------------------------------------

MARKERS = ["NaN", "NA", "", "N/A", "null", "None", "#N/A", "-NaN", "<NA>", " NA "]


def test_csv_missing_value_markers_in_year_become_null(tmp_path: Path) -> None:
    """The reported input: a CSV year of NaN or NA was rejected while an empty cell was null."""
    p = tmp_path / "c.csv"
    p.write_text("id,title,year\n" + "".join(f"m{i},Song {i},{m}\n" for i, m in enumerate(MARKERS)) + "z,Real,1999\n")
    rows = _rows(p)
    assert [r.error for r in rows] == [None] * (len(MARKERS) + 1)
    assert [r.item.year for r in rows] == [None] * len(MARKERS) + [1999]


def test_tsv_markers_in_every_typed_field(tmp_path: Path) -> None:
    p = tmp_path / "c.tsv"
    p.write_text("id\ttype\tlanguage\taudio_path\tyear\ttitle\n"
                 "a\tNA\tnull\tN/A\tnan\tNA\n")
    (row,) = _rows(p)
    item = row.item
    assert (item.type, item.language, item.audio_path, item.year) == ("track", None, None, None)
    assert item.title == "NA", "free text keeps a marker: 'NA' can be a real title"


def test_jsonl_marker_strings_and_nan_agree(tmp_path: Path) -> None:
    p = tmp_path / "c.jsonl"
    p.write_text('{"id": "a", "year": NaN}\n{"id": "b", "year": "NaN"}\n{"id": "c", "year": "NULL"}\n'
                 '{"id": "d", "year": null, "title": "None"}\n')
    rows = _rows(p)
    assert [(r.item.id, r.item.year) for r in rows] == [("a", None), ("b", None), ("c", None), ("d", None)]
    assert rows[3].item.title == "None"


def test_parquet_and_datasets_markers(tmp_path: Path) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq
    from datasets import Dataset

    data = [{"id": "a", "year": "NA", "title": "x"}, {"id": "b", "year": "#N/A", "title": "y"},
            {"id": "c", "year": "2001", "title": "z"}]
    pq.write_table(pa.Table.from_pylist(data), tmp_path / "c.parquet")
    Dataset.from_list(data).save_to_disk(tmp_path / "ds")
    for src in (tmp_path / "c.parquet", tmp_path / "ds"):
        rows = _rows(src)
        assert [r.item.year for r in rows] == [None, None, 2001], src


def test_parquet_float_nan_year_is_null(tmp_path: Path) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    pq.write_table(pa.table({"id": ["a", "b"], "year": [float("nan"), 1987.0]}), tmp_path / "c.parquet")
    assert [r.item.year for r in _rows(tmp_path / "c.parquet")] == [None, 1987]


def test_a_marker_id_is_a_missing_id_not_an_item(tmp_path: Path) -> None:
    p = tmp_path / "c.csv"
    p.write_text("id,title\nNA,first\nNULL,second\nok,third\n")
    rows = _rows(p)
    assert [r.error.kind if r.error else r.item.id for r in rows] == ["input.missing_id", "input.missing_id", "ok"]
    assert "missing-value marker" in rows[0].error.message


def test_a_real_non_marker_year_still_fails_with_its_reason(tmp_path: Path) -> None:
    p = tmp_path / "c.csv"
    p.write_text("id,year\na,soon\nb,unknown\n")
    rows = _rows(p)
    assert [r.error.kind for r in rows] == ["input.invalid", "input.invalid"]
    assert "'soon'" in rows[0].error.message and rows[1].error.line == 3


# --- a catalog without an id column (item 14) -------------------------------------------------

def test_missing_id_column_names_the_columns_and_suggests_a_map(tmp_path: Path) -> None:
    p = tmp_path / "c.csv"
    p.write_text("track_id,title,artist\nt1,Song,Band\n")
    (row,) = _rows(p)
    assert row.error.kind == "input.missing_id"
    assert "track_id, title, artist" in row.error.message
    assert "--map id=track_id" in row.error.message
    (fixed,) = _rows(p, mapping=parse_mapping("id=track_id"))
    assert fixed.item.id == "t1"


def test_missing_id_without_a_likely_column_suggests_the_form(tmp_path: Path) -> None:
    p = tmp_path / "c.jsonl"
    p.write_text(json.dumps({"name": "x", "title": "y"}) + "\n")
    (row,) = _rows(p)
    assert "--map id=<column>" in row.error.message


def test_a_catalog_row_without_an_id_names_its_columns_and_the_map_that_fixes_it(tmp_path):
    from linernotes.store.catalog import read_catalog

    path = tmp_path / "c.jsonl"
    path.write_text('{"track_id": "t1", "title": "A"}\n{"id": "", "title": "B"}\n')
    rows = list(read_catalog(path))
    assert [r.error.kind for r in rows] == ["input.missing_id", "input.missing_id"]
    assert "no column 'id' (columns: track_id, title); name the id column with --map id=track_id" in rows[0].error.message
    assert "column 'id' is empty or a missing-value marker" in rows[1].error.message


def test_a_jsonl_row_without_the_id_key_that_earlier_rows_have_is_not_told_to_map_a_column(tmp_path):
    """Found in session 9 (T9): one JSONL line without its 'id' key, in a file whose other lines
    have one, was told 'no column 'id' ... name the id column with --map id=<column>': a --map
    would break every other row. Once a row has had the id column, a row without it is that row's
    fault; the message says so and suggests no --map."""
    path = tmp_path / "c.jsonl"
    path.write_text('{"id": "a", "title": "A"}\n{"title": "B", "track_id": "t2"}\n{"id": "c", "title": "C"}\n')
    rows = list(read_catalog(path))
    assert [r.key for r in rows] == ["a", "line:2", "c"] and rows[1].error.kind == "input.missing_id"
    message = rows[1].error.message
    assert "--map" not in message, message
    assert "this row has no column 'id' (its columns: title, track_id)" in message
    mapped = tmp_path / "m.jsonl"
    mapped.write_text('{"track_id": "a"}\n{"title": "B"}\n')
    rows = list(read_catalog(mapped, mapping=parse_mapping("id=track_id")))
    assert "this row has no column 'track_id'" in rows[1].error.message and "--map" not in rows[1].error.message


def test_a_first_jsonl_line_without_an_id_is_told_to_add_one_as_well_as_the_map(tmp_path):
    """Found in session 9: a JSONL file whose FIRST line lacks its 'id' (later lines have it) was
    told only 'name the id column with --map id=<column>'; the reader cannot know yet that the
    other lines have ids, so with no id-like column the message offers both remedies, the row's
    own first. Later lines are unaffected."""
    path = tmp_path / "c.jsonl"
    path.write_text('{"title": "A", "type": "track"}\n{"id": "b", "title": "B"}\n')
    rows = list(read_catalog(path))
    assert [r.key for r in rows] == ["line:1", "b"]
    message = rows[0].error.message
    assert "add an 'id' to the row, or name the column that holds ids with --map id=<column>" in message, message
    assert "(columns: title, type)" in message


@pytest.mark.parametrize("column", ["ident", "identifier", "id_track", "Track ID", "episode-id"])
def test_id_like_columns_are_suggested_by_name(tmp_path, column):
    path = tmp_path / "c.jsonl"
    path.write_text(json.dumps({"title": "A", column: "x1"}) + "\n")
    (row,) = list(read_catalog(path))
    assert f"--map id={column}" in row.error.message, row.error.message


@pytest.mark.parametrize("suffix", [".csv", ".parquet"])
def test_a_drop_or_map_column_the_file_lacks_is_refused_before_any_row(tmp_path: Path, suffix: str) -> None:
    """``--drop gold_genre`` (misspelt; the column is gold_genres) was silently accepted and the
    gold labels went to the tagger as extra context (new-user test). Formats with a header say
    so before the first row, naming the columns."""
    p = tmp_path / f"c{suffix}"
    rows = [{"track_id": "1", "track": "A", "gold_genres": "rock"}]
    if suffix == ".csv":
        p.write_text("track_id,track,gold_genres\n1,A,rock\n")
    else:
        import pyarrow as pa
        import pyarrow.parquet as pq

        pq.write_table(pa.Table.from_pylist(rows), p)
    mapping = parse_mapping("id=track_id,title=track")
    with pytest.raises(CatalogError, match=r"--drop gold_genre: no such column \(its columns: track_id, track, "
                                           r"gold_genres\)"):
        _rows(p, mapping=mapping, drop=["gold_genre"])
    with pytest.raises(CatalogError, match="--map title=name: no such column"):
        _rows(p, mapping=parse_mapping("id=track_id,title=name"))
    (row,) = _rows(p, mapping=mapping, drop=["gold_genres"])
    assert row.item.title == "A" and "gold_genres" not in row.item.extra
