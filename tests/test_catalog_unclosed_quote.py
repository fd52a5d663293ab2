"""A CSV quoted field that is never closed is an error naming where it opened, never a row that
swallowed the rest of the file. QA newuser22: a stray '"' in the last column of line 3 read every
line after it into that field; the row had the header's width, so it was tagged and the rows
after it were lost without a word (exit 0); past csv's 16 MiB field limit the error said only
'field larger than field limit (16777216)' at line 331,147, not where the row began nor why."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from linernotes.evals.spec import SpecError
from linernotes.store.catalog import read_catalog
from tests.gold_csv import load_policy_csv


def _read(p: Path) -> list[tuple[str, str | None, str | None]]:
    return [(r.key, r.error.kind if r.error else None, r.error.message if r.error else None) for r in read_catalog(p)]


def test_a_quote_open_at_the_end_of_the_file_is_named(tmp_path: Path) -> None:
    p = tmp_path / "c.csv"
    p.write_text('id,title,description\na,ok,fine\nb,bad,"a stray quote\nc,ok,fine\nd,ok,fine\n', encoding="utf-8")
    assert _read(p) == [("a", None, None), ("line:3", "input.invalid_csv",
                        "row of lines 3-5: a quoted field is never closed: likely an unclosed '\"' on line 3 (every "
                        "line after it, to the end of the file, was read into that field)")]


@pytest.mark.parametrize("text", [
    'id,title,description\na,ok,fine\nb,bad,"two\nlines"\n',  # a closed multi-line field at the end
    'id,title,description\na,ok,fine\nb,bad,"two\nlines"',  # ... without a final line break
    'id,title,description\na,ok,fine\nb,12" vinyl,fine',  # a quote inside an unquoted field is text
    'id,title,description\na,ok,fine\nb,bad,"open\n',  # open on the last line: it took no other line
])
def test_closed_fields_at_the_end_of_the_file_are_read(tmp_path: Path, text: str) -> None:
    p = tmp_path / "c.csv"
    p.write_text(text, encoding="utf-8")
    assert [(k, kind) for k, kind, _ in _read(p)] == [("a", None), ("b", None)]


def test_a_field_over_the_field_limit_names_the_line_its_row_began_on(tmp_path: Path) -> None:
    p = tmp_path / "c.csv"
    with open(p, "w", encoding="utf-8") as f:
        f.write('id,title,description\na,ok,fine\nb,bad,"a stray quote\n')
        for i in range(260_000):  # ~18 MiB: past csv's field limit (the 16 MiB line limit)
            f.write(f"more text line {i:06d} and more words after it, to fill the line up\n")
    rows = _read(p)
    assert rows[0] == ("a", None, None)
    key, kind, message = rows[1]
    assert kind == "input.invalid_csv" and re.fullmatch(
        r"row of lines 3-260003: field larger than field limit \(\d+\): a quoted field runs across lines, likely an "
        r"unclosed '\"' on line 3; it is never closed: every line after it, to the end of the file, was read into "
        r"that field", message), message
    assert len(rows) == 2, "the lines after it, inside the field, are no rows"


def test_a_gold_csv_with_a_quote_open_at_its_end_is_refused(tmp_path: Path) -> None:
    data = tmp_path / "g.csv"
    with pytest.raises(SpecError, match=re.escape(f"{data}:3-4: row of lines 3-4: a quoted field is never closed")):
        load_policy_csv(tmp_path, 'id,text,label\np0,a,none\np1,b,"insult\np2,c,none\n')
