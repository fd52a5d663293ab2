"""An id of the form ``line:N`` is refused (QA, session 13): an output keys a row without a
usable id as ``line:N``, so a catalog row with the id 'line:3' and the bad line 3 shared one key;
the rerun compacted one of their records away and reported '3 skipped, 0 failed', exit 0, with
2 records for 3 rows."""

from __future__ import annotations

import json

import pytest

from linernotes.schema import Item, is_line_key
from linernotes.store.catalog import usable_id


@pytest.mark.parametrize("text,reserved", [("line:3", True), ("line:0042", True), ("line:", False),
                                           ("line:3a", False), ("Line:3", False), ("line:٣", False),
                                           ("pipeline:3", False)])
def test_which_ids_are_line_keys(text, reserved):
    assert is_line_key(text) is reserved
    assert (usable_id(text) is None) is reserved
    if reserved:
        with pytest.raises(ValueError, match="is reserved"):
            Item(id=text)
    else:
        assert Item(id=text).id == text


def test_a_row_with_a_line_key_id_gets_its_own_record(tmp_path, liner_in_process):
    catalog, out = tmp_path / "c.jsonl", tmp_path / "out.jsonl"
    catalog.write_text(json.dumps({"id": "line:3", "title": "A"}) + "\n" + json.dumps({"id": "b", "title": "B"})
                       + "\ngarbage\n")
    for _ in range(2):  # the first run and a rerun alike
        r = liner_in_process(["tag", catalog, "-o", out, "--llm", "never", "--no-progress"])
        assert r.returncode == 1, r.stderr
        recs = [json.loads(x) for x in out.read_text().splitlines()]
        assert sorted((x["id"], x["status"]) for x in recs) == [("b", "ok"), ("line:1", "error"), ("line:3", "error")]
    assert "id 'line:3' is reserved" in " ".join(r.stderr.split())
