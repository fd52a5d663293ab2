"""Binary cells (Parquet strings written without the UTF8 annotation, as Spark and Hive write them
unless ``binaryAsString``; a ``datasets`` Binary column) are read as the UTF-8 text they hold. QA
newuser22: the tagger was given Python's ``str()`` of the bytes, a title "b'Night Drive'" and
"b'\\xff\\xfe'", exit 0; a binary id column gave every row 'line:N' and no repeat was found."""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from linernotes.store.catalog import read_catalog


def test_binary_cells_are_their_utf8_text_and_other_bytes_are_named(tmp_path: Path) -> None:
    p = tmp_path / "c.parquet"
    pq.write_table(pa.table({
        "id": pa.array([b"a", b"b", b"a", b"\xff", b"c"], pa.binary()),
        "title": pa.array([b"Night Drive", "Forr\u00f3".encode(), b"dup", b"x", b"\x89PNG\r\n"], pa.binary()),
        "notes": pa.array([b"live", None, None, None, None], pa.binary()),
    }), p)
    rows = list(read_catalog(p))
    assert rows[0].item is not None and (rows[0].item.id, rows[0].item.title) == ("a", "Night Drive")
    assert rows[0].item.extra == {"notes": "live"}
    assert rows[1].item is not None and rows[1].item.title == "Forr\u00f3"
    assert (rows[2].key, rows[2].error.kind) == ("line:3", "input.duplicate_id")  # the id read as text repeats
    assert rows[3].error.message == "field 'id' holds bytes that are not UTF-8 text (byte 0: invalid start byte)"
    assert (rows[4].raw_id, rows[4].error.message) == (
        "c", "field 'title' holds bytes that are not UTF-8 text (byte 0: invalid start byte); leave the column "
             "out with --drop")
