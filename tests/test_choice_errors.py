"""A value outside a fixed set of choices is named in the error beside the allowed ones: pydantic's
own message ("type: Input should be 'track', 'episode' or 'chapter'") listed what is allowed but
not what the row said, so a user with 5,000 rows had to find the offending value by hand (the signal
spec cases are in tests/signals/test_spec_edges.py)."""

from __future__ import annotations

import json
from pathlib import Path

from linernotes.store.catalog import read_catalog


def test_a_catalog_row_with_an_unknown_type_names_the_type_it_gave(tmp_path: Path) -> None:
    p = tmp_path / "cat.jsonl"
    p.write_text("\n".join(json.dumps(r) for r in [
        {"id": "a", "type": "track"},
        {"id": "b", "type": "video"},
        {"id": "c", "type": "x" * 500},  # a cell may hold anything: the echo is cut
        {"id": "d", "year": "nineteen"},
    ]) + "\n")
    errs = {r.line: r.error for r in read_catalog(p) if r.error}
    assert errs[2].kind == "input.invalid"
    assert errs[2].message == "type: Input should be 'track', 'episode' or 'chapter', not 'video'"
    assert errs[3].message.endswith(", not '" + "x" * 56 + "...")
    # a validator's own reason, without pydantic's "Value error, " before it
    assert errs[4].message == "year: year 'nineteen' is not a number"
