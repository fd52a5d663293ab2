"""A fusion.json key written in another case, or renamed, is refused naming the key as written
(review session 25 of 8f1a413): 'fields.policy.Kind' was told as 'fields.policy.kind: Field
required', pydantic's first error, so the name the person wrote was never shown."""

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


def _rename(d: dict[str, Any], key: str, new: str) -> None:
    d[new] = d.pop(key)


RENAMED = {
    "field key in another case": (lambda d: _rename(d["fields"]["policy"], "kind", "Kind"), "fields.policy.Kind"),
    "model key misspelt": (lambda d: _rename(d["fields"]["valence"], "model", "modle"), "fields.valence.modle"),
    "top key in another case": (lambda d: _rename(d, "fields", "Fields"), "Fields"),
}


@pytest.mark.parametrize("case", list(RENAMED))
def test_a_renamed_key_is_named_as_written(tmp_path: Path, shipped_doc: dict[str, Any], case: str) -> None:
    edit, path = RENAMED[case]
    doc = copy.deepcopy(shipped_doc)
    edit(doc)
    (tmp_path / "fusion.json").write_text(json.dumps(doc), encoding="utf-8")
    with pytest.raises(FusionError, match=rf": not a valid fusion artifact: {path}: no such key \(misspelt\?"):
        load_fusion(tmp_path)

