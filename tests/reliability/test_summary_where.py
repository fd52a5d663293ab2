"""`liner tag`'s end-of-run lines about failed items and items tagged without their audio name
each item by catalog, input line and id, through the real CLI: a line that is not JSON, a row
with a bad value, two items whose LLM calls fail (the FaultServer test double answers 500) and
one whose audio file is missing. Before: 'input.invalid (1): year: year 'soon' is not a number',
'llm.server_error (2): ...' and no line at all for the audio, none of them saying where."""

from __future__ import annotations

import json
from pathlib import Path

from linernotes.testing.fault_server import FaultServer


def test_the_summary_names_each_failed_item_by_file_line_and_id(tmp_path: Path, liner_in_process, helpers) -> None:
    ok = {"type": "track", "description": "calm ambient piano"}
    lines = [json.dumps({"id": "good", "title": "Fine", **ok}),
             '{"id": "broken", "title": ',
             json.dumps({"id": "bad-year", "title": "Soon", "year": "soon", **ok}),
             json.dumps({"id": "f1", "title": "FAULT:500 one", **ok}),
             json.dumps({"id": "f2", "title": "FAULT:500 two", **ok}),
             json.dumps({"id": "mute", "title": "No file", "audio_path": "missing.flac", **ok})]
    (tmp_path / "cat.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    with FaultServer() as srv:
        r = liner_in_process(["tag", "cat.jsonl", "-o", "out.jsonl", *helpers.stub_args(srv, "--retries", "0")],
                             env=helpers.env(tmp_path / "cache"), cwd=tmp_path)
    assert r.returncode == 1, r.stderr[-2000:]
    said = " ".join(r.stderr.split())  # the console wraps long lines
    assert "input.invalid_json (1): cat.jsonl:2 id 'line:2': invalid JSON" in said, said[-1500:]
    assert "input.invalid (1): cat.jsonl:3 id 'bad-year': year: year 'soon' is not a number" in said, said[-1500:]
    failed = said[said.index("llm.server_error (2): "):]
    # both items, the first one met with its message, in whichever order the calls came back
    assert {failed.split(": ")[1], failed.split("; also ")[1][:19]} == {"cat.jsonl:4 id 'f1'", "cat.jsonl:5 id 'f2'"}
    assert "tagged without audio: audio.missing (1): cat.jsonl:6 id 'mute': " in said, said[-1500:]
