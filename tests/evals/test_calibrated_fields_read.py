"""Which fields a record lists as calibrated is read one way everywhere (``Confidence.calibrated_in``):
only a list names fields. Scoring read ``field in (conf.get("calibrated") or [])``, so a hand-edited
``"calibrated": "policy,valence"`` made policy count as calibrated (a substring of the string) and
its auto-accept level 0.0 instead of the run's review threshold."""

from __future__ import annotations

import pytest

from linernotes.evals.scoring import accept_level
from linernotes.schema import Confidence


@pytest.mark.parametrize(("confidence", "fields"), [
    ({"calibrated": ["valence", "policy"]}, ["valence", "policy"]),
    ({"calibrated": "policy,valence"}, []),
    ({"calibrated": ["policy", 3, None]}, ["policy"]),
    ({"calibrated": None}, []),
    ({}, []),
    (None, []),
    ("policy", []),
])
def test_only_a_list_names_calibrated_fields(confidence, fields):
    assert Confidence.calibrated_in(confidence) == fields


def test_a_string_is_no_list_of_calibrated_fields_for_the_accept_level():
    listed = {"confidence": {"policy": 0.9, "calibrated": ["policy"]}}
    assert accept_level(listed, "policy", 0.5) == 0.0  # calibrated, no threshold: advisory
    edited = {"confidence": {"policy": 0.9, "calibrated": "policy,valence"}}
    assert accept_level(edited, "policy", 0.5) == 0.5  # hand-set: the run's review threshold
