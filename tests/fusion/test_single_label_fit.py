"""The single-label fit: the regularisation chosen by inner cross-validation is stored and used;
the optional neighbour vote (fusion.neighbours): what it computes, that a training item's vote
never counts its own row (as at tag time, where the item is not in the index), and that the
fitted artifact carries the index and uses it when tagging."""

from __future__ import annotations

import numpy as np
import pytest

from linernotes.fusion.features import embed
from linernotes.fusion.fitting import fit_single_label
from linernotes.fusion.neighbours import LabeledIndex, vote
from linernotes.fusion.observation import Observation
from linernotes.fusion.singlelabel import SingleLabelModel
from linernotes.schema import Item


def test_vote_is_the_similarity_weighted_share_of_the_k_nearest():
    sims = np.array([[0.9, 0.6, 0.3, -0.2], [0.1, 0.2, 0.8, 0.7]])
    codes = np.array([0, 1, 1, 0])
    out = vote(sims, codes, 2, k=3)
    # row 0: nearest 0.9 (class 0), 0.6 and 0.3 (class 1); row 1: 0.8 (1), 0.7 (0), 0.2 (1)
    assert out[0] == pytest.approx([0.9 / 1.8, 0.9 / 1.8, 0.9])
    assert out[1] == pytest.approx([0.7 / 1.7, 1.0 / 1.7, 0.8])
    # negative similarities weigh nothing; a row with no positive weight votes 0 for every class
    assert vote(np.array([[-0.5, -0.1]]), np.array([0, 1]), 2, k=2)[0] == pytest.approx([0.0, 0.0, -0.1])


def test_an_excluded_row_is_not_its_own_neighbour():
    emb = np.eye(3, dtype=np.float32)
    index = LabeledIndex.build(emb, ["a", "b", "b"], ["a", "b"], k=2)
    with_self = index.vote(emb[:1])
    without = index.vote(emb[:1], exclude=[0])
    assert with_self[0, 0] == 1.0 and with_self[0, -1] == 1.0
    assert without[0, 0] == 0.0 and without[0, -1] == 0.0  # only the orthogonal "b" rows are left
    # stored as float32 base64 and read back the same (the artifact is JSON)
    again = LabeledIndex.model_validate_json(index.model_dump_json())
    assert np.array_equal(again.matrix(), index.matrix())


TOPICS = {
    "threat": ["I will hurt you badly", "you are going to get hurt", "watch your back or else",
               "I know where you live and I will come", "you will regret this, I'll make sure"],
    "insult": ["you are a stupid idiot", "what a worthless fool you are", "you are pathetic and dumb",
               "nobody likes you, loser", "you absolute clown"],
}


def _data():
    obs, labels = [], []
    for n in range(4):
        for label, texts in TOPICS.items():
            for j, t in enumerate(texts):
                obs.append(Observation(Item(id=f"{label}{n}{j}", description=f"{t} number {n}"), {}, None))
                labels.append(label)
    clean = ["a calm song about the sea and the summer", "ambient album recorded in Berlin in 2019",
             "the committee met on Tuesday to discuss the budget", "a jazz record with piano and bass"]
    for n in range(10):
        for j, t in enumerate(clean):
            obs.append(Observation(Item(id=f"c{n}{j}", description=f"{t} part {n}"), {}, None))
            labels.append("none")
    return obs, labels


CLAUSE_FOR = {"threat": "violence.threat", "insult": "profanity.insult"}


@pytest.fixture(scope="module")
def fitted():
    obs, labels = _data()
    model, oof = fit_single_label(obs, labels, None, [], CLAUSE_FOR, k=3, seed=0, neighbours=3)
    return obs, labels, model, oof


def test_the_regularisation_is_chosen_by_inner_cross_validation_stored_and_used():
    """A C so small that every class's probability is its prior answers every unsafe item
    ``none`` (or one class); the inner folds must see that and pick the usable C, and the final
    classifier must be the one fitted with it."""
    obs, labels = _data()
    model, oof = fit_single_label(obs, labels, None, [], CLAUSE_FOR, options=((1e-6, 1.0), (4.0, 1.0)), k=3, seed=0)
    assert model.regularisation == 4.0 and model.dense_weight == 1.0
    only, _ = fit_single_label(obs, labels, None, [], CLAUSE_FOR, options=((4.0, 1.0),), k=3, seed=0)
    assert np.allclose(model.classifier.coef, only.classifier.coef)
    weak, _ = fit_single_label(obs, labels, None, [], CLAUSE_FOR, options=((1e-6, 1.0),), k=3, seed=0)
    assert weak.regularisation == 1e-6 and not np.allclose(weak.classifier.coef, only.classifier.coef)
    assert np.mean([oof.values[i] == lab for i, lab in enumerate(labels)]) > 0.8


def test_training_votes_leave_the_item_out(fitted):
    """The final model's scaler was fitted on its training rows' dense features; their vote
    columns must be the leave-one-out votes (an item in its own index would see itself at
    similarity 1 and its own label)."""
    obs, labels, model, _ = fitted
    index = model.neighbours
    assert index is not None and index.classes == ["insult", "threat"] and "none" not in index.labels
    emb = embed([o.prose for o in obs])
    unsafe = [i for i, lab in enumerate(labels) if lab != "none"]
    row = {i: r for r, i in enumerate(unsafe)}
    loo = index.vote(emb, [row.get(i, -1) for i in range(len(obs))])
    width = len(index.names())
    assert np.allclose(model.scaler.mean[-width:], loo.mean(axis=0))
    assert not np.allclose(model.scaler.mean[-width:], index.vote(emb).mean(axis=0))


def test_the_artifact_carries_the_index_and_tagging_uses_it(fitted):
    obs, _, model, oof = fitted
    assert model.features[-3:] == ["neighbours:insult", "neighbours:threat", "neighbours_best_similarity"]
    again = SingleLabelModel.model_validate_json(model.model_dump_json())
    probe = Observation(Item(id="p", description="you stupid worthless idiot, I will find you"), {}, None)
    assert again.decide(probe) == model.decide(probe)
    blind = again.model_copy(update={"neighbours": None})
    with pytest.raises(ValueError):  # the classifier was fitted with the vote columns
        blind.decide(probe)
    right = np.mean([oof.values[i] == lab for i, lab in enumerate(fitted[1])])
    assert right > 0.8


def test_the_false_flag_budget_is_checked_per_clean_source_not_per_fold_group():
    """Q9: the fit passed its fold groups (a negative's album) as the clean sources, so Bandcamp
    metadata, split into albums of a few tracks, was never checked on its own; only the NYT
    prose (one group) was. With ``sources`` each clean source of MIN_SOURCE_ITEMS rows counts."""
    import numpy as np

    from linernotes.fusion.fitting import MIN_SOURCE_ITEMS, checked_sources

    n_meta, n_prose = 3 * MIN_SOURCE_ITEMS, MIN_SOURCE_ITEMS
    clean = np.array([False] * 10 + [True] * (n_meta + n_prose))
    albums = [None] * 10 + [f"negatives:album-{j // 5}" for j in range(n_meta)] + ["negatives:nyt"] * n_prose
    by_album = checked_sources(clean, albums)
    assert [len(a) for a in by_album] == [n_prose]  # the old grouping: metadata unchecked
    source = [None] * 10 + ["bandcamp-genres"] * n_meta + ["vader-valence"] * n_prose
    checked = checked_sources(clean, source)
    assert sorted(len(a) for a in checked) == [n_prose, n_meta]
    assert all(clean[a].all() for a in checked)
    assert [len(a) for a in checked_sources(clean, None)] == [n_meta + n_prose]


def test_the_dense_weight_is_in_the_stored_scaler_and_tag_time_applies_it():
    """A (C, dense weight) option scales the standardized clause-evidence columns against the
    text columns; the artifact carries the weight in its scaler, so the stored classifier's
    probabilities at tag time are those of a logistic regression fitted on the weighted design.
    Checked against scikit-learn directly, and against a weight-1 fit of the same data."""
    from scipy import sparse
    from sklearn.linear_model import LogisticRegression
    from sklearn.preprocessing import StandardScaler

    from linernotes.fusion.features import policy_dense

    obs, labels = _data()
    clauses = ["violence.threat", "profanity.insult"]
    weighted, _ = fit_single_label(obs, labels, None, clauses, CLAUSE_FOR, options=((16.0, 0.05),), k=3, seed=0)
    plain, _ = fit_single_label(obs, labels, None, clauses, CLAUSE_FOR, options=((16.0, 1.0),), k=3, seed=0)
    assert weighted.dense_weight == 0.05 and weighted.regularisation == 16.0 and plain.dense_weight == 1.0
    assert np.allclose(np.array(weighted.scaler.scale), np.array(plain.scaler.scale) / 0.05)
    assert np.allclose(weighted.scaler.mean, plain.scaler.mean)

    dense = np.vstack([policy_dense(o, clauses) for o in obs])
    texts = [o.prose for o in obs]
    X = sparse.hstack([weighted.tfidf.transform(texts), weighted.char_tfidf.transform(texts), embed(texts),
                       StandardScaler().fit_transform(dense) * 0.05]).tocsr()
    reference = LogisticRegression(C=16.0, max_iter=3000).fit(X, labels)
    probs = np.array([[d[3][c] for c in weighted.classifier.classes] for d in weighted.decide_many(obs)])
    assert list(reference.classes_) == weighted.classifier.classes
    assert np.allclose(probs, reference.predict_proba(X), atol=2e-4)  # decide_many rounds to 4 decimals
    other = np.array([[d[3][c] for c in plain.classifier.classes] for d in plain.decide_many(obs)])
    assert not np.allclose(probs, other, atol=1e-3)


def test_a_scaler_weight_multiplies_the_standardized_columns():
    from linernotes.fusion.estimators import Standardizer

    X = np.array([[0.0, 1.0], [2.0, 3.0], [4.0, 8.0]])
    s = Standardizer.fit(X)
    assert np.allclose(s.weighted(0.25).transform(X), 0.25 * s.transform(X))
    with pytest.raises(ValueError, match="must be > 0"):
        s.weighted(0.0)
