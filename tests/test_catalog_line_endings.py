"""Line endings of a catalog file: LF, CRLF (Windows) and a bare CR (classic Mac; Excel for Mac's
"CSV (Macintosh)" export). A CR-only file was one physical line: its CSV refused as 'unreadable
CSV header: new-line character seen in unquoted field', its JSONL one invalid line."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pytest

from linernotes.store.catalog import CatalogError, estimate_rows, read_catalog

EOLS = {"lf": "\n", "crlf": "\r\n", "cr": "\r"}


def _write(path: Path, text: str) -> Path:
    data = text.encode("utf-8")
    if path.name.endswith(".gz"):
        with gzip.open(path, "wb") as fh:
            fh.write(data)
    else:
        path.write_bytes(data)
    return path


def _read(path: Path) -> list[tuple[str | None, str | None, str | None]]:
    return [(r.item.id, r.item.title, r.item.description) if r.error is None else (r.key, r.error.kind, str(r.line))
            for r in read_catalog(path)]


@pytest.mark.parametrize("eol", EOLS)
@pytest.mark.parametrize("name", ["c.csv", "c.tsv", "c.csv.gz"])
def test_a_csv_or_tsv_reads_the_same_whatever_its_line_endings(tmp_path, name, eol):
    sep, e = ("\t" if ".tsv" in name else ","), EOLS[eol]
    text = e.join([sep.join(["id", "title", "description"]),
                   sep.join(["a", "Night Drive", '"two' + e + 'lines"']),  # a quoted field's own line break
                   sep.join(["b", "Rain", "piano"]),
                   sep.join(["c", "short row"]),  # ragged: an error row on its own line
                   sep.join(["d", "Dawn", "strings"])]) + e
    rows = _read(_write(tmp_path / name, text))
    assert rows[0][:2] == ("a", "Night Drive") and rows[0][2].splitlines() == ["two", "lines"]
    assert rows[1] == ("b", "Rain", "piano")
    assert rows[2][1] == "input.ragged_row" and rows[2][2] == "5"  # physical line 5 in every ending
    assert rows[3] == ("d", "Dawn", "strings")
    assert estimate_rows(tmp_path / name) == 5  # the header and 5 lines after it, for the progress bar


@pytest.mark.parametrize("eol", EOLS)
def test_a_jsonl_reads_the_same_whatever_its_line_endings(tmp_path, eol):
    e = EOLS[eol]
    text = e.join([json.dumps({"id": "a", "title": "Night Drive"}), "{broken", json.dumps({"id": "b", "title": "Rain"})]) + e
    rows = _read(_write(tmp_path / "c.jsonl", text))
    assert rows == [("a", "Night Drive", None), ("line:2", "input.invalid_json", "2"), ("b", "Rain", None)]


def test_a_lone_cr_inside_an_lf_file_stays_in_its_field(tmp_path):
    """Only a file with no LF at all is read as CR-ended: elsewhere a CR is data."""
    p = _write(tmp_path / "c.csv", 'id,title\na,"x\ry"\n')
    assert [r.item.title for r in read_catalog(p)] == ["x\ry"]


def test_a_corrupt_gzip_is_still_named_with_its_file(tmp_path):
    p = tmp_path / "c.csv.gz"
    p.write_bytes(b"\x1f\x8b\x08\x00garbage-not-deflate")
    with pytest.raises(CatalogError, match=r"c\.csv\.gz: unreadable after line 0"):
        list(read_catalog(p))
