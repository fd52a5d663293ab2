"""Negation scope marking (tools.text.negation) and the TF-IDF terms it makes."""

import json

import pytest

from linernotes.fusion.estimators import Tfidf
from linernotes.tools.text.negation import mark_negation


@pytest.mark.parametrize(("text", "marked"), [
    ("not good", "not neg_good"),
    ("This is NOT good, but the ending is great.", "this is not neg_good , but the ending is great ."),
    ("I don't like it at all", "i don't neg_like neg_it neg_at neg_all"),
    ("I don’t like it", "i don’t neg_like neg_it"),  # a typographic apostrophe is a cue too
    ("never again! Loved the rest", "never neg_again ! loved the rest"),
    ("no no no", "no neg_no neg_no"),  # a cue inside a scope keeps it open (and is marked)
    ("Without doubt (the best) film", "without neg_doubt ( the best ) film"),
    ("", ""),
    ("   ", ""),
    ("😡 ?!", "? !"),  # characters outside words and clause punctuation are dropped, as the tokenizer drops them
    ("nothing", "nothing"),
    ("Notable and knotty", "notable and knotty"),  # words that only contain a cue are not cues
])
def test_words_between_a_cue_and_the_next_clause_punctuation_are_marked(text, marked):
    assert mark_negation(text) == marked


def test_negated_words_are_their_own_tfidf_terms_and_survive_the_artifact():
    texts = ["good film", "not good film", "bad film", "not bad at all", "good", "good"]
    plain = Tfidf.fit(texts, min_df=1)[0]
    marked, matrix = Tfidf.fit(texts, min_df=1, negation=True)
    assert "neg_good" in marked.vocabulary and "neg_good" not in plain.vocabulary
    assert marked.params["negation"] is True  # stored as the flag: the artifact stays plain JSON
    back = Tfidf.model_validate_json(json.dumps(marked.model_dump(mode="json")))
    good, not_good = back.transform(["good"]), back.transform(["NOT good"])
    assert good.indices.tolist() == [back.vocabulary["good"]]
    assert back.vocabulary["neg_good"] in not_good.indices and back.vocabulary["good"] not in not_good.indices
    assert (back.transform(texts) != matrix).nnz == 0  # fitted rows = rows of the loaded model


def test_negation_marking_refuses_another_analyzer():
    with pytest.raises(ValueError, match="word analyzer"):
        Tfidf.fit(["not good"], min_df=1, negation=True, analyzer="char_wb")
