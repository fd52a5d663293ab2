"""Numbers of a fitted signal model that no fit writes are refused at load, naming the file.

A fusion folder from someone else is read by ``liner tag --fusion DIR``; its
``signals/<name>.json`` passed the load when its review threshold was NaN, -3 or 5 (a NaN or a
negative level never routes the signal to review: nothing is below it; 5 routes every item), and
a zero in ``scale`` (features are divided by it) failed every item with 'confidence: Input
should be less than or equal to 1 [input_value=nan]' (exit 1, one error record per item).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from linernotes.fusion.artifact import FusionError
from linernotes.signals.fit import open_models
from tests.signals.test_signal_model_file import (  # noqa: F401  (fitted: a fixture)
    _damaged,
    _json_edit,
    fitted,
    tag_refused,
)

DAMAGE = {
    "rude threshold NaN": ("rude", lambda t: json.dumps({**json.loads(t), "threshold": float("nan")}),
                           r"threshold nan is not a confidence level in \[0, 1\]"),
    "rude threshold -3": ("rude", _json_edit(lambda r: r.update(threshold=-3.0)), r"threshold -3.0 is not"),
    "rude threshold 5": ("rude", _json_edit(lambda r: r.update(threshold=5)), r"threshold 5.0 is not"),
    "rude scale 0": ("rude", _json_edit(lambda r: r.update(scale=[0.0, *r["scale"][1:]])),
                     r"scale \[0.0, .*\] holds a value that is not above 0"),
    "rude classes repeated": ("rude", _json_edit(lambda r: r.update(classes=["true", "true"])),
                              r"classes \['true', 'true'\] are not two or more different ones"),
    "energy threshold Infinity": ("energy", lambda t: json.dumps({**json.loads(t), "threshold": float("inf")}),
                                  r"threshold inf is not a confidence level"),
}


@pytest.mark.parametrize("damage", list(DAMAGE))
def test_a_number_no_fit_writes_is_refused(fitted: tuple[Path, Path, list[Any]], tmp_path: Path,  # noqa: F811
                                           damage: str) -> None:
    name, edit, reason = DAMAGE[damage]
    folder = _damaged(fitted, tmp_path, name, edit)
    with pytest.raises(FusionError, match=reason) as err:
        open_models(folder, fitted[2])
    assert str(err.value).startswith(f"{folder / 'signals' / name}.json: not a usable model of signal {name}")


@pytest.mark.parametrize("threshold", [0.0, 0.73, 1.0, None])
def test_a_threshold_a_fit_writes_loads(fitted: tuple[Path, Path, list[Any]], tmp_path: Path,  # noqa: F811
                                        threshold: float | None) -> None:
    folder = _damaged(fitted, tmp_path, "rude", _json_edit(lambda r: r.update(threshold=threshold)))
    models, _ = open_models(folder, fitted[2])
    assert models["rude"].threshold == threshold


def test_liner_tag_refuses_a_zero_scale_before_any_item(fitted: tuple[Path, Path, list[Any]],  # noqa: F811
                                                        tmp_path: Path) -> None:
    folder = _damaged(fitted, tmp_path, "rude", DAMAGE["rude scale 0"][1])
    assert "rude.json: not a usable model of signal rude (scale" in tag_refused(fitted, tmp_path, folder)
