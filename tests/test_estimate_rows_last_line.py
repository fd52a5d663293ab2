"""The progress total counts a catalog's last row when the file does not end with a line break
(QA newuser22: a 6-row JSONL without a final newline was estimated at 5 rows, and with a blank
line's error rows the progress line read 'liner: 7/6 done (117%)')."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pytest

from linernotes.store.catalog import estimate_rows, read_catalog

ROWS = [json.dumps({"id": f"r{n}", "title": f"t{n}"}) for n in range(3)]


@pytest.mark.parametrize(("name", "text", "rows"), [
    ("c.jsonl", "\n".join(ROWS), 3),
    ("c.jsonl", "\n".join(ROWS) + "\n", 3),
    ("c.jsonl", "\r\n".join(ROWS), 3),
    ("c.csv", "id,title\nr0,a\nr1,b", 2),
    ("c.csv", "id,title\nr0,a\nr1,b\n", 2),
    ("c.jsonl.gz", "\n".join(ROWS), 3),
])
def test_the_estimate_counts_a_last_row_without_its_line_break(tmp_path: Path, name: str, text: str, rows: int) -> None:
    p = tmp_path / name
    data = text.encode("utf-8")
    p.write_bytes(gzip.compress(data) if name.endswith(".gz") else data)
    assert sum(1 for _ in read_catalog(p)) == rows  # what the run will count as done
    assert estimate_rows(p) == rows


def test_a_utf16_file_without_a_final_line_break_is_counted_whole(tmp_path: Path) -> None:
    p = tmp_path / "c.jsonl"
    p.write_bytes("\n".join(ROWS).encode("utf-16"))
    assert estimate_rows(p) == 3
