"""A text signal's label holding a control character (NUL, ESC, a C1 control such as U+0080) is
refused naming it and where, and its whitespace is one line as the tagger writes the signal's
value (``signals.decide.verify``). QA newuser23: the API saved "a\\u0000b", "a\\u0080b" and
"a\\nb\\tc" as gold (the page's one-line box cannot type them; the catalog reader refuses a NUL in
a field), so exported gold held text no tagger answer has."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from linernotes.review.store import Adjudication, ReviewStore
from tests.review.conftest import signal_store


@pytest.fixture
def store(tmp_path: Path) -> ReviewStore:
    return ReviewStore(signal_store(tmp_path, "- name: hook\n  kind: text\n  instructions: The catchiest phrase, quoted.\n",
                                    [{"id": "i0", "title": "Song", "description": "la la la"}]))


def _edit(store: ReviewStore, text: str):
    return store.adjudicate("i0", Adjudication(annotator="ana", action="edit", version=store.get("i0").version,
                                               values={"hook": text}))


@pytest.mark.parametrize(("text", "shown"), [("a\x00b", "U+0000 at character 2"), ("la\x1b[31m", "U+001B at character 3"),
                                             ("a\x80b", "U+0080 at character 2")])
def test_a_control_character_is_refused_naming_it(store: ReviewStore, text: str, shown: str) -> None:
    with pytest.raises(ValueError, match=re.escape(f"hook holds a control character ({shown})")):
        _edit(store, text)
    assert store.get("i0").version == 0


def test_whitespace_is_one_line_as_the_tagger_writes_it(store: ReviewStore) -> None:
    assert _edit(store, " a\nb\t\tc  d ").decision == {"hook": "a b c d"}


def test_other_text_is_kept(store: ReviewStore) -> None:
    # a zero-width joiner is part of emoji and of Persian / Indic words: not a control character
    assert _edit(store, "caf\u00e9 \U0001F468\u200d\U0001F469 \u0645\u06cc\u200c\u0631\u0648\u0645").decision == {
        "hook": "caf\u00e9 \U0001F468\u200d\U0001F469 \u0645\u06cc\u200c\u0631\u0648\u0645"}
