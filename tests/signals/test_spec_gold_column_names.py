"""A declared signal named after a gold column review reads as a built-in field (QA session 25): a
0-10 scalar signal ``mean`` was labelled and exported, and the export read back without
``--signals`` (``liner review build --gold gold/``, ``liner review stats --gold gold/``) took its
``mean`` column for VADER's valence on -4..4 (9.0 became 2.25, outside [-1, 1]); ``ratings``,
``valence_ratings`` and ``gold_genres`` are the same kind of column, and ``annotators`` is where
review reads each annotator's labels. They are reserved names now, refused with file and line."""

from __future__ import annotations

from pathlib import Path

import pytest

from linernotes.signals.spec import SignalSpecError, load_signals


@pytest.mark.parametrize(("name", "field"), [("mean", "valence"), ("ratings", "valence"),
                                             ("valence_ratings", "valence"), ("gold_genres", "genres")])
def test_a_built_in_fields_gold_column_is_refused(tmp_path: Path, name: str, field: str) -> None:
    path = tmp_path / "s.yaml"
    path.write_text(f"kind: scalar\nrange: [0, 10]\ninstructions: x\nname: {name}\n", encoding="utf-8")
    with pytest.raises(SignalSpecError) as err:
        load_signals([path])
    assert str(err.value) == (f"{path}:4: name: {name!r} is the gold column review reads as the built-in {field}; "
                              "a declared signal needs a name of its own")


def test_the_annotators_column_is_refused_and_other_names_load(tmp_path: Path) -> None:
    path = tmp_path / "s.yaml"
    path.write_text("- {name: annotators, kind: single_label, labels: [few, many], instructions: x}\n",
                    encoding="utf-8")
    with pytest.raises(SignalSpecError, match=r":1: name: 'annotators' is the gold column review reads each "
                                              r"annotator's labels from"):
        load_signals([path])
    path.write_text("- {name: mean_loudness, kind: scalar, range: [0, 10], instructions: x}\n"
                    "- {name: players, kind: single_label, labels: [few, many], instructions: x}\n", encoding="utf-8")
    assert [s.name for s in load_signals([path])] == ["mean_loudness", "players"]
