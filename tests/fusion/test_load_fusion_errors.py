"""A fusion artifact that cannot be read is refused with one line naming the file, where and why."""

from __future__ import annotations

import copy
import json

import pytest

from linernotes.fusion.artifact import FusionError, load_fusion


@pytest.mark.parametrize(("raw", "reason"), [
    # a cut file: pydantic said "not a valid fusion artifact: : Invalid JSON"
    (b'{"format": 2, "fields": {"genres": {"kind": "mul', "line 1 column 45: Unterminated string"),
    (b'{"format": 2,\n "fields": {"genres": {"kind": "multilabel",}}}', "line 2 column 45: Expecting property name"),
    (b"", "line 1 column 1: Expecting value"),
    (b"\xff\xfe{}", "byte 0: not UTF-8 text"),
    (b"[1, 2]", "not a valid fusion artifact: Input should be an object"),
    (b'{"format": "two"}', "not a valid fusion artifact: format: Input should be a valid integer"),
    (b'{"format": NaN}', "not a valid fusion artifact: format: Input should be a finite number"),
])
def test_a_bad_artifact_names_file_position_and_reason(tmp_path, raw, reason):
    (tmp_path / "fusion.json").write_bytes(raw)
    with pytest.raises(FusionError) as err:
        load_fusion(tmp_path)
    msg = str(err.value)
    assert msg.startswith(f"{tmp_path / 'fusion.json'}: not a valid fusion artifact: "), msg
    assert reason in msg
    assert ": :" not in msg and "\n" not in msg


def _halve(model: dict, key: str) -> None:
    model[key] = model[key][: len(model[key]) // 2]


@pytest.fixture(scope="module")
def shipped_doc():
    from linernotes.fusion.artifact import default_fusion_dir

    return json.loads((default_fusion_dir() / "fusion.json").read_bytes())


def _damaged(tmp_path, doc, damage):
    """A copy of the shipped artifact with one damage applied to its parsed JSON."""
    doc = copy.deepcopy(doc)
    damage(doc)
    (tmp_path / "fusion.json").write_text(json.dumps(doc))  # json.dumps writes NaN as NaN
    return tmp_path


@pytest.mark.parametrize(("damage", "reason"), [
    (lambda d: d.pop("fields"), "fields: no fitted field"),
    (lambda d: d.update(fields={}), "fields: no fitted field"),
    (lambda d: d["fields"]["genres"].update(kind="banana"), "kind 'banana' is not its model's ('multilabel')"),
    (lambda d: d["fields"]["valence"].update(kind="multilabel"), "is not its model's ('scalar')"),
    (lambda d: d["fields"]["genres"].update(threshold=5.0), "fields.genres.threshold: Input should be less than"),
    (lambda d: d["fields"]["policy"].update(flag_threshold=-0.1), "fields.policy.flag_threshold: Input should be"),
    (lambda d: d["fields"]["valence"].update(target_precision=0), "fields.valence.target_precision"),
    (lambda d: d["fields"]["valence"]["model"]["range"].__setitem__(1, float("nan")),
     "fields.valence.model.scalar: Value error, range [-1.0, nan] must be [low, high]"),
    (lambda d: d["fields"]["valence"]["model"]["regressor"]["intercept"].__setitem__(0, float("nan")),
     "fields.valence.model.regressor.intercept.0: not a finite number"),
    (lambda d: d["fields"]["policy"]["model"]["scaler"]["mean"].__setitem__(0, float("-inf")),
     "fields.policy.model.scaler.mean.0: not a finite number"),
    # sizes that do not fit the design row: each failed every item at tag time, or was ignored
    (lambda d: _halve(d["fields"]["valence"]["model"], "features"), "fields.valence.model.scalar: Value error, features"),
    (lambda d: _halve(d["fields"]["policy"]["model"], "features"), "fields.policy.model.single_label: Value error, features"),
    (lambda d: _halve(d["fields"]["genres"]["model"], "features"), "do not match the"),
    (lambda d: d["fields"]["valence"]["model"]["scaler"]["mean"].pop(), "fields.valence.model.scalar.scaler: Value error, scaler: 8 means but 9 scales"),
    (lambda d: d["fields"]["valence"]["model"]["confidence"]["coef"][0].pop(),
     "valence confidence model: coefficient rows"),
    (lambda d: d["fields"]["policy"]["model"]["classifier"]["coef"][0].pop(), "policy classifier: coefficient rows"),
    (lambda d: d["fields"]["policy"]["model"]["classifier"]["classes"].remove("none"), "(must hold 'none')"),
    (lambda d: d["fields"]["policy"]["model"]["calibrator"]["y"].pop(), "isotonic map: x and y of one length"),
    (lambda d: d["fields"]["valence"]["model"].update(range=[1.0, -1.0]), "must be [low, high]"),
    # QA session 24: a damaged tree was named by the linear model's missing key
    # ('classifier.Linear.coef: Field required'), and a huge depth loaded and hung liner tag
    (lambda d: d["fields"]["genres"]["model"]["classifier"]["left"][0].__setitem__(0, 10**6),
     "fields.genres.model.multilabel.classifier.trees: Value error, tree 0: a child index outside its"),
    (lambda d: d["fields"]["genres"]["model"]["classifier"].update(depth=10**9),
     "classifier.trees: Value error, depth 1000000000: the trees' deepest leaf is 12 steps from its root"),
])
def test_a_damaged_artifact_is_refused_naming_the_key(tmp_path, shipped_doc, damage, reason):
    """Found by a new user: with ``fields`` removed ``liner tag --fusion`` ran uncalibrated under
    the artifact's hash; a NaN in a model failed every item without naming the artifact."""
    folder = _damaged(tmp_path, shipped_doc, damage)
    with pytest.raises(FusionError) as err:
        load_fusion(folder)
    msg = str(err.value)
    assert msg.startswith(f"{folder / 'fusion.json'}: not a valid fusion artifact: "), msg
    assert reason in msg, msg


def test_a_nan_inside_a_string_is_no_number(tmp_path, shipped_doc):
    """The token search only triggers the walk: 'NaN' in a card's text is not a damaged number."""
    folder = _damaged(tmp_path, shipped_doc, lambda d: d["fields"]["genres"]["card"].update(note="NaN and Infinity are words"))
    assert set(load_fusion(folder).fields) == {"genres", "policy", "valence"}


def test_a_context_calibrator_is_written_as_format_3_so_older_readers_refuse_it(tmp_path, artifact):
    """A format-2 reader would drop ``calibrator_context`` (an unknown key) and give the isotonic
    confidence instead; format 3 makes it refuse. Without one the artifact stays format 2."""
    import numpy as np

    from linernotes.fusion import multilabel as ml
    from linernotes.fusion.artifact import FORMAT, FORMAT_CONTEXT_CALIBRATOR, save_fusion
    from linernotes.fusion.estimators import ContextLogistic

    rng = np.random.default_rng(0)
    context = rng.normal(size=(60, len(ml.CONTEXT_FEATURES)))
    cal = ContextLogistic.fit(ml.CONTEXT_FEATURES, context, (context[:, 0] > 0).astype(float))
    plain = artifact.model_copy(deep=True)
    # without the maps by index size (format 4, test_index_size_calibration), as artifacts before them
    plain.fields["genres"].model = plain.fields["genres"].model.model_copy(update={"calibrator_by_size": None})
    # and without the valence field, whose negation-marked and character terms are format 5
    del plain.fields["valence"]
    # and with no fitted length on the policy field (format 6, test_policy_long_text)
    plain.fields["policy"].model = plain.fields["policy"].model.model_copy(update={"max_words": None})
    save_fusion(plain, tmp_path / "plain")
    with_ctx = plain.model_copy(deep=True)
    genres = with_ctx.fields["genres"]
    genres.model = genres.model.model_copy(update={"calibrator_context": cal})
    save_fusion(with_ctx, tmp_path / "ctx")
    assert json.loads((tmp_path / "plain" / "fusion.json").read_bytes())["format"] == FORMAT == 2
    assert json.loads((tmp_path / "ctx" / "fusion.json").read_bytes())["format"] == FORMAT_CONTEXT_CALIBRATOR == 3
    back = load_fusion(tmp_path / "ctx")
    assert back.fields["genres"].model.calibrator_context.model_dump() == cal.model_dump()
