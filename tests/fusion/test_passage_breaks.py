"""Where a long text's passages end (``fusion.windows``), QA passages19: any Unicode line break and
other scripts' sentence ends, not only ``\\n`` and ``. ! ?``; a passage repeated word for word is
read once, so a chorus or a pasted line does not lower every passage's threshold."""

from __future__ import annotations

import asyncio

import pytest

from linernotes.fusion.windows import windows
from linernotes.schema import Item

LINES = ["Oh the night is young and bright", "we keep on dancing in the street",
         "till the morning light comes up", "and the city goes to sleep again"]
REQUEST = "How can I make a fake passport that passes airport checks?"
# A request the shipped combiner flags with P(none) near 0.02 alone: below the passage threshold
# at the 0.5% budget for a few passages (the passport request, 0.31, is above it)
BLATANT = "Write a sexual story about my coworker."


def _texts(text: str) -> list[str]:
    return [text[a:b] for a, b in windows(text, 34, 3)]


@pytest.mark.parametrize("sep", ["\r\n", "\r", "\u2028", "\u2029", "\x85", "\v", "\f"])
def test_every_unicode_line_break_ends_a_passage(sep) -> None:
    # before: only \n did; lines joined by \r or U+2028 were one run, cut every 34 tokens across them
    assert _texts(sep.join(LINES)) == _texts("\n".join(LINES)) == LINES


@pytest.mark.parametrize(("text", "expected"), [
    ("هل هذا سؤال طويل جدا عن القهوة؟ نعم هذا جواب طويل عن القهوة.",
     ["هل هذا سؤال طويل جدا عن القهوة؟", "نعم هذا جواب طويل عن القهوة."]),  # Arabic question mark
    ("यह पहला लंबा वाक्य है जो यहाँ है। यह दूसरा लंबा वाक्य है जो वहाँ है।",
     ["यह पहला लंबा वाक्य है जो यहाँ है।", "यह दूसरा लंबा वाक्य है जो वहाँ है।"]),  # Devanagari danda
    ("first words of a sentence here。second words of another sentence there！third one",
     ["first words of a sentence here。", "second words of another sentence there！third one"]),
])
def test_other_scripts_sentence_ends_end_a_passage(text, expected) -> None:
    assert _texts(text) == expected


def test_a_repeated_passage_is_read_once_at_its_first_place() -> None:
    chorus = "\n".join(LINES[:2])
    text = "\n".join([LINES[2], chorus, LINES[3], chorus, chorus])
    spans = windows(text, 34, 3)
    assert [text[a:b] for a, b in spans] == [LINES[2], LINES[0], LINES[1], LINES[3]]
    assert spans[1][0] == text.index(LINES[0])  # the first occurrence is the one quoted
    assert all(text[a:b] == text[a:b].strip() for a, b in spans)


def test_a_request_pasted_many_times_is_still_read_and_flagged() -> None:
    """Through the graph (--llm never, the shipped artifact): 100 copies of one request were more
    than MAX_WINDOWS passages, so the text was left to the lexicon (no flag); 10 copies were 10
    passages at the 10-passage threshold. Read once, the request is flagged as it is alone, with
    the same one-passage threshold (and the note counts 1 passage). The blatant request: see BLATANT."""
    from linernotes.agents.graph import build_graph
    from linernotes.agents.runtime import build_runtime
    from linernotes.config import TagConfig
    from tests.test_cascade import RecordingLLM

    rt = build_runtime(TagConfig(llm_mode="never"), llm=RecordingLLM())
    graph = build_graph(rt)
    item = Item(id="ep-pasted", type="episode", title="Travel tips", description=" ".join([BLATANT] * 100))
    out = asyncio.run(graph.ainvoke({"item": item}))["enrichment"]
    flags = [f for f in out.policy_flags if f.source in ("fusion", "lexicon+fusion")]
    assert flags and flags[0].spans[0].text == BLATANT and flags[0].spans[0].start == 0
    assert any(r.startswith("to confirm: policy ") and "for 1 passage;" in r for r in out.review.reasons)


NOTES_HEAD = "• 00:00 Intro and listener mail from a farm in Ohio\n"
NOTES_TAIL = ("• 10:40 Our producer reviews five budget headphones for the car\n"
              "Links: https://example.com/rika https://example.com/foam-guide")


def test_show_notes_markup_is_left_out_of_the_passages() -> None:
    """Links end a passage and are in none; a line's leading bullets, emoji, numbers and
    timestamps are not part of its passage; a passage is never joined across left-out markup."""
    text = ("Show notes 🎙️\n" + NOTES_HEAD + f"- 02:15 {REQUEST}\n1. Ranking the best tea shops here\n"
            "[00:12:30] Listener questions about cold brew\nSee https://x.example/a for details.\n"
            "Mail hello@example.org or visit patreon.com/example today. The score was 8.5/10 overall tonight.")
    assert _texts(text) == [
        "Show notes 🎙️", "Intro and listener mail from a farm in Ohio", REQUEST, "Ranking the best tea shops here",
        "Listener questions about cold brew\nSee", "for details.\nMail", "or visit",
        "today. The score was 8.5/10 overall tonight."]  # short pieces still join a neighbour across plain text


def test_a_request_in_show_notes_is_flagged_and_their_links_are_not() -> None:
    """Through the graph (--llm never, the shipped artifact). Before: the links line read as
    prose scored P(none) 0.141 below the 4-passage threshold 0.308, so clean show notes were
    flagged malicious_uses quoting two URLs, and "• 02:15 " before the request raised its P(none)
    from 0.310 to 0.494 (not flagged; the flag quoted the links instead)."""
    from linernotes.agents.graph import build_graph
    from linernotes.agents.runtime import build_runtime
    from linernotes.config import TagConfig
    from tests.test_cascade import RecordingLLM

    graph = build_graph(build_runtime(TagConfig(llm_mode="never"), llm=RecordingLLM()))

    def tagged(line: str):
        item = Item(id="ep-notes", type="episode", title="Episode 12", description=f"{NOTES_HEAD}• 02:15 {line}\n{NOTES_TAIL}")
        out = asyncio.run(graph.ainvoke({"item": item}))["enrichment"]
        return item, [f for f in out.policy_flags if f.source == "fusion"], out.review.reasons

    clean, flags, reasons = tagged("Why the new bridge downtown is now two years late")
    assert not flags and not any("passage" in r for r in reasons)
    unsafe, flags, reasons = tagged(BLATANT)
    [span] = flags[0].spans
    assert span.text == BLATANT and unsafe.description[span.start:span.end] == BLATANT
    assert any(r.startswith("to confirm: policy ") and "for 3 passages" in r for r in reasons)
