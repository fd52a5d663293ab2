"""The run store's resume parts on their own (issue 12, item 7), on real files: which keys are
done, and compaction to exactly the last record per key, atomically."""

from __future__ import annotations

import json
import os
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from linernotes.store.records import compact, record_key, scan_state


def _line(rid: str, status: str, kind: str = "llm.server_error", line: int | None = None) -> str:
    rec = {"id": rid, "status": status, "enrichment": None,
           "error": None if status == "ok" else {"kind": kind, "message": "m", "line": line}}
    return json.dumps(rec) + "\n"


def test_done_keys_are_the_ok_ones_and_the_last_line_counts(tmp_path: Path) -> None:
    out = tmp_path / "o.jsonl"
    out.write_text(_line("a", "ok") + _line("b", "error") + _line("c", "error") + _line("c", "ok")
                   + _line("r9", "error", "input.invalid", 9) + '{"id": "cut')
    state = scan_state(out)
    assert state.done == {"a", "c"}, "b failed: retried; c's error was replaced by an ok line"
    assert state.lines == 5 and state.superseded == 1
    assert "line:9" in state.last_status, "input errors are keyed by their line"
    assert not out.read_text().endswith('"cut'), "the cut line was repaired"


def test_compact_keeps_the_last_line_per_key_and_drops_stale_input_errors(tmp_path: Path) -> None:
    out = tmp_path / "o.jsonl"
    out.write_text(_line("a", "ok") + _line("b", "error") + _line("r3", "error", "input.invalid", 3)
                   + _line("line:5", "error", "input.missing_id", 5) + _line("b", "ok") + _line("r3", "ok")
                   + _line("r5", "ok"))
    inode = os.stat(out).st_ino
    removed = compact(out, {"line:3", "line:5"})
    assert removed == 3
    recs = [json.loads(x) for x in out.read_text().splitlines()]
    assert [(r["id"], r["status"]) for r in recs] == [("a", "ok"), ("b", "ok"), ("r3", "ok"), ("r5", "ok")]
    assert os.stat(out).st_ino != inode, "replaced by rename, never rewritten in place"
    assert not (tmp_path / "o.jsonl.compact.tmp").exists()
    inode = os.stat(out).st_ino
    assert compact(out) == 0 and os.stat(out).st_ino == inode, "nothing to do: untouched"


def test_compact_after_a_kill_during_compaction(tmp_path: Path) -> None:
    """A kill mid-compaction leaves the old output and a partial temporary file: the next
    compaction ignores the leftover and produces the right file."""
    out = tmp_path / "o.jsonl"
    out.write_text(_line("a", "error") + _line("a", "ok"))
    (tmp_path / "o.jsonl.compact.tmp").write_text('{"id": "garbage", "sta')
    assert compact(out) == 1
    assert [json.loads(x)["status"] for x in out.read_text().splitlines()] == ["ok"]


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.sampled_from("abcdef"), st.booleans()), min_size=1, max_size=30))
def test_compact_is_last_record_per_key(tmp_path_factory, seq) -> None:
    d = tmp_path_factory.mktemp("compact")
    out = d / "o.jsonl"
    out.write_text("".join(_line(k, "ok" if ok else "error") for k, ok in seq))
    compact(out)
    recs = [json.loads(x) for x in out.read_text().splitlines()]
    keys = [record_key(r) for r in recs]
    assert len(keys) == len(set(keys)) == len({k for k, _ in seq})
    last = {k: ("ok" if ok else "error") for k, ok in seq}
    assert {record_key(r): r["status"] for r in recs} == last
    order = sorted(last, key=lambda k: max(i for i, (kk, _) in enumerate(seq) if kk == k))
    assert keys == order, "kept lines stay in the order they were written"
