"""A fitted single-label signal only ever answers one of its spec's labels (found by QA): gold
with values outside the labels ('2010s' on 9 of 12 items of a decade signal labelled
[1970s, 1980s, 1990s]) became classes of the model, and ``liner tag --fusion`` wrote
``decade: '2010s'`` as a calibrated value."""

from __future__ import annotations

import pytest

from linernotes.signals.fit import fit_signal
from linernotes.signals.spec import parse_signals

SPEC = ("name: decade\nkind: single_label\nlabels: [1970s, 1980s, 1990s]\n"
        "instructions: The decade the recording sounds like.\n")


def test_gold_outside_the_labels_is_never_a_class_and_is_scored_out_of_fold() -> None:
    (spec,) = parse_signals(SPEC, "decade.yaml")
    # the LLM's answer is the only feature; 9 items carry a gold label the spec does not have
    gold = ["2010s"] * 9 + ["1970s", "1980s"] * 6 + ["1980S", "['1990s']"]
    answers = ["1990s"] * 9 + ["1970s", "1980s"] * 6 + ["1980s", "1990s"]
    rows = [({}, a, g, f"g{n % 6}") for n, (a, g) in enumerate(zip(answers, gold, strict=True))]
    model, oof = fit_signal(spec, rows, folds=3, seed=0)
    assert set(model.classes) <= set(spec.ids)
    assert model.figures["gold_outside_labels"] == 11
    assert all(o is not None and o[0] in spec.ids for o in oof)  # every row scored, in the vocabulary
    value, _ = model.predict(spec, {}, "1990s")
    assert value in spec.ids


def test_gold_with_one_known_class_says_how_many_values_are_outside_the_labels() -> None:
    (spec,) = parse_signals(SPEC, "decade.yaml")
    rows = [({}, "1970s", g, f"g{n}") for n, g in enumerate(["2010s"] * 5 + ["1970s"] * 5)]
    with pytest.raises(ValueError, match=r"one class of its labels only \(\['1970s'\]; 5 gold value\(s\) outside"):
        fit_signal(spec, rows)
