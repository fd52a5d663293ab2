"""A CSV row that is not UTF-8 names its field, the first bad byte and the words before it, and
the likely cause (QA newuser22: a Latin-1 export made an error of every row with an accent, each
saying only 'row is not valid UTF-8')."""

from __future__ import annotations

from pathlib import Path

from linernotes.store.catalog import read_catalog


def test_the_bad_field_and_byte_are_named(tmp_path: Path) -> None:
    p = tmp_path / "c.csv"
    p.write_bytes("id,title,description\nc1,Caf\u00e9 del Mar,calm\nc2,ok,\u201csmart\u201d quotes\nc3,fine,fine\n"
                  .encode("cp1252"))
    rows = [(r.key, r.error.kind if r.error else None, r.error.message if r.error else None) for r in read_catalog(p)]
    tail = "the file may be Latin-1 or Windows-1252; save it as UTF-8"
    assert rows == [
        ("line:2", "input.encoding", f"field 'title' is not valid UTF-8 (byte 0xE9 after 'Caf'): {tail}"),
        ("line:3", "input.encoding", f"field 'description' is not valid UTF-8 (byte 0x93 after ''): {tail}"),
        ("c3", None, None),
    ]
