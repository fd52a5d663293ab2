"""A garbled exemplar index file is named with its line and a way out, not a bare pydantic error."""

from __future__ import annotations

import pytest

from linernotes.tools.retrieval.exemplars import build_exemplar_index, open_exemplar_index


@pytest.fixture
def index_folder(tmp_path):
    folder = tmp_path / "ex"
    build_exemplar_index([{"id": "a", "text": "dark techno", "genres": ["techno"]},
                          {"id": "b", "text": "ambient piano", "genres": ["ambient"]}], folder)
    return folder


def test_a_garbled_records_line_is_named_with_its_file_and_line(index_folder):
    # it read 'ExemplarRecord: Invalid JSON: expected ident ...', no file or line (QA, session 12)
    path = index_folder / "records.jsonl"
    path.write_text(path.read_text().replace('{"id":"b"', 'not json {"id":"b"', 1))
    with pytest.raises(ValueError, match=rf"^{path}:2: not an exemplar record \(Invalid JSON: .*\); rebuild the index$"):
        open_exemplar_index(index_folder)


def test_a_garbled_meta_file_is_named(index_folder):
    path = index_folder / "meta.json"
    path.write_text("{garbage\n")
    with pytest.raises(ValueError, match=rf"^{path}: not an exemplar index's meta.json \(Invalid JSON: .*\); rebuild"):
        open_exemplar_index(index_folder)


def test_a_missing_folder_is_told_apart_from_a_folder_without_an_index(tmp_path):
    # a new user's misspelt --exemplars read "exemplars: not an exemplar index (no meta.json)", as if
    # a folder were there and broken
    with pytest.raises(FileNotFoundError, match=rf"^{tmp_path / 'nope'}: not an exemplar index: no such folder "
                                                r"\(build one with `liner index build"):
        open_exemplar_index(tmp_path / "nope")
    with pytest.raises(FileNotFoundError, match=rf"^{tmp_path}: not an exemplar index \(no meta.json\)$"):
        open_exemplar_index(tmp_path)
