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


def test_afinn_matches_are_the_librarys_on_gold_and_edge_texts(shared_data) -> None:
    """The first-character-factored pattern (``valence._afinn``) finds the words and emoticons
    AFINN's own pattern finds, in order, on every VADER and policy gold text (15,204) and on edge
    strings: emoticons, multi-word and hyphenated entries, word boundaries, Unicode, whitespace."""
    import json

    from afinn import Afinn

    from linernotes.tools.text.valence import _afinn, _afinn_scores

    lib, pattern = _afinn()
    assert pattern is not None  # the fast path is the one in use with the pinned afinn
    reference = Afinn(language="en", emoticons=True)
    texts = [json.loads(line)["text"] for name in ("vader-multirater.dev.jsonl", "policy-prompts.dev.jsonl")
             for line in (shared_data / "gold" / name).read_text(encoding="utf-8").splitlines() if line.strip()]
    words = list(reference._dict)
    texts += [":) :-( :D <3 </3 xD ;) :P :-)) (:", "can't stand it, no fun, does not work, green-washing",
              "ÉNORME ünïcode good-bad", "goodgood good_ good1 1good", "Good\n\t\tbad   ugly", "", " ",
              " ".join(words), "".join(words[:300]), " ".join(reversed(words))]
    for text in texts:
        assert _afinn_scores(text) == reference.scores(text), text


def test_textblob_sentiment_from_its_files_scores_like_the_package(shared_data) -> None:
    """``textblob_lite`` runs textblob's own sentiment files without the package import (which
    imports nltk): the same polarity, subjectivity and assessments as ``textblob.en.sentiment``
    on every VADER and policy gold text (15,204) and edge strings."""
    import json

    from textblob.en import sentiment as reference

    from linernotes.tools.text.textblob_lite import english_sentiment

    ours = english_sentiment()
    assert ours is not reference  # the copy built from the files, not the package's object
    texts = [json.loads(line)["text"] for name in ("vader-multirater.dev.jsonl", "policy-prompts.dev.jsonl")
             for line in (shared_data / "gold" / name).read_text(encoding="utf-8").splitlines() if line.strip()]
    texts += ["", " ", "not good", "very very good!!", "terribly wonderful", "never bad :)", "ÉNORME good"]
    for text in texts:
        a, b = reference(text), ours(text)
        assert (tuple(a), a.assessments) == (tuple(b), b.assessments), text


def test_lexical_valence_does_not_import_nltk() -> None:
    import subprocess
    import sys

    code = ("import sys; from linernotes.tools.text.valence import lexical_valence;"
            "print(lexical_valence('A wonderful song') > 0, 'nltk' in sys.modules, 'textblob' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300, check=True)
    assert out.stdout.split() == ["True", "False", "False"]


def test_afinn_patterns_come_from_the_build_cache(tmp_path, monkeypatch) -> None:
    """Once written, AFINN's own pattern and the factored one are read back, not re-parsed (fault
    injection: re's parser raises), and still score as the library does."""
    import re

    from afinn import Afinn

    from linernotes.tools.text import valence

    monkeypatch.setenv("LINER_BUILD_CACHE_DIR", str(tmp_path / "build"))
    valence._afinn.cache_clear()
    valence._afinn()
    assert len(list((tmp_path / "build" / "regex").glob("*.npy"))) == 2
    reference = Afinn(language="en", emoticons=True)
    valence._afinn.cache_clear()

    def refuse(*_a: object, **_k: object) -> None:
        raise AssertionError("re's parser was called")

    with monkeypatch.context() as m:
        m.setattr(re._parser, "parse", refuse)
        lib, pattern = valence._afinn()
    assert pattern is not None and lib._pattern.pattern == reference._pattern.pattern
    text = "What a wonderful, awful, bad :) day; not good"
    assert valence._afinn_scores(text) == lib.scores(text) == reference.scores(text)
    valence._afinn.cache_clear()
