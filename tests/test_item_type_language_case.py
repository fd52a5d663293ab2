"""A catalog's ``type`` and ``language`` in the casing spreadsheets and exports write them (a new
user's catalog): ``Track`` and `` episode `` were input.invalid rows, and ``EN`` or ``en_US`` was not
taken as the catalog's language, so a record whose catalog said English read ``und``."""

from __future__ import annotations

import json

import pytest

from linernotes.agents.evidence import Evidence
from linernotes.agents.fields import language_of
from linernotes.schema import Item
from linernotes.store.catalog import read_catalog


@pytest.mark.parametrize(("given", "kept"), [("Track", "track"), (" episode ", "episode"), ("CHAPTER", "chapter")])
def test_a_type_in_another_case_or_with_spaces_is_the_type_it_names(given, kept):
    assert Item(id="a", type=given).type == kept


@pytest.mark.parametrize(("given", "kept"), [
    ("EN", "en"), ("en_us", "en-US"), ("PT-br", "pt-BR"), ("ZH_hant_tw", "zh-Hant-TW"), (" DE ", "de"),
    # a tag the tagger took already is kept as written: a record that was right does not change
    ("es-419", "es-419"), ("en", "en"), ("en-us", "en-us"), ("English", "English"), ("", ""),
])
def test_a_language_tag_the_tagger_missed_is_written_in_bcp47_casing(given, kept):
    assert Item(id="a", language=given).language == kept


def test_the_catalogs_language_in_capitals_is_the_records_language(tmp_path):
    p = tmp_path / "c.jsonl"
    p.write_text("\n".join(json.dumps(r) for r in [
        {"id": "a", "type": "Track", "title": "x", "language": "EN"},
        {"id": "b", "type": "podcast", "title": "y"},
    ]) + "\n")
    rows = list(read_catalog(p))
    item = rows[0].item
    assert item is not None and item.type == "track"
    assert language_of(item, Evidence(), None) == ("en", 0.95)
    assert rows[1].error is not None and rows[1].error.message.endswith(", not 'podcast'")
