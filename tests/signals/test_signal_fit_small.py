"""``liner fit --signals`` on a gold set too small to cross-fit (found by QA, session 13: six items
labelled in review, the first thing a new user fits). The multilabel and scalar signals were
skipped with sklearn's 'Cannot have number of splits n_splits=5 greater than the number of
samples: n_samples=4', which names neither the signal nor what to do, and the obvious remedy
(fewer --folds) makes it worse; a boolean with one item of a label read 'k-fold cross-validation
requires at least one train/test split by setting n_splits=2 or more'. Now the reason names the
signal, the counts, the minimum for the folds asked and the way out; at the minimum it fits."""

from __future__ import annotations

from typing import Any

import pytest

from linernotes.schema import Item
from linernotes.signals.fit import fit_fused, fit_signal
from linernotes.signals.spec import parse_signals

SPECS = {s.name: s for s in parse_signals("""\
- name: moods_of
  kind: multilabel
  labels: [happy, sad, calm]
  instructions: The moods of the track.
  evidence: [shortlist]
- name: energy
  kind: scalar
  range: [0, 10]
  instructions: How energetic, 0 calm to 10 intense.
- name: rude
  kind: boolean
  instructions: Profanity in the lyrics.
  evidence: [lexicon]
""", "specs.yaml")}
MOODS = ("happy", "sad", "calm")
TEXT = ("happy bright joyful pop", "sad grey melancholic piano", "calm quiet soft ambient")


def _rows(name: str, n: int, groups: list[str] | None = None) -> list[tuple[Any, ...]]:
    """(item, evidence, llm answer, gold, group) per item, the label cycling over the vocabulary."""
    rows = []
    for i in range(n):
        k = i % 3
        item = Item(id=f"i{i}", type="track", title=f"song {i}", description=f"{TEXT[k]} number {i}")
        evidence = {"shortlist": [{"id": m, "score": 0.6 if j == k else 0.01} for j, m in enumerate(MOODS)],
                    "lexicon": [{"term": "x"}] * (i % 2)}
        gold = {"moods_of": [MOODS[k]], "energy": float(3 * k + 1), "rude": "true" if i % 2 else "false"}[name]
        rows.append((item, evidence, None, gold, groups[i] if groups else f"g{i}"))
    return rows


def _fit(name: str, rows: list[tuple[Any, ...]], folds: int) -> Any:
    spec = SPECS[name]
    if spec.kind == "boolean":
        return fit_signal(spec, [r[1:] for r in rows], folds=folds)
    return fit_fused(spec, rows, tolerance=1.0, uses_draft=False, folds=folds)


@pytest.mark.parametrize("name", ["moods_of", "energy"])
@pytest.mark.parametrize(("folds", "least"), [(5, 7), (2, 10)])
def test_too_few_items_names_the_signal_the_counts_and_the_minimum(name: str, folds: int, least: int) -> None:
    with pytest.raises(ValueError) as err:
        _fit(name, _rows(name, least - 1), folds)
    msg = str(err.value)
    assert msg.startswith(f"signal {name}: {least - 1} gold item(s) with a value"), msg
    assert f"with {folds} folds needs at least {least}" in msg, msg
    assert "label more items" in msg, msg
    model, oof = _fit(name, _rows(name, least), folds)  # the stated minimum is enough
    assert model.name == name and len(oof) == least


def test_a_large_group_that_leaves_a_small_training_part_is_named() -> None:
    # 8 items (above the 7 five folds need), 5 groups: holding out the group of 4 leaves 4 to train on
    groups = ["big"] * 4 + [f"g{i}" for i in range(4)]
    with pytest.raises(ValueError, match=r"8 gold item\(s\).*here as small as 4"):
        _fit("energy", _rows("energy", 8, groups), 5)


def test_a_boolean_with_one_item_of_a_label_says_so() -> None:
    with pytest.raises(ValueError) as err:
        _fit("rude", _rows("rude", 3), 5)
    msg = str(err.value)
    assert msg.startswith("signal rude: 3 gold item(s) in 3 group(s), and label 'true' has 1"), msg
    assert "label more items" in msg, msg
