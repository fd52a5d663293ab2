"""A gold row that Arrow cannot store beside the others is named, at build and at export.

Found by QA: a stranger's gold set whose 4th row held ``ratings: ['bad']`` (the others lists of
integers) was built with 'the row is kept in the gold set as it is', annotators labelled, and
then every export failed with "Could not convert 'bad' with type str: tried to convert to int64",
naming neither row nor column. Now build warns naming the row and column while it is cheap to
fix, and export's error names them too."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.conftest import run_liner_in_process
from tests.review.conftest import vader_row

GOOD = [vader_row("a", [-4, 4, -4, 4], "split"), vader_row("b", [3, 3, 3, 3], "fine"),
        vader_row("c", [-4, 4, 0, 0], "odd")]


@pytest.mark.parametrize(("bad", "column", "shown"), [
    ({**vader_row("d", [1, 1], "x"), "ratings": ["bad"]}, "ratings", "['bad']"),
    ({**vader_row("d", [1, 1], "x"), "votes": 2**70}, "votes", str(2**70)),
])
def test_build_warns_and_export_names_the_row(tmp_path: Path, bad: dict, column: str, shown: str) -> None:
    rows = [*GOOD, bad] if column == "ratings" else [{**r, "votes": 1} for r in GOOD] + [bad]
    gold = tmp_path / "gold.jsonl"
    gold.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    store = tmp_path / "s.sqlite"
    built = run_liner_in_process(["review", "build", "-o", store, "--gold", gold])
    assert built.returncode == 0, built.stderr
    where = f"gold row 4 (id 'd'): column {column!r} holds {shown}"
    assert f"{gold}: {where}" in built.stderr and "export cannot write this gold set" in built.stderr, built.stderr
    exported = run_liner_in_process(["review", "export", "--store", store, "-o", tmp_path / "out"])
    assert exported.returncode == 2, exported.stdout
    assert where in exported.stderr and "fix that row" in exported.stderr, exported.stderr


def test_a_writable_gold_set_builds_without_the_warning(tmp_path: Path) -> None:
    gold = tmp_path / "gold.jsonl"
    gold.write_text("".join(json.dumps(r) + "\n" for r in GOOD), encoding="utf-8")
    built = run_liner_in_process(["review", "build", "-o", tmp_path / "s.sqlite", "--gold", gold])
    assert built.returncode == 0 and "export cannot write" not in built.stderr, built.stderr
    exported = run_liner_in_process(["review", "export", "--store", tmp_path / "s.sqlite", "-o", tmp_path / "out"])
    assert exported.returncode == 0, exported.stderr
