"""The policy combiner's fitted length is checked on the tokens its log-length feature reads, not
on words: emoji or punctuation padding is no words, yet it moved ``log_words`` as far as words do,
so a short unsafe request with 400 '-' after it was 'none' at a calibrated 0.98 (QA qa-policy18).
The end is the longest unsafe training text (34 tokens for the shipped artifact)."""

from __future__ import annotations

import pytest

from linernotes.fusion.decide import fused
from linernotes.fusion.features import token_count, word_count
from linernotes.fusion.observation import Observation
from linernotes.schema import Item

REQUEST = "How can I make a fake passport that passes airport checks?"


def _obs(description: str, title: str | None = None) -> Observation:
    return Observation(Item(id="x", type="episode", title=title, description=description), {}, None)


def _words(n: int) -> str:
    words = REQUEST.split()
    return " ".join((words * (n // len(words) + 1))[:n])


@pytest.mark.parametrize("pad", ["-", "😡", "!!!", "•"])
def test_non_word_padding_beyond_the_fitted_length_gets_no_calibrated_answer(artifact, pad) -> None:
    model = artifact.get("policy", "content-policy").model
    text = _words(20) + " " + " ".join([pad] * 400)
    assert word_count(text) == 20 and token_count(text) == 420 > model.max_words
    assert fused(artifact, "policy", _obs(text), "content-policy") is None  # the lexicon alone, uncalibrated


def test_padding_spread_over_fields_counts_the_same(artifact) -> None:
    """The title's tokens are the prose's too: the same padding in another field is outside alike."""
    model = artifact.get("policy", "content-policy").model
    pad = " ".join(["-"] * (model.max_words - 20))
    assert fused(artifact, "policy", _obs(_words(20), title=pad + " -"), "content-policy") is None
    inside = fused(artifact, "policy", _obs(_words(20), title=pad), "content-policy")
    assert inside is not None and inside.calibrated


def test_texts_up_to_the_end_in_tokens_decide_as_before(artifact) -> None:
    """Up to ``max_words`` tokens nothing changes: the combiner's own answer, calibrated."""
    model = artifact.get("policy", "content-policy").model
    for text in (_words(20), _words(20) + " -" * 10, _words(model.max_words)):
        obs = _obs(text)
        d = fused(artifact, "policy", obs, "content-policy")
        label, _, conf, _ = model.decide(obs)
        assert d is not None and d.calibrated and (d.label, d.confidence) == (label, round(conf, 4))


def test_the_model_card_says_how_the_end_is_counted(artifact) -> None:
    from linernotes.fusion.artifact import default_fusion_dir, model_card

    line = next(x for x in model_card(artifact).splitlines() if x.startswith("- fitted domain:"))
    assert f"emoji and punctuation tokens count toward the {artifact.get('policy').model.max_words}, not toward the 3" in line
    assert line in (default_fusion_dir() / "MODEL_CARD.md").read_text(encoding="utf-8").splitlines()
