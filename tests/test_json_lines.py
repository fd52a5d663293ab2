"""``linernotes.json_lines.json_objects``: the one JSONL reader of gold, exemplar and review inputs."""

from __future__ import annotations

import pytest

from linernotes.json_lines import json_objects


def test_objects_come_with_their_file_line_and_blank_lines_are_skipped(tmp_path):
    p = tmp_path / "a.jsonl"
    p.write_text('{"id": 1}\n\n  \n{"id": "é"}\r\n')
    assert list(json_objects(p)) == [(1, {"id": 1}), (4, {"id": "é"})]


@pytest.mark.parametrize(("data", "message"), [
    (b'{"id": 1}\n{"id": 2,}\n', r"a\.jsonl:2: not JSON \(Expecting property name enclosed in double quotes at column 10\)"),
    (b'{"id": 1}\n\n[1]\n', r"a\.jsonl:3: not a JSON object \(a list\)"),
    (b'"text"\n', r"a\.jsonl:1: not a JSON object \(a str\)"),
    (b'{"id": 1}\n{"t": "caf\xe9"}\n', r"a\.jsonl:2: not UTF-8 text \(byte 10: invalid continuation byte\)"),
])
def test_the_first_bad_line_is_named_with_the_callers_error_type(tmp_path, data, message):
    class Refused(Exception):
        pass

    p = tmp_path / "a.jsonl"
    p.write_bytes(data)
    with pytest.raises(ValueError, match=message):
        list(json_objects(p))
    with pytest.raises(Refused, match=message):
        list(json_objects(p, error=Refused))


def test_rows_stream_before_a_later_bad_line(tmp_path):
    p = tmp_path / "a.jsonl"
    p.write_text('{"id": 1}\nnope\n')
    rows = json_objects(p)
    assert next(rows) == (1, {"id": 1})
    with pytest.raises(ValueError, match="a.jsonl:2: not JSON"):
        next(rows)
