"""Bounded reads (issue 12, item 12): an over-long JSONL line, CSV line or gzip-inflated line is
skipped without being held in memory and becomes one error row naming its line; the rows around
it are read."""

from __future__ import annotations

import gzip
import json
import subprocess
import sys
import zlib
from pathlib import Path

import pytest

from linernotes.store.catalog import MAX_LINE_BYTES, CatalogError, read_catalog

OK = json.dumps({"id": "before", "title": "fine"}) + "\n"
AFTER = json.dumps({"id": "after", "title": "fine"}) + "\n"


def _summary(rows) -> list:
    return [(r.line, r.error.kind if r.error else r.item.id) for r in rows]


def test_jsonl_line_over_the_limit_is_an_error_row(tmp_path: Path) -> None:
    p = tmp_path / "c.jsonl"
    p.write_text(OK + json.dumps({"id": "huge", "lyrics": "la " * 400}) + "\n" + AFTER)
    rows = list(read_catalog(p, max_line_bytes=1000))
    assert _summary(rows) == [(1, "before"), (2, "input.line_too_long"), (3, "after")]
    assert "line 2" in rows[1].error.message and "1,000 bytes" in rows[1].error.message
    assert rows[1].error.source == str(p)


def test_a_line_of_exactly_the_limit_is_read(tmp_path: Path) -> None:
    line = json.dumps({"id": "edge", "title": "x"})
    p = tmp_path / "c.jsonl"
    p.write_text(line + "\n" + line.replace("edge", "last"))  # last line without a newline
    assert _summary(read_catalog(p, max_line_bytes=len(line))) == [(1, "edge"), (2, "last")]
    assert _summary(read_catalog(p, max_line_bytes=len(line) - 1)) == [(1, "input.line_too_long"),
                                                                      (2, "input.line_too_long")]


def test_csv_line_over_the_limit_and_a_quoted_multiline_row(tmp_path: Path) -> None:
    p = tmp_path / "c.csv"
    p.write_text('id,title\na,one\nb,' + "x" * 5000 + '\nc,"two\n' + "y" * 5000 + '\nlines"\nd,four\n')
    rows = list(read_catalog(p, max_line_bytes=1000))
    assert _summary(rows) == [(2, "a"), (3, "input.line_too_long"), (4, "input.line_too_long"), (7, "d")]  # the row of lines 4-6
    assert "line 5" in rows[2].error.message, "names the physical line that was too long"


def test_csv_header_over_the_limit_is_a_file_error(tmp_path: Path) -> None:
    p = tmp_path / "c.csv"
    p.write_text("id," + "t" * 3000 + "\na,b\n")
    with pytest.raises(CatalogError, match="header line is longer"):
        list(read_catalog(p, max_line_bytes=1000))


def test_gzip_line_over_the_limit(tmp_path: Path) -> None:
    p = tmp_path / "c.jsonl.gz"
    with gzip.open(p, "wt") as fh:
        fh.write(OK + '{"id": "bomb", "x": "' + "0" * 50_000 + '"}\n' + AFTER)
    assert _summary(read_catalog(p, max_line_bytes=4096)) == [(1, "before"), (2, "input.line_too_long"),
                                                              (3, "after")]


def test_the_limit_comes_from_the_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    p = tmp_path / "c.jsonl"
    p.write_text(OK + AFTER)
    monkeypatch.setenv("LINER_MAX_LINE_BYTES", "10")
    assert [r.error.kind for r in read_catalog(p)] == ["input.line_too_long"] * 2
    monkeypatch.setenv("LINER_MAX_LINE_BYTES", "lots")
    with pytest.raises(CatalogError, match="LINER_MAX_LINE_BYTES"):
        read_catalog(p)


_PEAK = """
import resource, sys
from linernotes.store.catalog import read_catalog
rows = [(r.line, r.error.kind if r.error else r.item.id) for r in read_catalog(sys.argv[1])]
print(rows)
print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024)
"""


def _peak_mib(path: Path) -> tuple[str, int]:
    res = subprocess.run([sys.executable, "-c", _PEAK, str(path)], capture_output=True, text=True, timeout=600)
    assert res.returncode == 0, res.stderr
    rows, peak = res.stdout.strip().splitlines()
    return rows, int(peak)


def _growth_mib(path: Path) -> tuple[str, int]:
    """Peak RSS reading ``path`` minus the peak of the same reader on a two-line file: what the
    big line cost (imports differ between machines; the line must not)."""
    small = path.with_name("small.jsonl")
    small.write_text(OK + AFTER)
    rows, peak = _peak_mib(path)
    return rows, peak - _peak_mib(small)[1]


# bounded: a few line-limit-sized buffers (bytes read, the gzip reader's buffer); unbounded was
# 1.03 GB for the 200 MB line and 4.45 GB for the gzip bomb
GROWTH_LIMIT_MIB = 6 * MAX_LINE_BYTES // 2**20


@pytest.mark.slow
def test_a_200_mb_line_with_the_default_limit_stays_bounded(tmp_path: Path) -> None:
    """The reported input: one 200 MB JSONL line peaked at 1.03 GB RSS."""
    p = tmp_path / "c.jsonl"
    with open(p, "w") as fh:
        fh.write(OK + '{"id": "huge", "lyrics": "')
        for _ in range(200):
            fh.write("la " * 349_526)  # ~1 MiB
        fh.write('"}\n' + AFTER)
    rows, growth = _growth_mib(p)
    assert rows == "[(1, 'before'), (2, 'input.line_too_long'), (3, 'after')]"
    assert growth < GROWTH_LIMIT_MIB, f"peak RSS grew by {growth} MiB"


@pytest.mark.slow
def test_a_gzip_bomb_expanding_to_1_gib_stays_bounded(tmp_path: Path) -> None:
    """The reported input: a ~1 MB gzip inflating to a 1 GiB line peaked at 4.45 GB RSS."""
    p = tmp_path / "bomb.jsonl.gz"
    z = zlib.compressobj(9, zlib.DEFLATED, 31)  # 31: a gzip header
    chunk = b"A" * (1 << 20)
    with open(p, "wb") as fh:
        fh.write(z.compress(OK.encode() + b'{"id": "bomb", "x": "'))
        for _ in range(1024):
            fh.write(z.compress(chunk))
        fh.write(z.compress(b'"}\n' + AFTER.encode()) + z.flush())
    assert p.stat().st_size < 2 * 2**20
    rows, growth = _growth_mib(p)
    assert rows == "[(1, 'before'), (2, 'input.line_too_long'), (3, 'after')]"
    assert growth < GROWTH_LIMIT_MIB, f"peak RSS grew by {growth} MiB"
