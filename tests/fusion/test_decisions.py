"""Decision rules of the fusion: review thresholds, the flag rule, the fitted domain."""

from __future__ import annotations

import math

import numpy as np

from linernotes.fusion.artifact import choose_threshold
from linernotes.fusion.estimators import Isotonic, Linear, Standardizer
from linernotes.fusion.features import CANDIDATE_FEATURES
from linernotes.fusion.multilabel import MultilabelModel
from linernotes.fusion.observation import Observation
from linernotes.fusion.singlelabel import choose
from linernotes.schema import Item


def test_threshold_is_the_lowest_reaching_the_target_precision():
    conf = [0.99] * 30 + [0.9] * 30 + [0.5] * 40
    right = [True] * 30 + [True] * 28 + [False] * 2 + [True] * 10 + [False] * 30
    t, precision, coverage = choose_threshold(conf, right, target=0.95)
    assert t == 0.9 and math.isclose(precision, 58 / 60) and math.isclose(coverage, 0.6)


def test_a_floor_keeps_answers_calibrated_as_likely_wrong_in_review():
    # 97% precise over all: the lowest level reaching 95% would accept the 0.0 answers too
    conf = [0.99] * 97 + [0.0] * 3
    right = [True] * 97 + [False] * 3
    assert choose_threshold(conf, right)[0] == 0.0
    t, precision, coverage = choose_threshold(conf, right, floor=0.5)
    assert t == 0.99 and precision == 1.0 and math.isclose(coverage, 0.97)
    assert choose_threshold([0.3] * 50, [True] * 50, floor=0.5)[0] is None  # nothing above the floor


def test_no_threshold_reaching_the_target_makes_the_field_advisory():
    t, precision, coverage = choose_threshold([0.8] * 50, [True] * 40 + [False] * 10, target=0.95)
    assert t is None and math.isnan(precision) and coverage == 0.0
    # too few accepted items is noise, not evidence
    assert choose_threshold([0.99] * 5 + [0.1] * 50, [True] * 5 + [False] * 50)[0] is None


def test_flag_rule_flags_what_is_more_likely_unsafe_than_clean():
    classes = ["insult", "none", "threat"]
    probs = np.array([[0.25, 0.45, 0.30],   # 55% unsafe: flag the likeliest unsafe class
                      [0.10, 0.60, 0.30],   # 60% clean: none
                      [0.70, 0.20, 0.10]])
    assert [classes[i] for i in choose(probs, classes, "none")] == ["threat", "none", "insult"]
    assert list(choose(probs, ["a", "b", "c"], "none")) == [1, 1, 0]  # no none class: plain argmax


def test_a_genre_model_fitted_with_neighbours_does_not_apply_without_any():
    n = len(CANDIDATE_FEATURES)
    model = MultilabelModel(scaler=Standardizer(mean=[0.0] * n, scale=[1.0] * n),
                            classifier=Linear(coef=[[1.0] * n], intercept=[0.0], classes=["0", "1"]),
                            threshold=0.5, fallback_top1=True, max_labels=3, calibrator=Isotonic(x=[0, 1], y=[0, 1]),
                            prior={}, requires_exemplars=True)
    ev = {"genres": [{"id": "techno", "label": "Techno", "score": 0.9}]}
    assert not model.applies(Observation(Item(id="a", title="x"), ev, None))
    with_neighbours = {**ev, "exemplars": [{"id": "e", "text": "t", "genres": ["techno"], "score": 0.9}]}
    obs = Observation(Item(id="a", title="x"), with_neighbours, None)
    assert model.applies(obs) and model.decide(obs)[0] == ["techno"]


def test_the_shipped_valence_model_does_not_score_an_item_without_text():
    """Found in session 8: an item with no text got the regression's intercept (valence -0.03) at
    a 'calibrated' 0.68; no fitted item has no words. Outside the domain the rules decide, marked
    uncalibrated; one word is inside it."""
    from linernotes.fusion.artifact import default_fusion_dir, load_fusion
    from linernotes.fusion.decide import fused

    art = load_fusion(default_fusion_dir())
    assert fused(art, "valence", Observation(Item(id="a"), {}, None)) is None
    assert fused(art, "valence", Observation(Item(id="a", title="   "), {}, None)) is None
    words = fused(art, "valence", Observation(Item(id="b", title="Sunrise"), {}, None))
    assert words is not None and words.calibrated and -1 <= words.value <= 1


def test_the_shipped_valence_model_does_not_score_text_without_a_word_or_a_lexicon_hit():
    """Found in session 9 (T9): emoji- or punctuation-only text passed the whitespace word count,
    so '😡' got valence +0.05 and '😢😢' +0.05 at a 'calibrated' 0.70 (no gold item has an emoji;
    every lexicon feature is zero). Without a letter or digit the rules decide, uncalibrated,
    unless a lexicon scores a token (':)', '<3'): the fitted features then carry evidence."""
    from linernotes.fusion.artifact import default_fusion_dir, load_fusion
    from linernotes.fusion.decide import fused

    art = load_fusion(default_fusion_dir())
    for text in ("😡", "😢 😢", "🔥🔥🔥", "?!... ---", "— — —"):
        assert fused(art, "valence", Observation(Item(id="a", description=text), {}, None)) is None, text
    smiley = fused(art, "valence", Observation(Item(id="b", description=":)"), {"lexical_valence": 0.5}, None))
    assert smiley is not None and smiley.calibrated
    for text in ("Sunrise", "東京", "1999"):
        words = fused(art, "valence", Observation(Item(id="c", description=text), {}, None))
        assert words is not None and words.calibrated, text


def test_the_shipped_policy_model_needs_words_not_just_tokens():
    """T9: emoji or punctuation tokens passed the whitespace word count ('😡 😡 😡', '! ! !') and got
    a calibrated 'none' at 0.31-0.62 that no fitted item stands behind; the lexicon rules decide."""
    from linernotes.fusion.artifact import default_fusion_dir, load_fusion
    from linernotes.fusion.decide import fused

    art = load_fusion(default_fusion_dir())
    for text in ("😡 😡 😡", "! ! !", "🍆 🍑 💦 🔥", "... --- ???"):
        assert fused(art, "policy", Observation(Item(id="a", title=text), {}, None)) is None, text
    words = fused(art, "policy", Observation(Item(id="b", title="I will hurt you 😡"), {}, None))
    assert words is not None and words.calibrated
