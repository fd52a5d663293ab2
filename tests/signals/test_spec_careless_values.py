"""Signal spec values a person writes carelessly are refused naming the file, line and key (found
by QA): ``review_threshold: no`` ('do not review it') was read as 0.0, so nothing was ever routed
to review (``yes``: 1.0, everything); ``range: [false, true]`` became [0, 1]; a file holding ``[]``
declared no signal and ``--signals`` added none, silently; a 100,000-character label was taken
and sent in every item's prompt. Numbers, and labels up to 200 characters, load as before."""

from __future__ import annotations

from pathlib import Path

import pytest

from linernotes.signals.spec import SignalSpecError, load_signals

BOOLEAN = "name: e\nkind: boolean\ninstructions: x\n"


@pytest.mark.parametrize(("text", "expect"), [
    (BOOLEAN + "review_threshold: no\n", ":4: review_threshold: false is not a number (YAML reads yes/no"),
    (BOOLEAN + "review_threshold: yes\n", ":4: review_threshold: true is not a number"),
    (BOOLEAN + "review_threshold: off\n", ":4: review_threshold: false is not a number"),
    ("name: e\nkind: scalar\nrange: [false, true]\ninstructions: x\n", ":3: range.0: false is not a number"),
    ("name: e\nkind: scalar\nrange: [0, on]\ninstructions: x\n", ":3: range.1: true is not a number"),
    ("[]\n", ":1: an empty list declares no signal"),
    ("name: e\nkind: single_label\nlabels: [a, '" + "y" * 201 + "']\ninstructions: x\n",
     ":3: labels.1: label 2 is 201 characters; a label is at most 200"),
])
def test_a_careless_value_is_refused_at_its_line(tmp_path: Path, text: str, expect: str) -> None:
    path = tmp_path / "s.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(SignalSpecError) as err:
        load_signals([path])
    assert str(err.value).startswith(f"{path}{expect}"), str(err.value)


def test_numbers_and_labels_within_the_limit_load(tmp_path: Path) -> None:
    path = tmp_path / "s.yaml"
    path.write_text("- name: e\n  kind: scalar\n  range: [0, 10]\n  review_threshold: 1\n  instructions: x\n"
                    "- name: f\n  kind: single_label\n  labels: [a, '" + "y" * 200 + "']\n  review_threshold: 0.25\n"
                    "  instructions: x\n", encoding="utf-8")
    e, f = load_signals([path])
    assert (e.range, e.review_threshold, f.review_threshold, len(f.labels[1])) == ((0.0, 10.0), 1.0, 0.25, 200)
