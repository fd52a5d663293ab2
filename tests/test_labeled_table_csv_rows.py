"""A labeled CSV/TSV table (``liner index build --gold``, ``liner review build --gold``, an
exemplar source) with a row that is not a row is refused naming the line, as a gold set's is
(``evals.gold.check_csv``, now ``tables.check_csv_rows`` for every reader of ``load_table``).
QA newuser22: ``liner index build --gold t.csv`` said "datasets could not load it
(DatasetGenerationError: An error occurred while generating the dataset)" for a row with an extra
cell and for a quoted field never closed, and read a repeated header line as an exemplar."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from linernotes.store.tables import load_table
from tests.conftest import run_liner_in_process

HEAD = "id,title,gold_genres\na,Song,techno\n"


@pytest.mark.parametrize(("body", "said"), [
    ("b,Other,house,extra\nc,Third,ambient\n", ":3: row has 4 fields, header has 3"),
    ('b,Other,"house\nc,Third,ambient\n', ":3-4: row of lines 3-4: a quoted field is never closed"),
    ("id,title,gold_genres\nc,Third,ambient\n", ":3: line 3 repeats the header line"),
])
def test_a_row_that_is_not_a_row_is_named_at_its_line(tmp_path: Path, body: str, said: str) -> None:
    p = tmp_path / "t.csv"
    p.write_text(HEAD + body, encoding="utf-8")
    with pytest.raises(ValueError, match="^" + re.escape(f"{p}{said}")):
        load_table(p)
    r = run_liner_in_process(["index", "build", "--gold", p, "-o", tmp_path / "idx"])
    assert r.returncode == 2 and f"{p}{said}" in r.stderr and "DatasetGenerationError" not in r.stderr, r.stderr


def test_a_well_formed_table_loads_as_before(tmp_path: Path) -> None:
    p = tmp_path / "t.tsv"
    p.write_text("id\ttitle\tgold_genres\na\t\"two\nlines\"\ttechno\nb\tOther\thouse\n", encoding="utf-8")
    assert [(r["id"], r["title"]) for r in load_table(p)] == [("a", "two\nlines"), ("b", "Other")]
