"""``liner tag --runner beam`` summary names why rows failed, as the local runner's does (QA,
session 13): it printed 'input.invalid (2)' with no message (Beam's counters carry counts only),
so a user had to open OUT.dead-letter.jsonl to learn what was wrong with the rows."""

from __future__ import annotations

import json
from pathlib import Path


def test_the_beam_summary_shows_each_error_kinds_first_message(tmp_path: Path, liner_in_process) -> None:
    catalog = tmp_path / "c.jsonl"
    rows = [{"id": "a", "title": "Night Drive", "description": "calm piano"},
            {"id": "b", "title": "Bad year", "year": "nineteen"},
            {"title": "no id here"},
            {"id": "c", "title": "Rain", "year": "someday"}]
    catalog.write_text("".join(json.dumps(r) + "\n" for r in rows))
    r = liner_in_process(["tag", "c.jsonl", "-o", "out.jsonl", "--runner", "beam", "--llm", "never",
                          "--no-progress", "--pipeline-option", "--direct_num_workers=1"], cwd=tmp_path)
    assert r.returncode == 1, r.stderr[-2000:]
    said = " ".join(r.stderr.split())
    # each item by catalog, line and id, as the local runner's summary names them
    assert ("input.invalid (2): c.jsonl:2 id 'b': year: year 'nineteen' is not a number; also c.jsonl:4 id 'c'"
            in said), said[-1500:]
    assert "input.missing_id (1): c.jsonl:3 id 'line:3': missing required field 'id'" in said, said[-1500:]


def test_first_errors_reads_until_every_kind_has_its_places(tmp_path: Path) -> None:
    from linernotes.beam.pipeline import first_errors

    dead = tmp_path / "dead.jsonl"
    recs = [{"id": "x", "status": "error", "error": {"kind": "k1", "message": "first k1", "line": 1, "source": "c"}},
            {"id": "y", "status": "error", "error": {"kind": "k1", "message": "second k1", "line": 2, "source": "c"}},
            "not json",
            {"id": "z", "status": "error", "error": {"kind": "k2", "message": "first k2"}}]
    dead.write_text("".join((x if isinstance(x, str) else json.dumps(x)) + "\n" for x in recs))
    assert first_errors(dead, {"k1": 2, "k2": 1}) == ({"k1": "first k1", "k2": "first k2"},
                                                      {"k1": ["c:1 id 'x'", "c:2 id 'y'"], "k2": ["id 'z'"]})
    assert first_errors(dead, {"k1": 2}, most_lines=1) == ({"k1": "first k1"}, {"k1": ["c:1 id 'x'"]})
    assert first_errors(tmp_path / "missing.jsonl", {"k1": 1}) == ({}, {})
    assert first_errors(dead, {}) == ({}, {})
