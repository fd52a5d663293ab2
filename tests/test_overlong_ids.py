"""A row whose id is longer than ``Item``'s 512 characters is an error record keyed ``line:N``,
like any other id ``Item`` refuses (QA newuser22: a 5,000-character id was refused as 'String
should have at most 512 characters' and yet the row's error record was written under it, an id
the record schema does not hold)."""

from __future__ import annotations

import json
from pathlib import Path

from linernotes.store.catalog import read_catalog, usable_id


def test_an_overlong_id_keys_its_error_record_by_line(tmp_path: Path) -> None:
    longest, over = "x" * 512, "y" * 513
    p = tmp_path / "c.jsonl"
    p.write_text("".join(json.dumps({"id": i, "title": "t"}) + "\n" for i in (longest, over, over, 10 ** 600)))
    rows = list(read_catalog(p))
    assert rows[0].key == longest and rows[0].error is None
    for row, line in zip(rows[1:], (2, 3, 4), strict=True):
        assert (row.key, row.error.kind, row.error.line) == (f"line:{line}", "input.invalid", line), row
        assert "at most 512 characters" in row.error.message, row.error.message
    assert usable_id(over) is None and usable_id(longest) == longest
