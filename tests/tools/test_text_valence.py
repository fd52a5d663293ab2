"""Lexical valence: sign and order on known sentences, None when the lexicon is silent."""

from __future__ import annotations

import pytest

from linernotes.tools.text.valence import lexical_valence


def test_positive_and_negative_sentences_get_the_right_sign() -> None:
    good = lexical_valence("A wonderful, beautiful song that I love")
    bad = lexical_valence("A terrible, sad and awful record")
    assert good is not None and bad is not None
    assert 0 < good <= 1 and -1 <= bad < 0


def test_negation_and_intensity_move_the_score() -> None:
    assert lexical_valence("not good") < 0 < lexical_valence("good")
    assert lexical_valence("very good") > lexical_valence("good")


@pytest.mark.parametrize("text", ["", "   ", "The table is in the room", "12 34"])
def test_no_lexicon_word_means_no_valence(text: str) -> None:
    assert lexical_valence(text) is None
