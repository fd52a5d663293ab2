"""A fusion artifact whose field holds another field's combiner (an entry copied under another key,
a combiner of the wrong kind) is refused at load, naming the field (found by QA, session 14).
Before, a policy combiner under ``valence`` loaded and failed every tagged item
("internal.TypeError: float() argument must be a string or a real number, not 'NoneType'"), and a
valence combiner under ``policy`` was used silently."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from linernotes.fusion.artifact import FusionError, default_fusion_dir, load_fusion


@pytest.fixture(scope="module")
def shipped() -> dict:
    src = default_fusion_dir() / "fusion.json"
    if not src.is_file():
        pytest.skip("no shipped fusion artifact in this checkout")
    return json.loads(src.read_text(encoding="utf-8"))


@pytest.mark.parametrize(("edit", "said"), [
    (lambda f: {"valence": f["policy"]}, "fields.valence: holds the combiner of field 'policy'"),
    (lambda f: {"policy": {**f["valence"], "field": "policy"}},
     "fields.policy: a scalar combiner; the policy field takes a single_label one"),
    (lambda f: {"genres": {**f["policy"], "field": "genres"}},
     "fields.genres: a single_label combiner; the genres field takes a multilabel one"),
])
def test_another_fields_combiner_is_refused_naming_the_field(tmp_path: Path, shipped: dict, edit, said: str) -> None:
    data = {**shipped, "fields": edit(shipped["fields"])}
    (tmp_path / "fusion.json").write_text(json.dumps(data), encoding="utf-8")
    with pytest.raises(FusionError) as e:
        load_fusion(tmp_path)
    assert str(e.value) == f"{tmp_path / 'fusion.json'}: not a valid fusion artifact: Value error, {said}"


def test_the_shipped_artifact_and_a_subset_of_it_load(tmp_path: Path, shipped: dict) -> None:
    assert set(load_fusion(default_fusion_dir()).fields) == {"genres", "valence", "policy"}
    (tmp_path / "fusion.json").write_text(json.dumps({**shipped, "fields": {"policy": shipped["fields"]["policy"]}}),
                                          encoding="utf-8")
    assert set(load_fusion(tmp_path).fields) == {"policy"}
