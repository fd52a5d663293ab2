"""Language identification: known sentences, and no guess on text too short to judge."""

from __future__ import annotations

import pytest

from linernotes.tools.text.language import detect_language, guess_language


@pytest.mark.parametrize(("text", "code"), [
    ("This is an English sentence about the new album.", "en"),
    ("Ceci est une chanson française sur l'amour et la mer.", "fr"),
    ("Das ist ein deutsches Lied über die Liebe und den Sommer.", "de"),
    ("Esta es una canción española sobre el amor y la noche.", "es"),
    ("東京の夜に歌う静かな歌です。", "ja"),
])
def test_known_sentences(text: str, code: str) -> None:
    found = detect_language(text)
    assert found is not None
    assert found[0] == code
    assert 0.5 < found[1] <= 1.0
    assert guess_language(text) == code


@pytest.mark.parametrize("text", ["", "   ", "hi", "Intro", "1999 (2024)", "!!! ???"])
def test_short_or_letterless_text_gets_no_guess(text: str) -> None:
    assert detect_language(text) is None
    assert guess_language(text) is None


def test_a_guess_below_the_confidence_floor_is_withheld() -> None:
    text = "This is an English sentence about the new album."
    assert guess_language(text, min_confidence=1.01) is None
