"""``liner tag --exemplars`` warns when most of the index's items carry no genre the shipped genres
combiner's training index used (a new user's catalog of grunge, jungle and jazz): the combiner
reads a label's share of its own training index, 0 for every other label, and picked
drum-and-bass for a grunge, a punk and a smooth-jazz track without a word."""

from __future__ import annotations

import pytest

from linernotes.agents.runtime import foreign_index_note, open_fusion
from linernotes.tools.retrieval.exemplars import build_exemplar_index, open_exemplar_index


def _index(tmp_path, labels: list[list[str]]):
    folder = tmp_path / "ex"
    build_exemplar_index([{"id": f"x{i}", "text": f"track {i}", "genres": g} for i, g in enumerate(labels)], folder)
    return open_exemplar_index(folder)


@pytest.fixture(scope="module")
def shipped():
    fusion = open_fusion("default")
    assert fusion is not None and fusion.fields["genres"].model.prior, "the shipped artifact has a genres prior"
    return fusion


def test_an_index_of_other_genres_is_warned_about(tmp_path, shipped):
    index = _index(tmp_path, [["grunge"], ["jazz", "smooth-jazz"], ["drum-and-bass", "jungle"], ["folk"]])
    note = foreign_index_note("ex/", index, shipped, "music-genres")
    assert note is not None and note.startswith("--exemplars ex/: 3 of 4 items carry no genre the genres "
                                                "combiner's training index used (its most common: electronic, ")
    assert note.endswith("compare a few records with --fusion none")


def test_an_index_like_the_training_one_or_no_fitted_combiner_is_not(tmp_path, shipped):
    index = _index(tmp_path, [["electronic", "techno"], ["house"], ["jazz"]])
    assert foreign_index_note("ex/", index, shipped, "music-genres") is None  # 1 of 3 outside: most share one
    assert foreign_index_note("ex/", index, None, "music-genres") is None  # --fusion none: no prior to lean on


def test_an_index_tagged_with_another_taxonomy_is_not(tmp_path, shipped):
    # --taxonomy mine.yaml: the combiner fitted on music-genres is not used, so nothing leans
    index = _index(tmp_path, [["grunge"], ["jazz"]])
    assert foreign_index_note("ex/", index, shipped, "my-genres") is None
