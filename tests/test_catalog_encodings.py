"""Catalog files in the Unicode encodings other than UTF-8, and files whose lines end in a mix of
LF, CRLF and bare CR. A UTF-16 JSONL (Excel's "Unicode Text", PowerShell's Out-File) was an error
per line ('not valid UTF-8 (byte 0: invalid start byte)', 'Expecting value at column 1') and a
UTF-16 CSV was refused as 'the header line is not valid UTF-8'; a bare CR inside an LF file
joined two rows into one error record, the second row's id lost."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pytest

from linernotes.store.catalog import read_catalog

ROWS = [{"id": "a1", "title": "Forró da Noite", "description": "accordion 🎵 שלום"},
        {"id": "a2", "title": "Ünïcödé", "description": "cafe\u0301"}]
ENCODINGS = ["utf-16", "utf-16-le", "utf-16-be", "utf-32", "utf-16-le-bom", "utf-16-be-bom"]


def _encode(text: str, encoding: str) -> bytes:
    if encoding.endswith("-bom"):
        return ("\ufeff" + text).encode(encoding.removesuffix("-bom"))
    return text.encode(encoding)  # "utf-16"/"utf-32" write a BOM, "-le"/"-be" none


def _write(path: Path, data: bytes) -> Path:
    path.write_bytes(gzip.compress(data) if path.name.endswith(".gz") else data)
    return path


def _items(path: Path) -> list[tuple[str, str | None, str | None]]:
    return [(r.item.id, r.item.title, r.item.description) if r.error is None else (r.key, r.error.kind, r.error.message)
            for r in read_catalog(path)]


EXPECTED = [(r["id"], r["title"], r["description"]) for r in ROWS]


@pytest.mark.parametrize("encoding", ENCODINGS)
@pytest.mark.parametrize("name", ["c.jsonl", "c.jsonl.gz"])
def test_a_utf16_or_utf32_jsonl_reads_like_its_utf8_copy(tmp_path, name, encoding):
    text = "".join(json.dumps(r, ensure_ascii=False) + "\r\n" for r in ROWS)
    assert _items(_write(tmp_path / name, _encode(text, encoding))) == EXPECTED


@pytest.mark.parametrize("encoding", ENCODINGS)
@pytest.mark.parametrize("name,sep", [("c.csv", ","), ("c.tsv", "\t"), ("c.tsv.gz", "\t")])
def test_a_utf16_or_utf32_csv_reads_like_its_utf8_copy(tmp_path, name, sep, encoding):
    lines = [sep.join(["id", "title", "description"])] + [sep.join([r["id"], r["title"], r["description"]]) for r in ROWS]
    assert _items(_write(tmp_path / name, _encode("\n".join(lines) + "\n", encoding))) == EXPECTED


def test_a_bad_code_unit_in_a_utf16_file_fails_its_own_row_only(tmp_path):
    rows = [json.dumps(r, ensure_ascii=False) for r in ROWS]
    data = b"".join([codec_line.encode("utf-16-le") for codec_line in ("\ufeff" + rows[0] + "\n",)])
    data += '{"id": "bad", "title": "x'.encode("utf-16-le") + b"\x00\xd8" + '"}\n'.encode("utf-16-le")  # a lone surrogate
    data += (rows[1] + "\n").encode("utf-16-le")
    got = _items(_write(tmp_path / "c.jsonl", data))
    assert [g[0] for g in got] == ["a1", "line:2", "a2"]
    assert got[1][1] == "input.encoding"
    assert got[0] == EXPECTED[0] and got[2] == EXPECTED[1]


@pytest.mark.parametrize("name", ["c.jsonl", "c.csv", "c.jsonl.gz"])
@pytest.mark.parametrize("eols", [("\n", "\r", "\r\n"), ("\r\n", "\r", "\n"), ("\r", "\n", "\r")])
def test_mixed_line_endings_give_one_row_per_line(tmp_path, name, eols):
    rows = [{"id": f"m{i}", "title": f"t{i}", "description": f"d{i}"} for i in range(4)]
    if name.startswith("c.csv"):
        lines = ["id,title,description"] + [f"{r['id']},{r['title']},{r['description']}" for r in rows]
    else:
        lines = [json.dumps(r) for r in rows]
    text = "".join(line + eols[i % len(eols)] for i, line in enumerate(lines))
    got = _items(_write(tmp_path / name, text.encode("utf-8")))
    assert got == [(r["id"], r["title"], r["description"]) for r in rows]


def test_a_line_number_after_a_bare_cr_counts_it_as_a_line_break(tmp_path):
    # lines 1-2 end in a bare CR and LF, line 3 is bad: it is named line 3, as an editor shows it
    p = _write(tmp_path / "c.jsonl", b'{"id": "a"}\r{"id": "b"}\n{"id": \n{"id": "c"}\n')
    got = list(read_catalog(p))
    assert [(r.key, r.line) for r in got] == [("a", 1), ("b", 2), ("line:3", 3), ("c", 4)]
