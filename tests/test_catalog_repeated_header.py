"""A CSV/TSV line that repeats the header (files joined with their headers: ``cat a.csv b.csv``,
the second file's UTF-8 BOM included) is an ``input.repeated_header`` error record naming the
line, not a row; a gold CSV with one is refused naming it. QA newuser22: the second header was
tagged as an item whose id is 'id' (or '\\ufeffid') and whose title is 'title', exit 0."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from linernotes.evals.spec import SpecError
from linernotes.store.catalog import read_catalog
from tests.gold_csv import load_policy_csv

WANT = "line 3 repeats the header line (were two files joined with their headers?); it is not a row"


@pytest.mark.parametrize(("name", "data"), [
    ("c.csv", b"id,title\na,x\nid,title\nb,y\n"),
    ("c.tsv", b"id\ttitle\na\tx\nid\ttitle\nb\ty\n"),
    ("c.csv", b"\xef\xbb\xbfid,title\na,x\n\xef\xbb\xbfid,title\nb,y\n"),  # two Excel "CSV UTF-8" files
    ("c.csv", b"id,title\na,x\n\xef\xbb\xbfid,title\nb,y\n"),
])
def test_a_repeated_header_line_is_an_error_record_not_an_item(tmp_path: Path, name: str, data: bytes) -> None:
    p = tmp_path / name
    p.write_bytes(data)
    rows = list(read_catalog(p))
    assert [r.item.id for r in rows if r.item is not None] == ["a", "b"]
    bad = [r for r in rows if r.error is not None]
    assert [(r.key, r.error.kind, r.error.line, r.error.message) for r in bad] == [
        ("line:3", "input.repeated_header", 3, WANT)]


def test_a_row_that_differs_from_the_header_is_read(tmp_path: Path) -> None:
    p = tmp_path / "c.csv"
    p.write_bytes(b"id,title\nid,Title\n")  # an item may be called 'id'; only the header's own line is refused
    assert [(r.item.id, r.item.title) for r in read_catalog(p)] == [("id", "Title")]


def test_a_gold_csv_with_a_repeated_header_is_refused_naming_the_line(tmp_path: Path) -> None:
    data = tmp_path / "g.csv"
    with pytest.raises(SpecError, match="^" + re.escape(f"{data}:3: {WANT}") + "$"):
        load_policy_csv(tmp_path, "id,text,label\np0,a,none\nid,text,label\np1,b,insult\n")
