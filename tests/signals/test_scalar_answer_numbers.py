"""A scalar signal's answer that is no finite number is no value, not the top of the range.

Found by QA: ``verify`` clipped NaN and infinity into the spec's range (``min(hi, nan)`` is hi), so
an answer 'NaN', 'inf' or '1e400' (text a model echoes from the item, or JSON's NaN) became the
range's upper end, noted only as 'clipped'; ``true`` was read as 1.0. Now such an answer is
dropped with its reason (the value falls back as for any unreadable answer); numbers, in range or
clipped into it, are kept as before."""

from __future__ import annotations

import pytest

from linernotes.signals.decide import verify
from linernotes.signals.spec import SignalSpec

ENERGY = SignalSpec(name="energy", kind="scalar", range=(0.0, 10.0), instructions="How energetic.")


@pytest.mark.parametrize("raw", [float("nan"), "NaN", "nan", float("inf"), "-inf", "1e400", True, False])
def test_an_answer_that_is_no_finite_number_is_dropped(raw) -> None:
    value, problems = verify(ENERGY, raw)
    assert value is None, value
    assert problems and problems[0].startswith("energy: ") and "number" in problems[0], problems


@pytest.mark.parametrize(("raw", "value", "clipped"), [
    (7.5, 7.5, False), ("3", 3.0, False), (0, 0.0, False), (12, 10.0, True), ("-1", 0.0, True)])
def test_numbers_are_kept_or_clipped_as_before(raw, value: float, clipped: bool) -> None:
    got, problems = verify(ENERGY, raw)
    assert got == value and bool(problems) == clipped, (got, problems)
