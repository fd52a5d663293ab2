"""The cascade (``--llm auto``): the LLM is asked only about the fields the evidence leaves
undecided, with an answer schema restricted to them; an item whose fields are all decided makes
no call; records say which fields the LLM was asked about.

The packs, the tools and the shipped fusion artifact are real. The LLM is a recording test double
(``RecordingLLM``): what is under test is which requests the graph makes, not what a model says.
"""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from linernotes.agents.graph import build_graph
from linernotes.agents.nodes.triage import llm_can_change
from linernotes.agents.runtime import build_runtime
from linernotes.config import TagConfig
from linernotes.fusion.decide import Decision
from linernotes.fusion.features import scalar_dense
from linernotes.fusion.observation import Observation
from linernotes.schema import Item, Usage
from linernotes.vocabulary import LLM_FIELDS


class RecordingLLM:
    """Test double for LLMClient: answers any schema with its first enum values and records every
    request's messages and JSON schema."""

    model_label = "test-double:recording"

    def __init__(self) -> None:
        self.requests: list[tuple[list[dict[str, str]], dict[str, Any]]] = []

    async def structured(self, messages, response_model, schema=None):
        self.requests.append((messages, schema))
        answer: dict[str, Any] = {}
        for name, prop in (schema or {}).get("properties", {}).items():
            if prop.get("type") == "array":
                enum = (prop.get("items") or {}).get("enum") or []
                answer[name] = enum[: max(1, prop.get("minItems", 0))] if prop.get("minItems") else enum[:1]
            elif "enum" in prop:
                answer[name] = prop["enum"][0]
            elif prop.get("type") == "boolean":
                answer[name] = False
            else:
                answer[name] = "x"
        return response_model.model_validate(answer), Usage(calls=1, tokens_in=100, tokens_out=8)


# English prose about a named genre: the shortlist, the language-id tool and the shipped policy and
# valence combiners decide every review field without the LLM
DECIDED = Item(id="t-decided", type="track", title="Deep Techno Session",
               description="A hypnotic techno track from Berlin, recorded live at a club night.")
# a bare title/artist/album line: no language the tool can name, no genre the shortlist is sure of
UNDECIDED = Item(id="t-undecided", type="track", title="Caught In The Middle", artist="James Ruskin",
                 album="Circuit", label="Blueprint Records", year=2020)


def _tag(item: Item, mode: str) -> tuple[dict[str, Any], RecordingLLM]:
    llm = RecordingLLM()
    rt = build_runtime(TagConfig(llm_mode=mode), llm=llm)
    return asyncio.run(build_graph(rt).ainvoke({"item": item})), llm


def test_an_item_the_evidence_decides_makes_no_llm_call() -> None:
    state, llm = _tag(DECIDED, "auto")
    e = state["enrichment"]
    assert llm.requests == []
    assert e.provenance.llm_calls == 0 and e.provenance.llm_fields == [] and not e.provenance.llm_consulted
    assert e.draft is None and not e.review.routed
    never, _ = _tag(DECIDED, "never")
    assert e.model_dump(exclude={"provenance"}) == never["enrichment"].model_dump(exclude={"provenance"}), \
        "auto with every field decided is the evidence-only record"


def test_only_undecided_fields_are_asked_and_the_schema_is_restricted_to_them() -> None:
    state, llm = _tag(UNDECIDED, "auto")
    e = state["enrichment"]
    assert len(llm.requests) == 1
    messages, schema = llm.requests[0]
    asked = e.provenance.llm_fields
    assert asked and set(asked) < set(LLM_FIELDS), asked
    assert "genres" in asked, "routed as it stands (no exemplars, a weak shortlist) and the LLM can change it"
    assert "moods" in asked, "advisory moods ride along once a call is made"
    assert "language" not in asked, "a language only the LLM names is never accepted by the router: no use asking"
    assert "valence" not in asked and "policy" not in asked, "the shipped combiners decide them without drafts"
    keys = {"policy": "clauses"}
    assert set(schema["properties"]) == {keys.get(f, f) for f in asked}
    assert set(schema["required"]) == set(schema["properties"])
    user = messages[1]["content"]
    assert "ANSWER ONLY: " + ", ".join(asked) in user
    assert "CANDIDATE CLAUSES" not in user, "evidence for fields not asked is not shown"
    assert set(e.draft) == set(asked), "the record's draft holds the answered fields only"

    never, _ = _tag(UNDECIDED, "never")
    n = never["enrichment"]
    assert (e.valence, e.policy_flags, e.confidence.valence) == (n.valence, n.policy_flags, n.confidence.valence), \
        "fields the LLM was not asked about are the evidence-only decisions"


def test_always_asks_for_every_field_on_every_item() -> None:
    for item in (DECIDED, UNDECIDED):
        state, llm = _tag(item, "always")
        assert len(llm.requests) == 1
        schema = llm.requests[0][1]
        assert list(schema["properties"]) == ["genres", "moods", "valence", "language", "explicit", "clauses"]
        assert "ANSWER ONLY" not in llm.requests[0][0][1]["content"]
        assert state["enrichment"].provenance.llm_fields == list(LLM_FIELDS)


def test_never_makes_no_call_even_when_fields_are_undecided() -> None:
    state, llm = _tag(UNDECIDED, "never")
    assert llm.requests == [] and state["enrichment"].review.routed


@pytest.mark.parametrize("calibrated, expected", [(True, False), (False, True)])
def test_a_combiner_fitted_without_drafts_cannot_be_changed_by_the_llm(calibrated: bool, expected: bool) -> None:
    """The shipped valence combiner was fitted without drafts: asking the LLM could not change
    its value. When the rules decide instead (no combiner applied), the draft is what they read."""
    rt = build_runtime(TagConfig(), llm=RecordingLLM())
    assert rt.fusion is not None and not rt.fusion.fields["valence"].model.uses_draft
    decisions = {"valence": Decision(value=0.1, confidence=0.3, calibrated=calibrated)}
    state: dict[str, Any] = {"item": DECIDED, "evidence": None}
    assert llm_can_change("valence", state, rt, decisions) is expected


def test_a_combiner_never_reads_the_answer_of_a_field_it_was_not_asked() -> None:
    """A partial draft (the cascade asked for genres only) must look like no draft to the valence
    combiner: its default 'neutral' is not an answer."""
    item = Item(id="x", title="What a wonderful day")
    partial = Observation(item=item, evidence={"lexical_valence": 0.5}, draft={"genres": ["pop"]})
    assert list(scalar_dense(partial)) == list(scalar_dense(partial.without_draft()))
    answered = Observation(item=item, evidence={"lexical_valence": 0.5}, draft={"valence": "very positive"})
    assert list(scalar_dense(answered)) != list(scalar_dense(answered.without_draft()))


def test_an_undetermined_language_is_an_abstention_not_a_review_reason() -> None:
    """No catalog tag and too little text for language id: the record says 'und' and is not
    routed for it; a language only the LLM claims (``--llm always``) is routed at 0.30."""
    never, _ = _tag(UNDECIDED, "never")
    e = never["enrichment"]
    assert e.language == "und" and e.confidence.language < 0.5
    assert not any("language" in r for r in e.review.reasons), e.review.reasons
    always, _ = _tag(UNDECIDED, "always")  # the recording double answers the first language enum (en)
    a = always["enrichment"]
    assert a.language != "und" and any(r.startswith("low confidence: language") for r in a.review.reasons)


def test_which_fields_ride_along_is_read_from_the_builtin_specs(monkeypatch) -> None:
    """Advisory fields (a shipped spec with ``review_threshold: 0``: moods) ride along once a
    call is made; the list is the specs', not the node's: a moods spec that routes like the others
    is asked only when it is itself undecided (moods is no review field, so never here)."""
    from linernotes.signals import builtin

    assert builtin.advisory() == ("moods",)
    shipped = builtin.builtin_specs()
    routing = {**shipped, "moods": shipped["moods"].model_copy(update={"review_threshold": 0.5})}
    monkeypatch.setattr(builtin, "builtin_specs", lambda: routing)
    state, llm = _tag(UNDECIDED, "auto")
    asked = state["enrichment"].provenance.llm_fields
    assert len(llm.requests) == 1 and "genres" in asked and "moods" not in asked, asked
