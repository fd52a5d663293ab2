"""Declared-signal gold the signal can never predict is named before scoring: a label outside the
signal's vocabulary, a number outside a scalar's range (found by a new-user test: eval and fit
said nothing, and predictions were clipped to the range)."""

from __future__ import annotations

from types import SimpleNamespace

from linernotes.evals.gold import check_signal_gold
from linernotes.evals.spec import GoldSpec
from linernotes.signals.spec import parse_signals

SIGNALS = parse_signals("""
- name: mood_tag
  kind: single_label
  labels: [calm, tense]
  instructions: The mood.
- name: energy
  kind: scalar
  range: [0, 10]
  instructions: How energetic, 0 to 10.
- name: themes
  kind: multilabel
  labels: [love, loss, travel]
  instructions: The themes.
""", "test.yaml")

SPEC = GoldSpec.model_validate({
    "name": "g", "data": "x.jsonl", "id_field": "id", "inputs": {"title": "title"},
    "tasks": [{"name": t, "kind": k, "gold_field": t, "signal": t}
              for t, k in (("mood_tag", "single_label"), ("energy", "scalar"), ("themes", "multilabel"))]})


def _item(i, **gold):
    return SimpleNamespace(id=f"i{i}", gold=gold)


def test_gold_inside_the_vocabulary_and_range_gives_no_warning() -> None:
    items = [_item(0, mood_tag="calm", energy=0.0, themes=["love"]), _item(1, mood_tag="tense", energy=10,
                                                                          themes=[]), _item(2)]
    assert check_signal_gold(SPEC, items, SIGNALS) == []


def test_each_kind_names_its_items_outside_the_vocabulary_or_range() -> None:
    items = [_item(0, mood_tag="spooky", energy=30, themes=["love", "war"]), _item(1, mood_tag="calm", energy=-1),
             _item(2, mood_tag="spooky", energy=5, themes=["travel"])]
    warnings = check_signal_gold(SPEC, items, SIGNALS)
    assert len(warnings) == 3, warnings
    mood, energy, themes = warnings
    assert "signal mood_tag (task mood_tag) on 2 items is not in its labels" in mood and "'i0': 'spooky'" in mood
    assert "signal energy (task energy) on 2 items is outside its range [0.0, 10.0]" in energy
    assert "'i0': 30" in energy and "'i1': -1" in energy
    assert "signal themes (task themes) on 1 items" in themes and "'i0': ['war']" in themes
