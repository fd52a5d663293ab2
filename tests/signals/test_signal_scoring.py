"""Declared-signal tasks are scored by kind from ``enrichment.signals`` (no LLM, no tagging)."""

from __future__ import annotations

import pytest

from linernotes.evals.gold import signal_gold
from linernotes.evals.record import ItemResult
from linernotes.evals.scoring import task_scores
from linernotes.evals.spec import TaskSpec


def item(n: int, name: str, gold, value, conf: float = 0.9) -> ItemResult:
    pred = {"signals": {name: {"value": value, "confidence": conf, "evidence": {}, "provenance": {}}}}
    return ItemResult(id=f"i{n}", gold={name: gold}, prediction=pred)


def points(task: TaskSpec, items: list[ItemResult]) -> dict[str, float]:
    return {k: v.point() for k, v in task_scores(task, items).stats.items()}


def test_boolean_and_single_label_accuracy() -> None:
    task = TaskSpec(name="vocal", kind="boolean", gold_field="vocal", signal="vocal")
    items = [item(0, "vocal", "true", True), item(1, "vocal", "false", True), item(2, "vocal", "false", False),
             item(3, "vocal", "true", None)]  # no value: scored wrong, never skipped
    assert points(task, items)["vocal.accuracy"] == pytest.approx(0.5)
    task = TaskSpec(name="decade", kind="single_label", gold_field="d", signal="decade")
    items = [item(0, "decade", "1970s", "1970s"), item(1, "decade", "1980s", "1970s")]
    assert points(task, items)["decade.accuracy"] == pytest.approx(0.5)


def test_multilabel_and_scalar() -> None:
    task = TaskSpec(name="topics", kind="multilabel", gold_field="t", signal="topics")
    items = [item(0, "topics", ["True Crime"], ["True Crime"]), item(1, "topics", ["News"], ["True Crime", "News"])]
    got = points(task, items)
    assert got["topics.micro_f1"] == pytest.approx(0.8)  # tp 2, fp 1, fn 0
    task = TaskSpec(name="energy", kind="scalar", gold_field="e", signal="energy", tolerance=0.1)
    items = [item(0, "energy", 0.2, 0.25), item(1, "energy", 0.8, 0.4), item(2, "energy", 0.5, 0.5)]
    got = points(task, items)
    assert got["energy.within_tol"] == pytest.approx(2 / 3)
    assert got["energy.mae"] == pytest.approx((0.05 + 0.4 + 0.0) / 3)


def test_signal_gold_keeps_ids_as_written() -> None:
    assert signal_gold("multilabel", ["True Crime", "News"]) == ["News", "True Crime"]
    assert signal_gold("boolean", "Yes") == "true" and signal_gold("boolean", False) == "false"
    assert signal_gold("scalar", "0.5") == 0.5


def test_a_signal_kind_needs_a_signal_name() -> None:
    with pytest.raises(ValueError, match="set signal"):
        TaskSpec(name="x", kind="boolean", gold_field="x")


def test_a_missing_value_is_missing_for_every_kind_never_a_number() -> None:
    """An undecided signal (value None) or an error item (no prediction) counts against coverage
    and accuracy-like scores, is left out of Pearson/MAE and is no class of its own."""
    task = TaskSpec(name="energy", kind="scalar", gold_field="e", signal="energy", tolerance=0.1)
    items = [item(0, "energy", 0.2, 0.25), item(1, "energy", 0.8, 0.4), item(2, "energy", 0.5, 0.5),
             item(3, "energy", 0.05, None), ItemResult(id="err", gold={"energy": 0.9}, prediction=None)]
    got = points(task, items)
    assert got["energy.mae"] == pytest.approx((0.05 + 0.4 + 0.0) / 3)  # 0.0 would add 0.05 and 0.9
    assert got["energy.within_tol"] == pytest.approx(2 / 5)  # |0.0 - 0.05| <= 0.1 would count as right
    assert got["energy.coverage"] == pytest.approx(3 / 5)
    assert task_scores(task, items).n["energy.mae"] == 3

    task = TaskSpec(name="decade", kind="single_label", gold_field="d", signal="decade")
    items = [item(0, "decade", "1970s", "1970s"), item(1, "decade", "1980s", None),
             ItemResult(id="err", gold={"decade": "1980s"}, prediction=None)]
    scored = task_scores(task, items)
    got = {k: v.point() for k, v in scored.stats.items()}
    assert got["decade.accuracy"] == pytest.approx(1 / 3) and got["decade.coverage"] == pytest.approx(1 / 3)
    assert scored.extras["decade.confusion"]["labels"] == ["1970s", "1980s"]  # "" is not a class
    assert got["decade.macro_f1"] == pytest.approx(0.5)  # 1970s F1 1, 1980s F1 0; no third zero column

    task = TaskSpec(name="vocal", kind="boolean", gold_field="vocal", signal="vocal")
    got = points(task, [item(0, "vocal", "false", False), item(1, "vocal", "true", None)])
    assert got["vocal.accuracy"] == pytest.approx(0.5) and got["vocal.coverage"] == pytest.approx(0.5)

    task = TaskSpec(name="topics", kind="multilabel", gold_field="t", signal="topics")
    got = points(task, [item(0, "topics", ["News"], ["News"]), item(1, "topics", ["News"], None)])
    assert got["topics.micro_f1"] == pytest.approx(2 / 3) and got["topics.coverage"] == pytest.approx(0.5)


def test_items_without_a_value_have_no_confidence_to_calibrate() -> None:
    """A signal that decided nothing must not read as perfectly calibrated (ECE 0, everything
    auto-accepted at 0.00): undecided items are left out of calibration and never auto-accepted."""
    task = TaskSpec(name="decade", kind="single_label", gold_field="d", signal="decade")
    none = [item(i, "decade", "1970s", None, conf=0.0) for i in range(4)]
    scored = task_scores(task, none)
    assert "decade.ece" not in scored.stats and "decade.auto_accept_share" not in scored.stats
    assert "no values" in scored.skipped["decade.ece"]
    some = task_scores(task, [*none, item(9, "decade", "1970s", "1970s", conf=0.8)])
    assert some.n["decade.ece"] == 1 and some.stats["decade.ece"].point() == pytest.approx(0.2)
    assert some.stats["decade.auto_accept_share"].point() == pytest.approx(1 / 5)


def test_gold_of_another_json_type_is_scored_as_the_class_it_names() -> None:
    """A run record's gold may be JSON true or 1970 where the prediction says "true" / "1970"
    (hand-made or older records): the same class, not a sort TypeError or a miss."""
    task = TaskSpec(name="vocal", kind="boolean", gold_field="vocal", signal="vocal")
    items = [item(0, "vocal", True, True), item(1, "vocal", False, "false"), item(2, "vocal", "true", False),
             item(3, "vocal", "Yes", True)]  # as liner eval reads a gold cell (evals.gold.signal_gold)
    assert points(task, items)["vocal.accuracy"] == pytest.approx(3 / 4)
    task = TaskSpec(name="decade", kind="single_label", gold_field="d", signal="decade")
    items = [item(0, "decade", 1970, "1970"), item(1, "decade", "1980", "1970")]
    assert points(task, items)["decade.accuracy"] == pytest.approx(0.5)
