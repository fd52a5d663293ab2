"""Interval gold values review cannot do arithmetic on (found by QA): ratings of 1e308 stopped
``liner review build`` with an OverflowError traceback (their squares overflowed in the spread);
a rating 'nan' or 'inf' was read as a number and made the spread and consensus NaN. Now 1e308 is
queued like any rating (the spread falls back to exact arithmetic) and a non-finite value makes
its row one review keeps as it is, unreviewed, named with its column; rows of any finite scale
(1..5 read with VADER's layout included) are reviewed as before."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.conftest import run_liner_in_process
from tests.review.conftest import vader_row

SPLIT = vader_row("ok", [-4, 4, -4, 4], "split")


def _build(tmp_path: Path, *rows: dict):
    gold = tmp_path / "gold.jsonl"
    gold.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return gold, run_liner_in_process(["review", "build", "-o", tmp_path / "s.sqlite", "--gold", gold])


def test_huge_ratings_are_queued_not_a_traceback(tmp_path: Path) -> None:
    _, r = _build(tmp_path, SPLIT, {**vader_row("big", [1, 1, 1]), "ratings": [1e308, -1e308, 1e308]})
    assert r.returncode == 0 and "Traceback" not in r.stderr, r.stderr
    assert "queued 2 of 2 items" in r.stdout + r.stderr
    stats = run_liner_in_process(["review", "stats", "--store", tmp_path / "s.sqlite"])
    assert stats.returncode == 0, stats.stderr


@pytest.mark.parametrize(("ratings", "shown"), [([1, 2, "nan"], "nan"), (["inf", -4, 4], "inf")])
def test_a_rating_that_is_no_finite_number_is_named(tmp_path: Path, ratings: list, shown: str) -> None:
    gold, r = _build(tmp_path, SPLIT, {**vader_row("odd", [1, 1, 1]), "ratings": ratings})
    assert r.returncode == 0, r.stderr
    assert f"{gold}:2: id 'odd': column 'ratings': {shown} is not a finite number" in r.stderr, r.stderr
    assert "queued 1 of 1 items" in r.stdout + r.stderr


def test_ratings_of_another_finite_scale_are_reviewed(tmp_path: Path) -> None:
    _, r = _build(tmp_path, SPLIT, {"id": "likert", "text": "t", "ratings": [1, 5, 1, 5], "mean": 3.0})
    assert r.returncode == 0 and "not a finite" not in r.stderr and "queued 2 of 2 items" in r.stdout + r.stderr
