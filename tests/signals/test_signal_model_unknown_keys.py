"""A fitted signal model file (``FUSION_DIR/signals/NAME.json``) with a key its model does not have
is refused before any item is tagged, naming the file and the key path, as fusion.json is (QA
session 24 leftovers: a misspelt ``"treshold"`` was dropped without a word, the model's fitted
threshold kept). A fused signal's combiner (``model``) is held to fusion.json's models."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from linernotes.fusion.artifact import FusionError
from linernotes.signals.fit import open_models
from tests.signals.test_signal_model_file import _damaged, _json_edit, fitted  # noqa: F401 (the fixture)

MISSPELT = {
    "signal model": ("rude", lambda r: r.update(treshold=0.5), "treshold: no such key (misspelt?"),
    "fused signal": ("energy", lambda r: r.update(figurs={}), "figurs: no such key (misspelt?"),
    "fused combiner": ("energy", lambda r: r["model"].update(tolerence=0.2), "tolerence"),
    "fused estimator": ("energy", lambda r: r["model"]["scaler"].update(means=[0.0]), "means"),
}


@pytest.mark.parametrize("where", list(MISSPELT))
def test_a_misspelt_key_is_refused_naming_the_file(fitted: tuple[Path, Path, list[Any]],  # noqa: F811
                                                   tmp_path: Path, where: str) -> None:
    name, change, said = MISSPELT[where]
    folder = _damaged(fitted, tmp_path, name, _json_edit(change))
    with pytest.raises(FusionError) as err:
        open_models(folder, fitted[2])
    msg = str(err.value)
    assert msg.startswith(f"{folder / 'signals' / name}.json: ") and said in msg, msg


def test_a_quoted_number_in_a_fused_combiners_array_is_refused(fitted: tuple[Path, Path, list[Any]],  # noqa: F811
                                                                tmp_path: Path) -> None:
    folder = _damaged(fitted, tmp_path, "energy", _json_edit(lambda r: r["model"]["scaler"]["mean"].__setitem__(0, "1_0")))
    with pytest.raises(FusionError, match="'_' is not allowed in a number"):
        open_models(folder, fitted[2])
