"""A fusion artifact whose TF-IDF vocabulary does not index its idf columns one to one (an index
past the last column, two n-grams on one column, a column nobody has) is refused at load, naming
the file and key. Before, it loaded and every tagged item became an ``internal.ValueError`` error
record ("Vocabulary of size 768 doesn't contain index 767")."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from pydantic import ValidationError

from linernotes.fusion.artifact import FusionError, default_fusion_dir, load_fusion
from linernotes.fusion.estimators import Tfidf

TEXTS = ["a fine day in the sun", "a dark day in the rain", "the sun and the rain", "a fine rain"]


@pytest.mark.parametrize("edit", [
    lambda v: v.update({"zzz": len(v)}),              # one past the last column
    lambda v: v.update({"zzz": 10**7}),               # far outside
    lambda v: v.update({next(iter(v)): v[sorted(v)[-1]]}),  # two n-grams on one column, one column empty
    lambda v: v.pop(next(iter(v))),                   # a column with no n-gram
])
def test_a_vocabulary_that_does_not_index_the_idf_is_refused(edit) -> None:
    model, _ = Tfidf.fit(TEXTS, min_df=1)
    data = model.model_dump()
    assert Tfidf.model_validate(data).transform(["a fine day"]).shape == (1, len(data["idf"]))
    edit(data["vocabulary"])
    with pytest.raises(ValidationError, match="TF-IDF vocabulary: .* idf columns; each column 0..[0-9]+ must be "
                                              "exactly one n-gram's"):
        Tfidf.model_validate(data)


def test_an_artifact_with_such_a_vocabulary_is_refused_naming_the_file(tmp_path: Path) -> None:
    src = default_fusion_dir() / "fusion.json"
    if not src.is_file():
        pytest.skip("no shipped fusion artifact in this checkout")
    data = json.loads(src.read_text(encoding="utf-8"))
    vocab = data["fields"]["policy"]["model"]["tfidf"]["vocabulary"]
    vocab["zzz-not-an-ngram"] = 10**7
    (tmp_path / "fusion.json").write_text(json.dumps(data), encoding="utf-8")
    with pytest.raises(FusionError, match=r"fusion.json: not a valid fusion artifact: fields.policy.model.single_label"
                                          r".tfidf: Value error, TF-IDF vocabulary: "):
        load_fusion(tmp_path)
