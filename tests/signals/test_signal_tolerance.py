"""A scalar signal task's default tolerance follows the signal's range (found by QA, session 13): the
default was valence's 0.25, on [-1, 1]; on an energy signal of range [0, 10] an item 1 point off
(10% of the range) counted wrong, within_tol read 0.13 next to an MAE of 1.2, and the fit's
confidence P(|error| <= 0.25) sent every value to review; on [0, 100] nothing was ever within.
Now it is 1/8 of the range (valence's share); a tolerance the spec sets is kept."""

from __future__ import annotations

from pathlib import Path

import pytest

from linernotes.evals.record import ItemResult
from linernotes.evals.scoring import task_scores
from linernotes.evals.spec import check_signal_tasks, load_spec
from linernotes.signals.spec import parse_signals

SIGNALS = parse_signals("""\
- name: energy
  kind: scalar
  range: [0, 10]
  instructions: How energetic, 0 calm to 10 intense.
- name: popularity
  kind: scalar
  range: [0, 100]
  instructions: How popular.
""", "s.yaml")


def _spec(tmp_path: Path, extra: str = "") -> object:
    path = tmp_path / "g.yaml"
    path.write_text("name: g\ndata: g.jsonl\nid_field: id\ninputs:\n  title: title\ntasks:\n"
                    "  - name: energy\n    kind: scalar\n    gold_field: energy\n    signal: energy\n" + extra +
                    "  - name: popularity\n    kind: scalar\n    gold_field: popularity\n    signal: popularity\n",
                    encoding="utf-8")
    spec = load_spec(path)
    check_signal_tasks(spec, SIGNALS)
    return spec


def test_the_default_tolerance_is_an_eighth_of_the_range(tmp_path: Path) -> None:
    energy, popularity = _spec(tmp_path).tasks
    assert energy.tolerance == pytest.approx(1.25) and popularity.tolerance == pytest.approx(12.5)
    pred = {"signals": {"energy": {"value": 6.0, "confidence": 0.5, "evidence": {}, "provenance": {}}}}
    items = [ItemResult(id="a", gold={"energy": 7.0}, prediction=pred)]  # one point off on 0..10
    assert task_scores(energy, items).stats["energy.within_tol"].point() == pytest.approx(1.0)


def test_a_tolerance_the_spec_sets_is_kept(tmp_path: Path) -> None:
    energy, popularity = _spec(tmp_path, "    tolerance: 0.5\n").tasks
    assert energy.tolerance == pytest.approx(0.5) and popularity.tolerance == pytest.approx(12.5)


@pytest.mark.parametrize(("tolerance", "refused"), [("5", True), ("7.5", True), ("4.99", False)])
def test_a_tolerance_of_half_the_range_or_more_is_refused(tmp_path: Path, tolerance: str, refused: bool) -> None:
    """QA session 25: 'tolerance: 5' on a [0, 10] signal was accepted: the range's middle is within
    5 of every value, so a constant answer scored within_tol 1.0, and a fit then refused every gold
    set as 'no wider than twice the tolerance', naming the gold, not the tolerance."""
    from linernotes.evals.spec import SpecError

    if not refused:
        assert _spec(tmp_path, f"    tolerance: {tolerance}\n").tasks[0].tolerance == pytest.approx(float(tolerance))
        return
    with pytest.raises(SpecError, match=rf"task energy: tolerance {tolerance} is half the range of signal energy "
                                        r"\(\[0, 10\]\) or more: its middle, 5, is within it of every value"):
        _spec(tmp_path, f"    tolerance: {tolerance}\n")


@pytest.mark.parametrize(("tolerance", "refused"), [("1", True), ("2.5", True), ("0.99", False)])
def test_a_valence_tolerance_of_half_its_scale_or_more_is_refused(tmp_path: Path, tolerance: str,
                                                                  refused: bool) -> None:
    from linernotes.evals.spec import SpecError

    path = tmp_path / "v.yaml"
    path.write_text("name: v\ndata: v.jsonl\nid_field: id\ninputs:\n  description: text\ntasks:\n"
                    f"  - name: valence\n    kind: valence\n    gold_field: mean\n    tolerance: {tolerance}\n",
                    encoding="utf-8")
    if not refused:
        assert load_spec(path).tasks[0].tolerance == pytest.approx(float(tolerance))
        return
    with pytest.raises(SpecError) as err:
        load_spec(path)
    assert f"{path}:10: tasks[0].tolerance: task valence: tolerance {tolerance} is half the valence scale" \
        in str(err.value)
