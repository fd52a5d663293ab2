"""A fusion.json is refused at load when it holds a key its models do not have (a misspelt
``"reveiw_threshold"`` was dropped without a word: the field kept its fitted threshold), or a
quoted number in a fitted array (``"1_0"`` read as 10 by pydantic's lax float, session 24's
leftover: ``TextNumbers`` did not reach the estimators), naming the file and the key path. QA
session 24 leftovers. The shipped artifact loads as before; a newer format's new key is told as
the newer format it is."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest

from linernotes.fusion.artifact import FusionError, default_fusion_dir, load_fusion


@pytest.fixture(scope="module")
def shipped_doc() -> dict[str, Any]:
    return json.loads((default_fusion_dir() / "fusion.json").read_bytes())


def _refusal(tmp_path: Path, doc: dict[str, Any], edit: Any) -> str:
    doc = copy.deepcopy(doc)
    edit(doc)
    (tmp_path / "fusion.json").write_text(json.dumps(doc), encoding="utf-8")
    with pytest.raises(FusionError) as err:
        load_fusion(tmp_path)
    msg = str(err.value)
    assert msg.startswith(f"{tmp_path / 'fusion.json'}: ") and "\n" not in msg, msg
    return msg


def _policy(doc: dict[str, Any]) -> dict[str, Any]:
    return doc["fields"]["policy"]["model"]


MISSPELT = {
    "top": (lambda d: d.update(fit_comand="x"), "fit_comand"),
    "field": (lambda d: d["fields"]["policy"].update(reveiw_threshold=0.5), "fields.policy.reveiw_threshold"),
    "model": (lambda d: _policy(d).update(none_treshold=0.9), "fields.policy.model.single_label.none_treshold"),
    "estimator": (lambda d: _policy(d)["scaler"].update(means=[0.0]), "fields.policy.model.single_label.scaler.means"),
    "window rule": (lambda d: _policy(d)["window_rule"].update(budjet=0.5),
                    "fields.policy.model.single_label.window_rule.budjet"),
    "genres model": (lambda d: d["fields"]["genres"]["model"].update(treshold=0.5),
                     "fields.genres.model.multilabel.treshold"),
    "valence model": (lambda d: d["fields"]["valence"]["model"].update(tolerence=0.2),
                      "fields.valence.model.scalar.tolerence"),
}


@pytest.mark.parametrize("where", list(MISSPELT))
def test_a_misspelt_key_is_refused_naming_its_path(tmp_path: Path, shipped_doc: dict[str, Any], where: str) -> None:
    edit, path = MISSPELT[where]
    msg = _refusal(tmp_path, shipped_doc, edit)
    assert f"not a valid fusion artifact: {path}: no such key (misspelt?" in msg, msg


@pytest.mark.parametrize(("text", "said"), [
    ("1_0", "not the quoted text '1_0': '_' is not allowed in a number"),
    ("0.2_5", "not the quoted text '0.2_5': '_' is not allowed"),
    ("0.5", "not the quoted text '0.5'"),
])
def test_a_quoted_number_in_a_fitted_array_is_refused(tmp_path: Path, shipped_doc: dict[str, Any], text: str,
                                                       said: str) -> None:
    arrays = [lambda d: _policy(d)["classifier"]["intercept"],
              lambda d: _policy(d)["scaler"]["mean"],
              lambda d: _policy(d)["tfidf"]["idf"],
              lambda d: d["fields"]["valence"]["model"]["scaler"]["scale"]]
    for n, array in enumerate(arrays):
        folder = tmp_path / str(n)
        folder.mkdir()
        msg = _refusal(folder, shipped_doc, lambda d, a=array: a(d).__setitem__(0, text))
        assert said in msg and ".0: Input should be a valid number" in msg, msg


def test_a_hand_set_number_of_the_policy_model_refuses_underscores(tmp_path: Path,
                                                                    shipped_doc: dict[str, Any]) -> None:
    msg = _refusal(tmp_path, shipped_doc, lambda d: _policy(d).update(none_threshold="0.2_5"))
    assert "single_label.none_threshold: Value error, '0.2_5' is not a number: '_' is not allowed" in msg, msg


def test_a_newer_formats_new_key_is_told_as_the_newer_format(tmp_path: Path, shipped_doc: dict[str, Any]) -> None:
    msg = _refusal(tmp_path, shipped_doc, lambda d: (d.update(format=99), d["fields"]["policy"].update(later=1)))
    assert "fusion format 99, this linernotes reads" in msg and "upgrade linernotes" in msg, msg


def test_the_shipped_artifact_and_a_refit_copy_load(tmp_path: Path, shipped_doc: dict[str, Any]) -> None:
    art = load_fusion(default_fusion_dir())
    assert set(art.fields) == {"genres", "policy", "valence"}
    from linernotes.fusion.artifact import save_fusion

    save_fusion(art, tmp_path)  # what liner fit writes reads back under the strict models
    assert load_fusion(tmp_path).fields.keys() == art.fields.keys()
