"""The one object that flows through the graph, and the evidence the tools put into it."""

from __future__ import annotations

from typing import Any, TypedDict

from pydantic import BaseModel, Field

from linernotes.fusion.decide import Decision
from linernotes.schema import Enrichment, ErrorInfo, Item, Usage
from linernotes.tools.audio.features import AudioFeatures
from linernotes.tools.policy.lookup import PolicyHit
from linernotes.tools.retrieval.shortlist import Candidate
from linernotes.tools.text.vocals import NoVocalsCue
from linernotes.vocabulary import DRAFT_KEYS, LLM_FIELDS


class ClauseRef(BaseModel):
    id: str
    policy_id: str
    severity: int
    text: str


class Exemplar(BaseModel):
    """A few-shot neighbour; ``fields``: its record's artist / label / album (None: an old index)."""

    id: str
    text: str
    genres: list[str]
    score: float = 0.0
    fields: dict[str, str] | None = None


class Evidence(BaseModel):
    """Tool outputs for one item: what the model is shown and what verify/route check against."""

    genre_taxonomy: str = ""
    genres: list[Candidate] = Field(default_factory=list)
    moods: list[Candidate] = Field(default_factory=list)
    exemplars: list[Exemplar] = Field(default_factory=list)
    exemplar_index_size: int | None = Field(
        None, ge=0, description="how many labeled items the exemplar index the item was tagged against holds "
        "(the shortlist's neighbour votes and the few-shot exemplars come from it); None: no index")
    audio: AudioFeatures | None = None
    audio_error: dict[str, str] | None = None
    policy_hits: list[PolicyHit] = Field(default_factory=list)
    policy_hits_total: int | None = Field(
        None, description="lexicon hits found before the per-clause cap (tools.policy.lookup.MAX_HITS_PER_CLAUSE) "
        "when some were left out of policy_hits; None: policy_hits are all of them")
    clauses: list[ClauseRef] = Field(default_factory=list)
    lexical_valence: float | None = None
    afinn_valence: float | None = None
    language_guess: str | None = None
    no_vocals: NoVocalsCue | None = Field(
        None, description="a track's own words saying it has no vocals (tools.text.vocals): its language is "
        "'zxx', never a guess from its description; None: no such words (or not a track)")


class Draft(BaseModel):
    """What the model returned, before verification (ids not yet trusted).

    ``fields``: the record fields the model was asked about (the cascade asks only for the
    undecided ones); the other attributes keep their defaults and mean nothing."""

    genres: list[str] = Field(default_factory=list)
    moods: list[str] = Field(default_factory=list)
    valence: str = "neutral"
    language: str = "und"
    explicit: bool = False
    explicit_quote: str = ""
    policy_clauses: list[str] = Field(default_factory=list)
    rationale: str = ""
    fields: list[str] = Field(default_factory=lambda: list(LLM_FIELDS), exclude=True)

    def answered(self, field: str) -> bool:
        return field in self.fields

    def answer(self) -> dict[str, Any]:
        """The answered attributes only (JSON), as records and fusion observations carry them."""
        keys = {k for f in self.fields for k in DRAFT_KEYS.get(f, ())}
        return self.model_dump(mode="json", include=keys)


def dump_evidence(ev: Evidence) -> tuple[Evidence, dict[str, Any]]:
    """``ev`` and its JSON dump, as the tools step puts them into the state (``evidence_json``)."""
    return ev, ev.model_dump(mode="json", exclude_none=True)


def evidence_json(state: GraphState) -> dict[str, Any]:
    """``state["evidence"]`` as JSON (``model_dump(mode="json", exclude_none=True)``): what the
    record carries and the fusion observations read. The tools step dumps it once
    (``dump_evidence``); triage, the combiners and route read that dump, where each dumped it
    again (~25 us a dump, three an item under ``--llm always``). Nothing changes the evidence
    after the tools step; a state whose ``evidence`` is not the object dumped (or that has no
    dump) gets a dump of its own. The dict is shared: read it, do not change it (the record's
    ``Enrichment`` copies it)."""
    ev = state["evidence"]
    held = state.get("evidence_json")
    if held is not None and held[0] is ev:
        return held[1]
    return ev.model_dump(mode="json", exclude_none=True)


def answering(draft: Draft | None, field: str) -> Draft | None:
    """``draft`` when it answers ``field``; None when there is no draft or the LLM was not asked
    about that field (its attributes for it are defaults, not answers)."""
    return draft if draft is not None and draft.answered(field) else None


class GraphState(TypedDict, total=False):
    item: Item
    plan: list[str]
    evidence: Evidence
    # the evidence and its JSON dump, made once by the tools step (``evidence_json``)
    evidence_json: tuple[Evidence, dict[str, Any]]
    draft: Draft | None
    ask: list[str]
    decisions: dict[str, Decision]
    # triage's evidence-only decisions of an item it sends to the LLM (--llm auto): fuse reuses
    # those of combiners that do not read drafts instead of computing them again
    evidence_decisions: dict[str, Decision]
    attempts: int
    problems: list[str]
    usage: Usage
    enrichment: Enrichment | None
    error: ErrorInfo | None
    trace: list[dict[str, Any]]
