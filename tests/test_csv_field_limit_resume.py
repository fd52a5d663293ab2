"""A CSV quoted field past csv's field limit (16 MiB, or a lower one another library set) is one
error naming the lines it spans, and reading goes on after the '"' that closes it, as CSV reads it.
QA session 22: csv refused the field mid-line and began its next row at the next line, inside the
field: the field's text was read as rows (those of the header's width tagged as items, others
'row has 1 fields' errors), and the field's closing quote opened a new field that swallowed the
real rows after it. The limit is lowered here (``csv.field_size_limit``, restored after) so the
files stay small; the reader takes the limit as it finds it, and the line limit is set under it."""

from __future__ import annotations

import csv
from collections.abc import Iterator
from pathlib import Path

import pytest

from linernotes.store.catalog import read_catalog

HEAD = "id,title,description\na,ok,fine\n"
# 20 lines that look like rows of the header's width, ~30 characters each: 600 > the 200 limit
INSIDE = "".join(f"{i},fake title {i},fake text {i:04d}\n" for i in range(20))


@pytest.fixture
def small_limit() -> Iterator[None]:
    before = csv.field_size_limit()
    csv.field_size_limit(200)
    yield
    csv.field_size_limit(before)


def _rows(tmp_path: Path, text: str) -> list[tuple[str, int | None, str | None]]:
    p = tmp_path / "c.csv"
    p.write_text(text, encoding="utf-8")
    return [(r.key, r.end_line, r.error.message if r.error else None) for r in read_catalog(p, max_line_bytes=100)]


@pytest.mark.parametrize("closing", ['end of it",\n', 'end of it" \n', 'end",x,"another\nfield"\n'])
def test_the_rows_after_a_field_over_the_limit_are_read_and_none_from_inside_it(tmp_path: Path, small_limit,
                                                                                  closing: str) -> None:
    rows = _rows(tmp_path, HEAD + 'b,long,"start\n' + INSIDE + closing + 'c,ok,after\nd,"q, x",y\n')
    end = 24 + closing.count("\n") - 1
    assert [(k, e) for k, e, _ in rows] == [("a", None), ("line:3", end), ("c", None), ("d", None)]
    assert rows[1][2] == (f"row of lines 3-{end}: field larger than field limit (200): a quoted field runs across "
                          "lines, likely an unclosed '\"' on line 3; lines 3-" + str(end) + " were read as that field, "
                          f"to the '\"' that closes it on line {end}, and are not rows (the rows after it are read)")


def test_a_field_over_the_limit_never_closed_is_one_error_to_the_end(tmp_path: Path, small_limit) -> None:
    rows = _rows(tmp_path, HEAD + 'b,long,"start\n' + INSIDE)
    assert [(k, e) for k, e, _ in rows] == [("a", None), ("line:3", 23)]
    assert rows[1][2].endswith("it is never closed: every line after it, to the end of the file, was read into that "
                               "field")


def test_a_field_over_the_limit_twice_over_is_read_past(tmp_path: Path, small_limit) -> None:
    rows = _rows(tmp_path, HEAD + 'b,long,"start\n' + INSIDE * 3 + 'end"\nc,ok,after\n')
    assert [(k, e) for k, e, _ in rows] == [("a", None), ("line:3", 64), ("c", None)]
