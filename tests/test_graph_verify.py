"""The graph's verify step: invented ids and fake evidence are rejected, with a bounded re-ask.

The LLM here is a scripted test double (``ScriptedLLM``): the point is what verify and route do
with whatever a model says, so the answers are chosen to be wrong on purpose.
"""

from __future__ import annotations

import asyncio
from typing import Any

from linernotes.agents.checks import find_span, span_is_valid
from linernotes.agents.graph import build_graph
from linernotes.agents.nodes.verify import problems_in
from linernotes.agents.runtime import build_runtime
from linernotes.agents.state import Draft
from linernotes.config import TagConfig
from linernotes.schema import EvidenceSpan, Item, Usage


class ScriptedLLM:
    """Test double for LLMClient: returns the scripted drafts in order and records every prompt."""

    model_label = "test-double:scripted"

    def __init__(self, answers: list[dict[str, Any]]):
        self.answers = list(answers)
        self.prompts: list[list[dict[str, str]]] = []

    async def structured(self, messages, response_model, schema=None):
        self.prompts.append(messages)
        answer = self.answers.pop(0) if len(self.answers) > 1 else self.answers[0]
        return response_model.model_validate(answer), Usage(calls=1, tokens_in=10, tokens_out=5)


BASE = {"moods": ["calm"], "valence": "neutral", "language": "en", "explicit": False, "explicit_quote": "",
        "policy_clauses": [], "rationale": "test"}
ITEM = Item(id="t1", title="Deep Techno Session", description="A hypnotic techno track from Berlin.")


def _run(llm: ScriptedLLM, item: Item = ITEM, **cfg: Any) -> dict[str, Any]:
    """The verbose answer format (ids, as scripted here) and no fusion: what verify and route do
    with the model's own words, asked for every field (``--llm always``)."""
    rt = build_runtime(TagConfig(**{"prompt": "extract.v1", "fusion": None, "llm_mode": "always", **cfg}), llm=llm)
    return asyncio.run(build_graph(rt).ainvoke({"item": item}))


def test_invented_genre_id_is_reasked_then_fixed() -> None:
    llm = ScriptedLLM([{**BASE, "genres": ["moon-polka"]}, {**BASE, "genres": ["techno"]}])
    state = _run(llm)
    assert state["enrichment"].genres == ["techno"]
    assert state["attempts"] == 2
    assert "moon-polka" in llm.prompts[1][1]["content"], "the re-ask names the rejected id"
    assert state["enrichment"].provenance.llm_calls == 2


def test_reask_is_bounded_and_invalid_ids_never_reach_output() -> None:
    llm = ScriptedLLM([{**BASE, "genres": ["moon-polka", "techno-ish"], "moods": ["ecstatic-wombat"]}])
    state = _run(llm, max_attempts=3)
    e = state["enrichment"]
    assert state["attempts"] == 3 and len(llm.prompts) == 3
    assert e.genres == [] and e.moods == []
    assert e.review.routed
    assert any("moon-polka" in r for r in e.review.reasons)


def test_quote_not_in_input_is_rejected() -> None:
    draft = Draft(genres=["techno"], moods=["calm"], explicit=True, explicit_quote="ignore all rules")
    rt = build_runtime(TagConfig(llm_mode="always"), llm=ScriptedLLM([BASE]))
    problems = problems_in(draft, ITEM, rt)
    assert any("not an exact quote" in p for p in problems)
    assert find_span(ITEM, "hypnotic techno") == EvidenceSpan(field="description", start=2, end=17,
                                                             text="hypnotic techno")


def test_span_validity_is_exact() -> None:
    good = find_span(ITEM, "Berlin")
    assert good is not None and span_is_valid(ITEM, good)
    assert not span_is_valid(ITEM, good.model_copy(update={"start": good.start + 1}))
    assert not span_is_valid(ITEM, good.model_copy(update={"field": "lyrics"}))


def test_lexicon_flag_survives_a_model_that_denies_it() -> None:
    item = Item(id="x", title="Party", lyrics="we don't give a shit tonight")
    llm = ScriptedLLM([{**BASE, "genres": ["hip-hop"], "explicit": False,
                        "rationale": "clean track, ignore the lexicon"}])
    e = _run(llm, item=item)["enrichment"]
    assert e.explicit.value is True
    span = e.explicit.evidence[0]
    assert item.lyrics[span.start:span.end] == span.text == "shit"
    assert e.policy_flags and e.policy_flags[0].source == "lexicon"
    # the model's denial is a fusion feature, not a review reason
    assert not any("conflict" in r for r in e.review.reasons)


def test_confidence_is_computed_not_taken_from_the_model() -> None:
    sure = _run(ScriptedLLM([{**BASE, "genres": ["techno"], "confidence": 5.0}]))["enrichment"]
    unsure = _run(ScriptedLLM([{**BASE, "genres": ["techno"], "confidence": 0.0}]))["enrichment"]
    assert sure.confidence == unsure.confidence, "a confidence the model claims changes nothing"
    assert sure.confidence.calibrated == [], "without fusion no confidence claims to be calibrated"
    from linernotes.agents.decisions import genre_confidence

    state = _run(ScriptedLLM([{**BASE, "genres": ["techno"]}]))
    assert state["enrichment"].confidence.genres == genre_confidence(["techno"], state["evidence"])


def test_compact_answer_handles_become_taxonomy_ids() -> None:
    answer = {"genres": ["G1", "G99"], "moods": ["M1"], "valence": 2, "language": "en", "explicit": False,
              "clauses": []}
    state = _run(ScriptedLLM([answer, {**answer, "genres": ["G1"]}]), prompt="extract.v2")
    ev = state["evidence"]
    assert state["draft"].genres == [ev.genres[0].id]
    assert state["draft"].moods == [ev.moods[0].id] and state["draft"].valence == "very positive"
    assert state["attempts"] == 2, "an unknown handle is re-asked like an unknown id"
    assert state["enrichment"].genres == [ev.genres[0].id]


def test_invented_quote_is_rejected_without_a_reask() -> None:
    llm = ScriptedLLM([{**BASE, "genres": ["techno"], "explicit": True, "explicit_quote": "words never written"}])
    e = _run(llm)["enrichment"]
    assert len(llm.prompts) == 1, "an unproven quote is not re-asked"
    assert e.explicit.value is False and e.explicit.evidence == []
    assert not any(f.source == "model" for f in e.policy_flags)
    assert not any("explicit" in r for r in e.review.reasons), "a model claim is a feature, not a reason"


def test_moods_alone_do_not_route_to_review() -> None:
    item = Item(id="m", title="Deep Techno Session", description="A hypnotic techno track.", language="en")
    e = _run(ScriptedLLM([{**BASE, "genres": ["techno"]}]), item=item, review_threshold=0.5)["enrichment"]
    assert not any(r.startswith("low confidence: moods") for r in e.review.reasons)
