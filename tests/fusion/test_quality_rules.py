"""Rules added to close #11's figures: neighbours of the same artist, the clean/flag threshold,
the calibrator choice, negatives restricted to some groups, and old artifacts still loading."""

from __future__ import annotations

import numpy as np
import pytest

from linernotes.evals.fit import NegativesSource
from linernotes.evals.spec import SpecError
from linernotes.fusion.estimators import Isotonic, Linear, Standardizer, calibrator
from linernotes.fusion.features import CANDIDATE_FEATURES, candidate_rows
from linernotes.fusion.multilabel import MultilabelModel
from linernotes.fusion.observation import Observation
from linernotes.fusion.singlelabel import choose
from linernotes.schema import Item

COL = {name: i for i, name in enumerate(CANDIDATE_FEATURES)}


def test_a_neighbour_by_the_same_artist_counts_in_the_artist_share():
    item = Item(id="a", type="track", title="Massk II", artist="James Ruskin", label="Blueprint Records")
    ev = {"exemplars": [
        {"id": "e1", "text": "Massk \nJames Ruskin \nSabre EP \nBlueprint Records", "genres": ["techno"], "score": 0.6},
        {"id": "e2", "text": "Other \nSomeone Else \nX \nOther Label", "genres": ["house"], "score": 0.9}]}
    ids, X = candidate_rows(Observation(item, ev, None), {})
    techno, house = X[ids.index("techno")], X[ids.index("house")]
    assert techno[COL["artist_match"]] == 1 and techno[COL["artist_share"]] == 1.0
    assert house[COL["artist_share"]] == 0.0 and house[COL["label_share"]] == 0.0
    assert techno[COL["neighbour_best_similarity"]] == 0.9 and techno[COL["majority_labels"]] == 1


def test_an_artifact_fitted_on_fewer_features_reads_its_own_columns():
    names = CANDIDATE_FEATURES[:16]
    w = [0.0] * 16
    w[names.index("fewshot_weighted_share")] = 8.0
    model = MultilabelModel(features=names, scaler=Standardizer(mean=[0.0] * 16, scale=[1.0] * 16),
                            classifier=Linear(coef=[w], intercept=[-4.0], classes=["0", "1"]), threshold=0.5,
                            fallback_top1=False, max_labels=3, calibrator=Isotonic(x=[0, 1], y=[0, 1]), prior={})
    ev = {"exemplars": [{"id": "e", "text": "t", "genres": ["techno"], "score": 0.9}]}
    assert model.decide(Observation(Item(id="a", title="x"), ev, None))[0] == ["techno"]
    with pytest.raises(ValueError, match="unknown candidate features"):
        MultilabelModel.model_validate({**model.model_dump(), "features": [*names[:15], "made_up"]})
    with pytest.raises(ValueError, match="sizes do not match"):
        MultilabelModel.model_validate({**model.model_dump(), "features": CANDIDATE_FEATURES})


def test_the_clean_threshold_moves_the_flag_decision():
    classes = ["insult", "none"]
    probs = np.array([[0.35, 0.65]])
    assert classes[int(choose(probs, classes, "none")[0])] == "none"
    assert classes[int(choose(probs, classes, "none", none_threshold=0.7)[0])] == "insult"


def test_calibrator_picks_platt_for_a_smooth_curve_and_stays_monotone():
    rng = np.random.default_rng(0)
    s = rng.random(400)
    o = (rng.random(400) < 1 / (1 + np.exp(-6 * (s - 0.5)))).astype(float)
    cal, name = calibrator(s, o)
    assert name in ("isotonic", "platt")
    grid = cal(np.linspace(0, 1, 50))
    assert np.all(np.diff(grid) >= -1e-12) and grid.min() >= 0 and grid.max() <= 1
    assert calibrator(np.array([0.2, 0.8]), np.array([0.0, 1.0]))[1] == "isotonic"  # too few pairs to compare


def test_negatives_source_syntax():
    src = NegativesSource.parse("vader-valence:nyt_editorial,amazon_review@800")
    assert (src.spec, src.groups, src.limit) == ("vader-valence", ["nyt_editorial", "amazon_review"], 800)
    assert NegativesSource.parse("bandcamp-genres") == NegativesSource(spec="bandcamp-genres")
    with pytest.raises(SpecError):
        NegativesSource.parse("vader-valence@many")


def test_the_clean_threshold_holds_the_false_flag_budget_on_every_source():
    from linernotes.fusion.fitting import MAX_FALSE_FLAGS, pick_none_threshold

    # (threshold, right answers on unsafe items, worst false-flag rate over the clean sources)
    rows = [(0.3, 50, 0.01), (0.5, 60, MAX_FALSE_FLAGS), (0.7, 70, MAX_FALSE_FLAGS + 0.01), (0.9, 80, 0.3)]
    assert pick_none_threshold(rows) == 0.5  # more right answers at 0.7 and 0.9, over budget there
    assert pick_none_threshold([(0.3, 50, 0.2), (0.5, 60, 0.1), (0.7, 70, 0.12)]) == 0.5  # none within: fewest
    assert pick_none_threshold([(0.3, 60, 0.0), (0.5, 60, 0.0)]) == 0.3  # a tie: fewer flags


def test_the_false_flag_budget_is_held_by_the_rates_upper_bound_not_its_point_value():
    """4.5% false flags is within the 5% budget on 10,000 clean texts but not on 200: there the
    next sample's rate is above 5% too often (the bound, Wilson one-sided 95%, is 7.6%)."""
    from linernotes.fusion.fitting import MAX_FALSE_FLAGS, MIN_SOURCE_ITEMS, false_flag_bound

    assert MAX_FALSE_FLAGS == 0.05
    assert false_flag_bound(450, 10_000) <= MAX_FALSE_FLAGS < false_flag_bound(9, 200)
    assert false_flag_bound(9, 200) == pytest.approx(0.0758, abs=2e-4)  # Wilson by hand: z = 1.645
    assert 0.045 < false_flag_bound(450, 10_000) < 0.049
    # a source checked on its own can pass with no false flag (0 of 50 could not: 5.1%)
    assert false_flag_bound(0, MIN_SOURCE_ITEMS) <= MAX_FALSE_FLAGS < false_flag_bound(0, 50)
    assert false_flag_bound(0, 0) == 1.0


def test_calibrator_weights_move_the_map_towards_the_heavier_items():
    rng = np.random.default_rng(1)
    s = rng.random(600)
    right = (rng.random(600) < s).astype(float)
    heavy = right == 0  # wrong answers weigh 3x: the map must sit below the unweighted one
    plain, _ = calibrator(s, right)
    weighted, _ = calibrator(s, right, weights=np.where(heavy, 3.0, 1.0))
    grid = np.linspace(0.1, 0.9, 9)
    assert np.all(weighted(grid) <= plain(grid) + 1e-9) and weighted(grid).mean() < plain(grid).mean() - 0.05


def test_a_policy_model_with_character_ngrams_reads_its_columns_and_saves_as_format_2(tmp_path):
    import json

    from linernotes.fusion.artifact import (
        FORMAT,
        FieldFusion,
        FusionArtifact,
        FusionError,
        load_fusion,
        save_fusion,
    )
    from linernotes.fusion.estimators import Tfidf
    from linernotes.fusion.fitting import CHAR_TFIDF
    from linernotes.fusion.singlelabel import SingleLabelModel

    texts = ["you stupid f*ck", "f*ck off you idiot", "a calm review of the album", "the album is calm and warm"]
    words, _ = Tfidf.fit(texts, min_df=1)
    chars, _ = Tfidf.fit(texts, **{**CHAR_TFIDF, "min_df": 1})
    width = len(words.vocabulary) + len(chars.vocabulary) + 256 + 4  # + embedding + policy_dense with no clauses
    w = np.zeros(width)
    w[len(words.vocabulary) + chars.vocabulary["*c"]] = 50.0  # only a character n-gram says "insult"
    model = SingleLabelModel(features=["lexicon_any", "llm_explicit", "has_draft", "log_words"], clauses=[],
                             tfidf=words, char_tfidf=chars, scaler=Standardizer(mean=[0.0] * 4, scale=[1.0] * 4),
                             classifier=Linear(coef=[w.tolist()], intercept=[-5.0], classes=["insult", "none"]),
                             calibrator=Isotonic(x=[0, 1], y=[0, 1]), clause_for={"insult": "profanity.insult"})
    assert [r.shape for r in model.terms("f*ck")] == [(1, len(words.vocabulary)), (1, len(chars.vocabulary))]
    # classes[1] = none: the "*c" weight pushes P(none) up, so the n-gram moves the decision
    p_with = model.decide(Observation(Item(id="a", title="f*ck"), {}, None))[3]["none"]
    p_without = model.decide(Observation(Item(id="b", title="fuck"), {}, None))[3]["none"]
    assert p_with > 0.99 > p_without
    art = FusionArtifact(format=1, fields={"policy": FieldFusion(field="policy", kind="single_label", model=model,
                                                                threshold=None)})
    save_fusion(art, tmp_path)
    assert json.loads((tmp_path / "fusion.json").read_text())["format"] == FORMAT == 2
    assert load_fusion(tmp_path).fields["policy"].model.char_tfidf.vocabulary == chars.vocabulary
    old = json.loads((tmp_path / "fusion.json").read_text())
    del old["fields"]["policy"]["model"]["char_tfidf"]
    (tmp_path / "fusion.json").write_text(json.dumps({**old, "format": 1}))
    with pytest.raises(FusionError, match="coefficient rows of .451. columns, the design row has 286"):
        load_fusion(tmp_path)  # character columns without their vectorizer: refused, not misread
    coef = old["fields"]["policy"]["model"]["classifier"]["coef"]
    coef[0] = coef[0][: len(words.vocabulary)] + coef[0][len(words.vocabulary) + len(chars.vocabulary):]
    (tmp_path / "fusion.json").write_text(json.dumps({**old, "format": 1}))
    assert load_fusion(tmp_path).fields["policy"].model.char_tfidf is None  # format 1 (word terms only) still reads
