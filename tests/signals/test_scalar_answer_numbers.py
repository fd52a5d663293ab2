"""A scalar answer that is no finite number, or a text answer that is no text, is no value.

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


TOPIC = SignalSpec(name="topic", kind="text", instructions="The episode's topic.")


@pytest.mark.parametrize("raw", [{"a": 1}, ["x", "y"], True])
def test_a_text_answer_that_is_no_text_is_dropped(raw) -> None:
    """Its Python repr ("{'a': 1}", "['x', 'y']", 'True') was kept as the signal's text."""
    value, problems = verify(TOPIC, raw)
    assert value is None and problems == [f"topic: a {type(raw).__name__} is not text"], (value, problems)


@pytest.mark.parametrize(("raw", "value"), [("  true   crime ", "true crime"), (1984, "1984"), ("", None)])
def test_text_answers_are_kept_as_before(raw, value) -> None:
    assert verify(TOPIC, raw) == (value, [])
