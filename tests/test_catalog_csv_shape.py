"""CSV/TSV header shapes a spreadsheet export produces (QA, session 13).

A .csv separated by ';' (Excel where ',' is the decimal mark), tabs or '|' was read as one
column: every row became an ``input.missing_id`` error whose message listed the columns as
``id;title;description``. A header naming a column twice kept the last column's value and lost
the other's from every row, silently (Parquet too)."""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from linernotes.store.catalog import CatalogError, estimate_rows, read_catalog


def _ok(path: Path) -> list[tuple[str, str | None, str | None]]:
    rows = list(read_catalog(path))
    assert all(r.error is None for r in rows), [r.error for r in rows]
    return [(r.item.id, r.item.title, r.item.description) for r in rows]


@pytest.mark.parametrize("name,sep", [("c.csv", ";"), ("c.csv", "\t"), ("c.csv", "|"), ("c.tsv", ",")],
                         ids=["csv-semicolon", "csv-tab", "csv-pipe", "tsv-comma"])
def test_a_catalog_is_read_by_the_separator_its_header_uses(tmp_path, name, sep):
    p = tmp_path / name
    p.write_text(sep.join(["id", "title", "description"]) + "\n"
                 + sep.join(["a", "Night Drive", '"calm, slow"' if sep != "," else "calm slow"]) + "\n"
                 + sep.join(["b", "Rain", "piano"]) + "\n")
    assert _ok(p) == [("a", "Night Drive", "calm, slow" if sep != "," else "calm slow"), ("b", "Rain", "piano")]


def test_a_comma_header_stays_comma_separated_whatever_its_cells_hold(tmp_path):
    p = tmp_path / "c.csv"
    p.write_text('id,"title; subtitle"\na,x;y\n')
    rows = list(read_catalog(p))
    assert rows[0].item.id == "a" and rows[0].item.extra == {"title; subtitle": "x;y"}


def test_a_header_naming_a_column_twice_is_refused(tmp_path):
    p = tmp_path / "c.csv"
    p.write_text("id,title,description,title\na,First,calm,Second\n")
    with pytest.raises(CatalogError, match=r"c\.csv: the header names a column twice \('title' is columns 2, 4\)"):
        list(read_catalog(p))


def test_a_parquet_file_with_a_column_named_twice_is_refused(tmp_path):
    p = tmp_path / "c.parquet"
    pq.write_table(pa.Table.from_arrays([pa.array(["a"]), pa.array(["T1"]), pa.array(["T2"])],
                                        names=["id", "title", "title"]), p)
    with pytest.raises(CatalogError, match=r"names a column twice \('title' is columns 2, 3\)"):
        list(read_catalog(p))


def test_the_cli_tags_a_semicolon_csv(tmp_path, liner_in_process):
    p = tmp_path / "c.csv"
    p.write_text("id;title;description\na;Night Drive;calm ambient piano\n")
    r = liner_in_process(["tag", p, "-o", tmp_path / "out.jsonl", "--llm", "never", "--no-progress"])
    assert r.returncode == 0, r.stderr
    assert '"id":"a","status":"ok"' in (tmp_path / "out.jsonl").read_text()


@pytest.mark.parametrize("name,sep", [("c.csv.gz", ","), ("c.tsv.gz", "\t")])
def test_a_gzipped_csv_or_tsv_is_read_like_the_plain_file(tmp_path, name, sep):
    """QA (session 13): the README's '.gz' held for JSONL only: catalog.csv.gz was refused as
    'unknown catalog format '.csv.gz''."""
    import gzip

    text = sep.join(["id", "title", "description"]) + "\n" + sep.join(["a", "Night Drive", "calm"]) + "\n"
    with gzip.open(tmp_path / name, "wt", encoding="utf-8") as fh:
        fh.write(text)
    assert _ok(tmp_path / name) == [("a", "Night Drive", "calm")]


def test_the_progress_estimate_of_a_gzipped_catalog_counts_its_lines(tmp_path):
    """QA (session 13): a 300-row .jsonl.gz was estimated at its compressed bytes' newlines (18):
    progress read '300/18 done (1667%)'."""
    import gzip
    import json
    import random

    rnd = random.Random(1)
    rows = "".join(json.dumps({"id": f"k{i}", "title": "".join(rnd.choice("abcdefgh ") for _ in range(60))}) + "\n"
                   for i in range(300))
    with gzip.open(tmp_path / "c.jsonl.gz", "wt", encoding="utf-8") as fh:
        fh.write(rows)
    (tmp_path / "c.csv.gz").write_bytes(gzip.compress(b"id,title\n" + b"".join(b"r%d,x\n" % i for i in range(40))))
    assert estimate_rows(tmp_path / "c.jsonl.gz") == 300
    assert estimate_rows(tmp_path / "c.csv.gz") == 40


@pytest.mark.parametrize("name,content,why", [("h.csv", "id,title\n", "a header line only"),
                                              ("b.jsonl", "\n  \n\n", "blank lines only")])
def test_a_catalog_without_rows_is_refused_like_a_gold_set(tmp_path, liner_in_process, name, content, why):
    """QA (session 13): a header-only CSV ran 0 rows with exit 0 and an empty output, where a
    0-byte file, a header-only gold set and exemplar source were refused (exit 2)."""
    p = tmp_path / name
    p.write_text(content)
    with pytest.raises(CatalogError, match=rf"{name}: no rows \({why}\)"):
        read_catalog(p)
    r = liner_in_process(["tag", p, "-o", tmp_path / "out.jsonl", "--llm", "never", "--no-progress"])
    assert r.returncode == 2 and f"{p}: no rows ({why})" in r.stderr, r.stderr
    assert not (tmp_path / "out.jsonl").exists()


def test_an_empty_parquet_table_is_refused(tmp_path):
    p = tmp_path / "e.parquet"
    pq.write_table(pa.table({"id": pa.array([], pa.string())}), p)
    with pytest.raises(CatalogError, match=r"e\.parquet: no rows \(an empty table\)"):
        read_catalog(p)


def test_a_long_csv_field_is_named_under_its_id_like_a_jsonl_one(tmp_path):
    """QA (session 13): a 150,000-character CSV description read 'field larger than field limit
    (131072)' (csv's own limit), keyed line:3; a JSONL one 'field 'description' has 150,000
    characters (limit 100,000)' under its id."""
    p = tmp_path / "c.csv"
    p.write_text(f"id,title,description\na,ok,calm\nb,big,{'y' * 150_000}\nc,after,\"{'z' * 140_000}\"\nd,last,x\n")
    rows = list(read_catalog(p))
    assert [r.item.id for r in rows if r.item] == ["a", "d"]
    assert [(r.line, r.raw_id, r.error.message) for r in rows if r.error] == [
        (3, "b", "field 'description' has 150,000 characters (limit 100,000)"),
        (4, "c", "field 'description' has 140,000 characters (limit 100,000)")]


def _fields(path, **kw):
    return [(r.key, r.item.title, r.item.description, r.item.extra) if r.item else (r.key, r.error.kind)
            for r in read_catalog(path, **kw)]


def test_a_comma_space_csv_reads_its_fields(tmp_path):
    # 'id, title, description' made ' title' and ' description' extra columns: every row was tagged
    # without its text, exit 0
    p = tmp_path / "c.csv"
    p.write_text('id, title, description\nx1, Song, calm piano\nx2, "A, B", loud\n')
    assert _fields(p) == [("x1", "Song", "calm piano", {}), ("x2", "A, B", "loud", {})]


def test_columns_named_as_fields_up_to_case_and_spaces_read_as_the_fields(tmp_path):
    p = tmp_path / "c.csv"
    p.write_text("ID,Title,DESCRIPTION ,Mood\nx1,Song,calm piano,m\nx1,Again,x,m\n")
    got = _fields(p)
    assert got[0] == ("x1", "Song", "calm piano", {"Mood": "m"})
    assert got[1] == ("line:3", "input.duplicate_id"), "the id read from 'ID' still catches repeats"


def test_an_exact_column_a_map_or_a_drop_keeps_its_own_name(tmp_path):
    p = tmp_path / "c.csv"
    p.write_text("id,Title,title,Description\nx1,A,B,text\n")
    assert _fields(p) == [("x1", "B", "text", {"Title": "A"})]
    assert _fields(p, mapping={"Title": "artist"}) == [("x1", "B", "text", {})]
    assert _fields(p, drop=["Description"]) == [("x1", "B", None, {"Title": "A"})]
