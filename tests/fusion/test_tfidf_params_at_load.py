"""A fusion artifact whose TF-IDF parameters would not make the vectorizer a fit made (a hand-edited
``negation``, an unknown key, a bad analyzer or n-gram range), or whose format is older than what
it carries (format 4 with the valence's negation-marked or character terms), is refused at load
naming the key; ``liner tag --fusion`` exits 2. Before (QA qa-valence17): ``"negation": "false"``
marked negation (a non-empty string is true), ``"negation": 1`` and a format-4 file with
``char_tfidf`` loaded, and an unknown key, ``"analyzer": "banana"`` or negation on the character
n-grams loaded and then failed every item at tag time (internal.ValueError / TypeError records)."""

from __future__ import annotations

import copy
import json

import pytest
from pydantic import ValidationError

from linernotes.fusion.artifact import FusionError, default_fusion_dir, load_fusion
from linernotes.fusion.estimators import Tfidf

TEXTS = ["not a fine day", "a dark day in the rain", "the sun and the rain", "a fine rain"]


@pytest.mark.parametrize(("edit", "reason"), [
    (lambda p: p.update(negation="false"), "params.negation: 'false' is not true or false"),
    (lambda p: p.update(negation=1), "params.negation: 1 is not true or false"),
    (lambda p: p.update(negation=None), "params.negation: None is not true or false"),
    (lambda p: p.update(negation=True, analyzer="char_wb"), "params.negation: marking needs the word analyzer"),
    (lambda p: p.update(banana=1), "params.banana: not a TfidfVectorizer parameter"),
    (lambda p: p.update(negation=False, analyzer="banana"), "The 'analyzer' parameter of TfidfVectorizer must be"),
    (lambda p: p.update(sublinear_tf="no"), "The 'sublinear_tf' parameter of TfidfVectorizer must be"),
    (lambda p: p.update(ngram_range=[5, 2]), "lower boundary larger than the upper boundary"),
    (lambda p: p.update(ngram_range="1,2"), "params.ngram_range: '1,2' is not [low, high]"),
    (lambda p: p.pop("ngram_range"), "params.ngram_range: missing"),
    (lambda p: p.update(input="filename"), "params.input: 'filename'; only 'content' is read"),
])
def test_tfidf_params_a_fit_would_not_make_are_refused_naming_the_key(edit, reason):
    model, _ = Tfidf.fit(TEXTS, min_df=1, negation=True)
    data = model.model_dump(mode="json")
    assert Tfidf.model_validate(data).transform(["not fine"]).nnz == 2  # as fitted: it loads and transforms
    edit(data["params"])
    with pytest.raises(ValidationError) as err:
        Tfidf.model_validate(data)
    assert reason in str(err.value), str(err.value)


@pytest.mark.parametrize("negation", [True, False])
def test_a_boolean_negation_loads(negation):
    model, _ = Tfidf.fit(TEXTS, min_df=1, negation=negation)
    back = Tfidf.model_validate_json(json.dumps(model.model_dump(mode="json")))
    assert back.params["negation"] is negation


@pytest.fixture(scope="module")
def valence_text_doc():
    """The shipped artifact with the valence's word terms negation-marked (format 5 content; the
    same vocabulary, so the design row still fits)."""
    src = default_fusion_dir() / "fusion.json"
    if not src.is_file():
        pytest.skip("no shipped fusion artifact in this checkout")
    doc = json.loads(src.read_bytes())
    doc["fields"]["valence"]["model"]["tfidf"]["params"]["negation"] = True
    doc["fields"]["policy"]["model"].pop("max_words", None)  # format 6 content (test_policy_long_text)
    doc["format"] = 5
    return doc


def _write(tmp_path, doc, damage):
    tmp_path.mkdir(exist_ok=True)
    doc = copy.deepcopy(doc)
    damage(doc)
    (tmp_path / "fusion.json").write_text(json.dumps(doc))
    return tmp_path


@pytest.mark.parametrize(("damage", "reason"), [
    (lambda d: d.update(format=4), r"fields\.valence\.model\.(char_tfidf|tfidf\.params\.negation): needs format 5, "
                                   r"the file says format 4"),
    (lambda d: d["fields"]["valence"]["model"]["tfidf"]["params"].update(negation="false"),
     r"fields\.valence\.model\.scalar\.tfidf: Value error, TF-IDF params\.negation: 'false' is not true or false"),
    (lambda d: d["fields"]["policy"]["model"]["char_tfidf"]["params"].update(negation=True),
     r"fields\.policy\.model\.single_label\.char_tfidf: Value error, TF-IDF params\.negation: marking needs"),
])
def test_an_artifact_with_such_text_terms_is_refused_at_load(tmp_path, valence_text_doc, damage, reason):
    folder = _write(tmp_path, valence_text_doc, damage)
    with pytest.raises(FusionError, match=rf"^{json.dumps(str(folder / 'fusion.json'))[1:-1]}: not a valid fusion "
                                          rf"artifact: {reason}"):
        load_fusion(folder)


def test_liner_tag_refuses_it_with_exit_2(tmp_path, valence_text_doc, liner_in_process, repo_root):
    folder = _write(tmp_path / "fusion", valence_text_doc, lambda d: d.update(format=4))
    r = liner_in_process(["tag", repo_root / "examples" / "catalog.jsonl", "-o", tmp_path / "out.jsonl", "--llm", "never",
                          "--fusion", folder])
    assert r.returncode == 2, r.stderr
    assert "needs format 5, the file says format 4" in r.stderr and "fusion.json" in r.stderr
    assert not (tmp_path / "out.jsonl").exists() or not (tmp_path / "out.jsonl").read_text().strip()


@pytest.mark.parametrize("alpha", [0, -1.0])
def test_a_ridge_alpha_that_is_no_penalty_is_refused_naming_the_key(tmp_path, valence_text_doc, alpha):
    """``regularisation`` records the alpha the fit chose (> 0 by ridge's definition); a hand-edited
    0 or negative value loaded as if fitted (before)."""
    folder = _write(tmp_path, valence_text_doc, lambda d: d["fields"]["valence"]["model"].update(regularisation=alpha))
    with pytest.raises(FusionError, match=r"fields\.valence\.model\.scalar\.regularisation: Input should be greater "
                                          r"than 0"):
        load_fusion(folder)
