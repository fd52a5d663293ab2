"""A CSV row whose quoted field holds line breaks is named by the line it starts on, and by its span
where a place is shown (``file:12-14``). QA session 22: such a row was named by its LAST line
('g.csv:14: row has 5 fields'), its error record keyed ``line:14`` and its item read as line 14,
while the row began on line 12, where a person would open the file."""

from __future__ import annotations

import asyncio
import re
from pathlib import Path

import pytest

from linernotes.config import TagConfig
from linernotes.run.plan import dry_run
from linernotes.run.prepare import RunOptions
from linernotes.store.catalog import read_catalog
from linernotes.store.tables import check_csv_rows

HEAD = "id,title,description\na,One,fine\n"


def _rows(p: Path) -> list[tuple[int, int | None, str, str | None]]:
    return [(r.line, r.end_line, r.key, r.error.kind if r.error else None) for r in read_catalog(p)]


def test_a_good_row_spanning_lines_is_read_at_its_first_line(tmp_path: Path) -> None:
    p = tmp_path / "c.csv"
    p.write_text(HEAD + 'b,Two,"three\nline\ntext"\nc,Three,fine\n', encoding="utf-8")
    assert _rows(p) == [(2, None, "a", None), (3, 5, "b", None), (6, None, "c", None)]


@pytest.mark.parametrize(("body", "kind", "lines"), [
    ('b,Two,"open\nc,Three,x\nd,Four,y\n', "input.invalid_csv", "3-5"),  # open to the end of the file
    ('b,"Two\nstill",x,extra\nc,Three,fine\n', "input.ragged_row", "3-4"),  # closed, one cell too many
])
def test_a_bad_row_spanning_lines_is_named_by_its_first_line_and_span(tmp_path: Path, body: str, kind: str,
                                                                      lines: str) -> None:
    p = tmp_path / "c.csv"
    p.write_text(HEAD + body, encoding="utf-8")
    first, last = map(int, lines.split("-"))
    bad = [r for r in _rows(p) if r[3] is not None]
    assert bad == [(first, last, f"line:{first}", kind)]
    with pytest.raises(ValueError, match="^" + re.escape(f"{p}:{lines}: row of lines {lines}")):
        check_csv_rows(p)


def test_a_duplicate_id_on_a_row_spanning_lines_names_both_first_lines(tmp_path: Path) -> None:
    p = tmp_path / "c.csv"
    p.write_text(HEAD + 'a,"Again\nand again",x\n', encoding="utf-8")
    rows = list(read_catalog(p))
    assert (rows[1].line, rows[1].end_line, rows[1].key) == (3, 4, "line:3")
    assert "line 3 repeats line 2" in rows[1].error.message


def test_the_dry_run_names_the_row_by_its_span(tmp_path: Path) -> None:
    p = tmp_path / "c.csv"
    p.write_text(HEAD + 'b,"Two\nlines",x,extra\n', encoding="utf-8")
    report = asyncio.run(dry_run(TagConfig(llm_mode="never"), RunOptions(input=p, output=tmp_path / "o.jsonl")))
    (example,) = report.bad_row_examples
    assert example.line == 3 and example.where == f"{p}:3-4 id 'line:3'"
