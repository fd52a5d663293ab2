"""review build takes as an item id exactly what liner tag's catalog reader takes (one rule,
``store.catalog.id_problem``). QA session 23: a gold set's 'NA', 'line:3', an id with a NUL and a
600-character id were queued for review (review checked only blank ids and the id's type) where
liner tag refuses the row, and a run record's float id 1.0, true or ["a"] became the items '1.0',
'True' and "['a']" (1.0's text names the catalog's good id "1.0")."""

from __future__ import annotations

import json
import re
from pathlib import Path

from linernotes.review.sources import load_source
from linernotes.store.catalog import id_problem, read_catalog
from tests.review.conftest import vader_row

IDS = ["ok", "NA", "null", "line:3", "a\x00b", "x" * 600, " padded ", "esc\x1bred", "x" * 512]


def _gold(tmp_path: Path, ids: list) -> Path:
    gold = tmp_path / "g.jsonl"
    gold.write_text("".join(json.dumps(vader_row("-", [1, 2, 3]) | {"id": i}) + "\n" for i in ids), encoding="utf-8")
    return gold


def test_review_queues_exactly_the_ids_liner_tag_reads(tmp_path: Path) -> None:
    gold = _gold(tmp_path, IDS)
    tagged = [r.item.id for r in read_catalog(gold) if r.item is not None]
    source = load_source(gold=gold)
    assert [it.id for it in source.items] == tagged == ["ok", " padded ", "x" * 512]
    reasons = [n.split(": ", 1)[1] for n in source.notes]
    assert len(reasons) == len(IDS) - len(tagged)
    assert reasons[:4] == [
        "no id (the cell is empty or a missing-value marker); the row is kept in the gold set as it is but cannot be "
        "reviewed"] * 2 + [
        "id 'line:3' is reserved: liner keys a row without a usable id as line:N; rename it; the row is kept in "
        "the gold set as it is but cannot be reviewed",
        "id contains a NUL byte; the row is kept in the gold set as it is but cannot be reviewed"]
    assert reasons[4].startswith("id is 600 characters long, over 512")
    assert reasons[5].startswith("id contains a control character U+001B (at character 4); ")
    numbers = _gold(tmp_path, [7, 1.0])  # a column of numbers: the integer is an id, the float none
    assert [it.id for it in load_source(gold=numbers).items] == [r.item.id for r in read_catalog(numbers)
                                                                  if r.item is not None] == ["7"]


def test_a_run_records_ids_follow_the_same_rule(tmp_path: Path) -> None:
    gold = _gold(tmp_path, ["1.0", "True", "ok"])
    run = tmp_path / "run.json"
    items = [{"id": i, "inputs": {"text": "t"}, "prediction": None, "status": "ok"} for i in (1.0, True, "ok")]
    run.write_text(json.dumps({"items": items}), encoding="utf-8")
    source = load_source(run=run, gold=gold)
    in_run = {it.id for it in source.items if it.in_run}
    assert in_run == {"ok"}  # before: the float 1.0 and true joined the gold ids "1.0" and "True"
    assert any("items[0]: id 1.0 is a float" in n for n in source.notes)
    assert any("items[1]: id true is true/false" in n for n in source.notes)


def test_the_rule_names_each_reason() -> None:
    assert [id_problem(i) is None for i in IDS] == [True, False, False, False, False, False, True, False, True]
    assert [id_problem(i) for i in (7, 1.0, True, ["a"], None)] == [
        None, "id 1.0 is a float; ids are strings or integers (an integer column with a missing value is stored as "
        "float by pandas: write it as Int64 or text)", "id true is true/false; ids are strings or integers",
        'id ["a"] is a list; ids are strings or integers', "no id (the cell is empty or a missing-value marker)"]
    assert id_problem(b"\xff") == "id is not UTF-8 text (byte 0)" and id_problem(b"ab") is None
    assert id_problem("a\ud800") == "id contains a lone UTF-16 surrogate (not valid Unicode)"


def test_liner_evals_gold_reader_holds_ids_to_the_same_rule(tmp_path: Path) -> None:
    """liner eval took 'NA' and 'line:3' as gold items where tag and review refuse them."""
    import pytest

    from linernotes.evals.gold import load_gold
    from linernotes.evals.spec import SpecError, load_spec

    for bad, reason in [("NA", "no id (the cell is empty or a missing-value marker)"),
                        ("line:3", "id 'line:3' is reserved: liner keys a row without a usable id as line:N")]:
        gold = _gold(tmp_path, ["ok", bad])
        spec = tmp_path / "v.yaml"
        spec.write_text(f"name: v\ndata: {gold}\ninputs: {{description: text}}\n"
                        "tasks: [{name: valence, kind: valence, gold_field: mean}]\n", encoding="utf-8")
        with pytest.raises(SpecError, match=f"^{re.escape(f'{gold}:2: id: {reason}')}"):
            load_gold(load_spec(spec), gold)
