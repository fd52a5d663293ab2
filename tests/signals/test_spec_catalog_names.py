"""A declared signal named after a catalog field (found by QA, session 13): ``type`` (remix / live /
studio), ``label`` or ``id`` loaded, and review then read the gold set's column of that name as the
signal's gold (the item's own type, title or id), hid it from the annotator, and export wrote the
decisions over it: a signal named ``id`` replaced the gold set's id 't1' with the label 'a'. Now
every ``Item`` field is a reserved name, refused with the file and line (exit 2)."""

from __future__ import annotations

from pathlib import Path

import pytest

from linernotes.schema import Item
from linernotes.signals.spec import SignalSpecError, load_signals


@pytest.mark.parametrize("name", [n for n in Item.model_fields if n != "language"])  # language: a built-in
def test_a_catalog_field_name_is_refused(tmp_path: Path, name: str) -> None:
    path = tmp_path / "s.yaml"
    path.write_text(f"instructions: x\nkind: single_label\nlabels: [a, b]\nname: {name}\n", encoding="utf-8")
    with pytest.raises(SignalSpecError) as err:
        load_signals([path])
    assert str(err.value) == (f"{path}:4: name: {name!r} is a catalog field of every item (review and export would "
                              "take that column as its gold); a declared signal needs a name of its own")
