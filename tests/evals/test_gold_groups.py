"""A spec's group_field the rows leave empty is warned about: the bootstrap resamples groups and an
item without one is its own cluster, so a misspelt group_field made every interval an item-level
one with nothing said (the record called them clustered), and blank cells were one group of all
such rows (found by QA qa-fit16)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from linernotes.evals.gold import check_groups, load_gold
from linernotes.evals.spec import load_spec
from tests.conftest import run_liner_in_process


def _world(tmp_path: Path, groups: list, group_field: str = "src") -> Path:
    data = tmp_path / "g.jsonl"
    data.write_text("".join(json.dumps({"id": f"v{n}", "text": f"a fine day {n}", "ratings": [n % 3 - 1],
                                        **({"src": g} if g is not None else {})}) + "\n"
                            for n, g in enumerate(groups)), encoding="utf-8")
    spec = tmp_path / "v.yaml"
    spec.write_text(f"name: v\ndata: {data}\ngroup_field: {group_field}\ninputs: {{description: text}}\n"
                    "tasks: [{name: valence, kind: valence, gold_field: ratings, scale: 1}]\n", encoding="utf-8")
    return spec


def test_a_group_field_no_row_has_is_warned_about(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    spec = _world(tmp_path, ["a", "b", "c", "a", "b", "c"], group_field="sorce")
    r = run_liner_in_process(["eval", spec, "-o", tmp_path / "run.json", "--llm", "never", "--resamples", "0",
                              "--fusion", "none", "--no-progress"])
    assert r.returncode == 0, r.stderr
    assert (f"{tmp_path / 'g.jsonl'}: no item has a value in column 'sorce' (the spec's group_field): each item is "
            "its own cluster in the bootstrap") in caplog.text, caplog.text


def test_rows_without_a_group_are_counted_and_blank_cells_are_no_group(tmp_path: Path) -> None:
    spec = _world(tmp_path, ["a", None, "", "  ", "b", "a"])
    gold = load_gold(load_spec(spec), tmp_path / "g.jsonl")
    assert [g.group for g in gold.items] == ["a", None, None, None, "b", "a"]
    assert check_groups(load_spec(spec), gold.items) == [
        "3 of 6 items have no value in column 'src' (the spec's group_field), e.g. 'v1', 'v2', 'v3': each of them is "
        "its own cluster in the bootstrap"]
    full = _world(tmp_path, ["a", "b", "a"])
    assert check_groups(load_spec(full), load_gold(load_spec(full), tmp_path / "g.jsonl").items) == []
