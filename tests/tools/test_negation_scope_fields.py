"""A negation scope ends at a line break, so it stays inside the item field it starts in (QA
qa-valence17). An item's prose is its fields joined by " \\n" (``fusion.observation``); before, a
title with a cue and no punctuation ("No Surprises", "Don't Stop Me Now") marked the artist and
the description up to their first comma: "no neg_surprises neg_band neg_a neg_gentle , ...", and
the shipped valence of a track titled "No Surprises" with the description "A bright happy summer
anthem full of love and sunshine" read 0.608 instead of 0.675 (title "Surprises": 0.790)."""

from __future__ import annotations

import pytest

from linernotes.fusion.observation import Observation
from linernotes.schema import Item
from linernotes.tools.text.negation import PREFIX, mark_negation


@pytest.mark.parametrize("title", ["No Surprises", "Don't Stop Me Now", "Nothing Else Matters", "NEVER"])
def test_a_cue_in_the_title_does_not_mark_the_other_fields(title):
    obs = Observation(Item(id="t", type="track", title=title, artist="Band",
                           description="A bright happy summer anthem full of love and sunshine"), {}, None)
    marked = mark_negation(obs.prose).split()
    words = mark_negation(title).split()
    assert marked[: len(words)] == words  # the title's own scope is kept
    assert not any(t.startswith(PREFIX) for t in marked[len(words):]), marked


@pytest.mark.parametrize(("text", "marked"), [
    ("not good\nbad", "not neg_good bad"),
    ("not good\r\nbad", "not neg_good bad"),
    ("not good\u2028bad", "not neg_good bad"),
    ("not\tgood bad", "not neg_good neg_bad"),  # a tab is a space, not a break
    ("not \n\n good", "not good"),
])
def test_a_line_break_ends_the_scope(text, marked):
    assert mark_negation(text) == marked
