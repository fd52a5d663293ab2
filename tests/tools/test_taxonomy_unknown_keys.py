"""A taxonomy YAML (``liner tag --taxonomy PATH``, a declared signal's ``taxonomy: PATH``) with a key
the format does not have is refused naming the file, the entry and the key, with the keys it has.
QA newuser23: an entry's misspelt ``alias:`` (for ``aliases:``) or any other unknown key was dropped
without a word, so the synonyms a team wrote were never used by retrieval; the signal spec beside it
refuses an unknown key."""

from __future__ import annotations

from pathlib import Path

import pytest

from linernotes.signals.spec import SignalSpecError, load_signals
from linernotes.tools.retrieval.taxonomy import load_taxonomy

HEAD = "id: mine\nversion: 1.0.0\nkind: mood\n"


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "tax.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_an_entrys_misspelt_key_is_named(tmp_path: Path) -> None:
    path = _write(tmp_path, HEAD + "entries:\n- id: calm\n  label: Calm\n  alias: [serene, peaceful]\n")
    with pytest.raises(ValueError, match=r"tax\.yaml: entries\.0\.alias: not a key of a taxonomy entry "
                                         r"\(its keys: id, label, parent, aliases, description, valence\)"):
        load_taxonomy(str(path))


def test_a_packs_unknown_key_is_named(tmp_path: Path) -> None:
    path = _write(tmp_path, HEAD + "atribution: me\nentries:\n- id: calm\n  label: Calm\n")
    with pytest.raises(ValueError, match=r"tax\.yaml: atribution: not a key of a taxonomy \(its keys: id, version, "
                                         r"kind, applies_to, attribution, entries\)"):
        load_taxonomy(str(path))


def test_a_signal_naming_it_says_so(tmp_path: Path) -> None:
    _write(tmp_path, HEAD + "entries:\n- id: calm\n  label: Calm\n  alias: [serene]\n")
    spec = tmp_path / "s.yaml"
    spec.write_text("name: vibe\nkind: multilabel\ntaxonomy: tax.yaml\ninstructions: The mood.\n", encoding="utf-8")
    with pytest.raises(SignalSpecError, match=r"s\.yaml:3: taxonomy: .*tax\.yaml: entries\.0\.alias: not a key"):
        load_signals([spec])


@pytest.mark.parametrize("name", ["music-genres", "podcast-categories", "moods"])
def test_the_shipped_packs_load(name: str) -> None:
    assert len(load_taxonomy(name).entries) > 10
