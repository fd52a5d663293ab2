"""``linernotes.json_lines.json_objects``: the one JSONL reader of gold, exemplar and review inputs."""

from __future__ import annotations

import re

import pytest

from linernotes.json_lines import JSONLineError, json_objects, parse_json


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


@pytest.mark.parametrize(("line", "reason"), [
    ('{"id": 1' + "0" * 5000 + "}", "a number with 5,001 digits (at most 4,300)"),
    ('{"id": "a", "x": [-' + "9" * 4301 + "]}", "a number with 4,301 digits (at most 4,300)"),
    ('{"x": ' + "[" * 100_000 + "]" * 100_000 + "}", "nested too deeply"),
    # json kept the last of a repeated key without a word
    ('{"id": "a", "gold": ["x"], "id": "b"}', "key 'id' appears twice in one object (which value is meant?)"),
    ('{"id": "a", "x": [{"k": 1, "k": 1}]}', "key 'k' appears twice in one object (which value is meant?)"),
])
def test_a_value_the_parser_refuses_names_its_line_instead_of_escaping(tmp_path, line, reason):
    # json raised a bare ValueError ('Exceeds the limit (4300 digits) ... use sys.set_int_max_str_digits()')
    # or RecursionError: with the default error type a caller caught it unnamed, and the catalog
    # reader's caller not at all (the whole run aborted, exit 2, without file or line)
    p = tmp_path / "a.jsonl"
    p.write_text('{"id": 1}\n' + line + "\n")
    with pytest.raises(ValueError, match=r"a\.jsonl:2: not JSON \(" + re.escape(reason) + r"\)"):
        list(json_objects(p))


def test_numbers_up_to_the_limit_still_parse():
    assert parse_json('{"n": ' + "9" * 4300 + ', "m": -1.5e400}') == {"n": int("9" * 4300), "m": float("-inf")}
    with pytest.raises(JSONLineError, match="at column 9"):
        parse_json('{"n": 1,}')


@pytest.mark.parametrize(("line", "reason"), [
    ('{"id": "a", "title": "broken', "Unterminated string starting at column 22"),
    ('{"id": "a\tb"}', "Invalid control character at column 10"),
    ('{"id": 1,}', "Expecting property name enclosed in double quotes at column 10"),
])
def test_a_syntax_error_says_at_column_once(line, reason):
    # json's own message already ends in "at" for some errors: "Unterminated string starting at
    # at column 46" was every catalog's record and the run summary for an unclosed quote
    with pytest.raises(JSONLineError) as e:
        parse_json(line)
    assert str(e.value) == reason
