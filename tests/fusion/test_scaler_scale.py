"""A fusion artifact whose scaler holds a scale of 0 or less is refused at load (breaker19): a
fitted StandardScaler writes 1 for a constant column, and a hand-edited 0 divided every item's
column by zero, so each item failed at tag time with 'confidence <= 1 [nan]'."""

from __future__ import annotations

import json
import shutil

import pytest

from linernotes.fusion.artifact import FusionError, default_fusion_dir, load_fusion


@pytest.mark.parametrize(("field", "key", "value"), [
    ("valence", "scaler", 0.0),
    ("valence", "confidence_scaler", -1.0),
    ("policy", "scaler", 0.0),
])
def test_a_scale_that_is_no_positive_number_is_refused_naming_it(tmp_path, field, key, value) -> None:
    shutil.copytree(default_fusion_dir(), tmp_path / "f")
    path = tmp_path / "f" / "fusion.json"
    doc = json.loads(path.read_text())
    doc["fields"][field]["model"][key]["scale"][0] = value
    path.write_text(json.dumps(doc))
    with pytest.raises(FusionError, match=r"scale\[0\] is"):
        load_fusion(tmp_path / "f")


def test_a_scaler_whose_means_and_scales_differ_in_length_is_refused(tmp_path) -> None:
    shutil.copytree(default_fusion_dir(), tmp_path / "f")
    path = tmp_path / "f" / "fusion.json"
    doc = json.loads(path.read_text())
    doc["fields"]["valence"]["model"]["scaler"]["scale"].append(1.0)
    path.write_text(json.dumps(doc))
    with pytest.raises(FusionError, match="means but"):
        load_fusion(tmp_path / "f")


def test_the_shipped_artifact_loads() -> None:
    art = load_fusion(default_fusion_dir())
    assert all(s > 0 for s in art.get("valence").model.scaler.scale)
