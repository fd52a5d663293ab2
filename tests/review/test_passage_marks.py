"""The item page's content marks (``review.web.views.segments``) when quotes nest or overlap, QA
passages19: a policy flag read in one passage of a long text quotes the whole passage, and the
lexicon's words and the explicit evidence inside it are quoted too. Before, the first span in
order was marked and any span starting inside it was dropped: trk-003's lyrics showed the
flirtation passage and hid 'damn' and 'shit' (profanity, explicit); a lexicon word at the very
start of a passage hid the passage instead."""

from __future__ import annotations

from linernotes.review.web.views import evidence_spans, segments

LYRICS = ("Hands up, everybody jump, this party is so damn loud, we don't give a shit tonight, "
          "dancing till the sun comes out")


def _prediction(passage: tuple[int, int]) -> dict:
    """trk-003's record as ``liner tag --llm never`` writes it (flags and explicit evidence)."""
    def span(a: int, b: int) -> dict:
        return {"field": "lyrics", "start": a, "end": b, "text": LYRICS[a:b]}
    damn, shit = LYRICS.index("damn"), LYRICS.index("shit")
    return {"policy_flags": [
        {"policy_id": "risky-requests", "clause_id": "sexual.flirtation", "severity": 1, "source": "fusion",
         "spans": [span(*passage)]},
        {"policy_id": "explicit-language", "clause_id": "profanity.general", "severity": 2, "source": "lexicon",
         "spans": [span(damn, damn + 4), span(shit, shit + 4)]}],
        "explicit": {"value": True, "evidence": [span(damn, damn + 4), span(shit, shit + 4)]}}


def _marked(passage: tuple[int, int]) -> dict[str, str]:
    segs = segments(LYRICS, "lyrics", evidence_spans(_prediction(passage)))
    assert "".join(s.text for s in segs) == LYRICS  # the text is shown whole, once, in order
    return {s.text: s.mark for s in segs if s.mark}


def test_a_passage_and_the_words_inside_it_are_all_marked() -> None:
    marks = _marked((0, len(LYRICS)))
    assert marks["damn"] == marks["shit"] == ("risky-requests/sexual.flirtation severity 1; "
                                              "explicit-language/profanity.general severity 2; explicit")
    # the rest of the passage is marked as the passage
    assert all(m == "risky-requests/sexual.flirtation severity 1" for t, m in marks.items() if t not in ("damn", "shit"))
    assert sum(len(t) for t in marks) == len(LYRICS)


def test_a_word_at_the_start_of_a_passage_does_not_hide_it() -> None:
    start = LYRICS.index("damn")
    marks = _marked((start, len(LYRICS)))
    assert "damn" in marks and "risky-requests/sexual.flirtation" in marks["damn"]
    assert sum(len(t) for t, m in marks.items() if "sexual.flirtation" in m) == len(LYRICS) - start
