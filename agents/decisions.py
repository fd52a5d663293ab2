"""How each built-in field is decided from the tool evidence and the LLM's draft.

A field the fusion artifact was fitted for (``linernotes.fusion``) gets the learned combiner's
value and a calibrated probability of being right. Any other field keeps the hand-set rules
below, and its confidence is marked uncalibrated: a retrieval/agreement score, not a probability.
Without a draft (``--llm never``, or a field the cascade did not ask the LLM about) the rules
and the combiners read the evidence alone. Used by the ``fuse`` node and by ``triage`` (the
cascade's evidence-only decisions), so both decide with the same code.
"""

from __future__ import annotations

from collections.abc import Sequence

from linernotes.agents.evidence import passage_evidence
from linernotes.agents.runtime import AgentRuntime
from linernotes.agents.state import Draft, Evidence, GraphState, answering, evidence_json
from linernotes.fusion.decide import (
    Decision,
    fused,
    fused_many,
    fused_passages,
    passages_of,
    reads_draft,
    unread_note,
    unread_passages,
)
from linernotes.fusion.observation import Observation, observation
from linernotes.schema import Item
from linernotes.vocabulary import VALENCE_SCALE

# How the review reason of a combiner's 'none' beside the lexicon's flag begins (``lexicon_dissent``):
# liner eval's report counts such items among its uncalibrated confidences (``evals.report``)
LEXICON_DISSENT = "to confirm: policy: the lexicon flags"


def clip(x: float) -> float:
    return round(max(0.0, min(1.0, x)), 4)


def genre_confidence(chosen: list[str], ev: Evidence) -> float:
    """Retrieval support and exemplar agreement, not the model's say-so (uncalibrated). The support
    is the weakest chosen genre's shortlist score: one wrong genre makes the field wrong (as the
    combiner's ``precise``), so a weakly supported genre the model adds beside a well-supported
    one lowers the field's confidence (it was the best one's: 'film history' beside 'history' for a
    polar expedition podcast was auto-accepted)."""
    if not chosen:
        return 0.0
    scores = {c.id: c.score for c in ev.genres}
    support = min(scores.get(g, 0.0) for g in chosen)
    top = ev.genres[0].id if ev.genres and ev.genres[0].score > 0 else None
    votes: dict[str, float] = {}
    for ex in ev.exemplars:
        for g in ex.genres:
            votes[g] = votes.get(g, 0.0) + 1.0
    agree = (sum(votes.get(g, 0.0) for g in chosen) / (len(chosen) * max(1, len(ev.exemplars)))) if votes else 0.0
    return clip(0.15 + 0.45 * support + 0.3 * agree + (0.1 if top in chosen else 0.0))


def evidence_genres(ev: Evidence, limit: int) -> list[str]:
    """Without a draft: the candidates most similar labeled items vote for (share >= 0.5), else the
    best-scored candidate."""
    voted = [c.id for c in ev.genres if c.vote >= 0.5][:limit]
    if voted:
        return voted
    return [ev.genres[0].id] if ev.genres and ev.genres[0].score > 0 else []


def heuristic_genres(draft: Draft | None, ev: Evidence, allowed, limit: int) -> Decision:
    chosen = [g for g in dict.fromkeys(draft.genres) if g in allowed][:limit] if draft else evidence_genres(ev, limit)
    return Decision(value=chosen, confidence=genre_confidence(chosen, ev))


def heuristic_valence(draft: Draft | None, ev: Evidence) -> Decision:
    if draft is None:
        lexical = ev.lexical_valence
        return Decision(value=lexical or 0.0, confidence=0.5 if lexical is not None else 0.35)
    model = VALENCE_SCALE.get(draft.valence, 0.0)
    if ev.lexical_valence is None:
        return Decision(value=model, confidence=0.35)
    return Decision(value=round(0.5 * model + 0.5 * ev.lexical_valence, 4),
                    confidence=clip(1.0 - abs(model - ev.lexical_valence) / 2))


def fusion_vocabulary(field: str, item, rt: AgentRuntime) -> str:
    """The vocabulary a field's combiner must have been fitted on to apply to ``item``: the
    item type's genre taxonomy, the run's policy pack; '' for a field without one (valence)."""
    if field == "genres":
        return rt.taxonomy_for(item).id
    return rt.policy.id if field == "policy" else ""


def draftless_ahead(states: list[GraphState], rt: AgentRuntime) -> None:
    """Decide, for a micro-batch's items that the LLM is asked about and that have no evidence-only
    decisions yet (``--llm always``: triage computes none), the fields whose combiner reads no
    draft (the shipped policy and valence ones), in one product per field for them all, into each
    state's ``evidence_decisions``: ``decide`` reuses them as it reuses triage's (no answer can
    change them). The same bits as one item at a time (``fusion.decide.fused_many``); ~0.25 ms
    of CPU less per item (batches of 16). Only a saving: if it fails, each item decides alone
    (its own error)."""
    ready = [s for s in states if s.get("ask") and "evidence" in s and "evidence_decisions" not in s
             and "decisions" not in s]
    try:
        groups: dict[tuple[str, str], list[int]] = {}
        for i, state in enumerate(ready):
            for field in ("valence", "policy"):  # genres' combiner reads the draft
                vocabulary = fusion_vocabulary(field, state["item"], rt)
                if not reads_draft(rt.fusion, field, vocabulary):
                    groups.setdefault((field, vocabulary), []).append(i)
        if not groups:
            return
        obs = [observation(s["item"], evidence_json(s), None) for s in ready]
        found: list[dict[str, Decision]] = [{} for _ in ready]
        for (field, vocabulary), rows in groups.items():
            for i, d in zip(rows, fused_many(rt.fusion, field, [obs[i] for i in rows], vocabulary), strict=True):
                if d is not None:
                    found[i][field] = d
    except Exception:  # noqa: BLE001 (the items' own fuse decides, and reports what fails)
        return
    for state, decisions in zip(ready, found, strict=True):
        state["evidence_decisions"] = decisions


def decide(state: GraphState, rt: AgentRuntime) -> dict[str, Decision]:
    """Each field's decision: the fitted combiner's where the artifact has one for it (value and
    calibrated probability), else the hand-set rules above; from the evidence alone for a field
    the draft does not answer."""
    item, ev, cfg = state["item"], state["evidence"], rt.config
    draft: Draft | None = state.get("draft")
    tax = rt.taxonomy_for(item)
    earlier = state.get("evidence_decisions") or {} if draft is not None else {}
    obs: list[Observation] = []  # built on first use: reused decisions need none

    def combined(field: str) -> Decision | None:
        vocabulary = fusion_vocabulary(field, item, rt)
        d = earlier.get(field)
        if d is not None and d.calibrated and not reads_draft(rt.fusion, field, vocabulary):
            # triage's evidence-only decision: a combiner that ignores drafts decides the same
            # with one (the same evidence, the same draftless observation), so the cascade's
            # asked items paid for fusion twice (~0.5 ms of CPU an item)
            return d
        if not obs:
            obs.append(observation(item, evidence_json(state), draft))
        fitted = fused(rt.fusion, field, obs[0], vocabulary)
        if fitted is not None and field == "genres" and any(g not in tax for g in fitted.value):
            # the combiner chose a label outside the taxonomy (an exemplar index's own label: its
            # votes make it a candidate), which no record may hold. Its confidence is that of the
            # set it chose: kept beside what is left after the label is dropped, an empty answer
            # was auto-accepted at 0.99 (QA session 24, the shipped artifact). The hand-set rules
            # decide instead, uncalibrated
            return None
        return fitted

    decisions: dict[str, Decision] = {}
    # a field the LLM was not asked about (the cascade decided it) is decided from the evidence
    decisions["genres"] = combined("genres") or heuristic_genres(answering(draft, "genres"), ev, tax, cfg.max_genres)
    decisions["valence"] = combined("valence") or heuristic_valence(answering(draft, "valence"), ev)
    policy = (lexicon_dissent(combined("policy"), [(h.clause_id, h.span.text) for h in ev.policy_hits])
              or passage_flag(item, obs, ev, draft, rt))
    if policy is not None:
        decisions["policy"] = policy
    return decisions


def lexicon_dissent(policy: Decision | None, hits: Sequence[tuple[str, str]]) -> Decision | None:
    """The combiner's ``none`` policy answer for an item the lexicon flags: the lexicon's flags
    stay in the record (``fields.policy_flags``), so its policy answer is the lexicon's most
    severe clause, and the calibrated P(none is right) is not that answer's confidence (it was
    0.98 beside the lexicon's ``drugs.reference`` for a Bandcamp title "LSD", auto-accepted). The
    confidence becomes the combiner's P(not none), 1 - P(none is right): an upper bound on any
    flag being right, so uncalibrated, and a note sends the disagreement to a person (1.3% of
    the dev catalog items: 4 of 300 Bandcamp tracks, 1 of 300 VADER sentences). ``hits``: the
    lexicon's (clause id, quoted words), in the evidence's order. Any other decision, or no
    lexicon hit: ``policy`` unchanged. Used by ``decide`` and by ``liner fit``'s cross-fitted
    record (``evals.fit``), which must show what the graph would have written."""
    if policy is None or policy.value is not None or not policy.calibrated or not hits:
        return policy
    quotes: dict[str, list[str]] = {}
    for clause_id, text in hits:
        quotes.setdefault(clause_id, []).append(text)
    # a reviewer needs the words, not all 50 of a profane lyric's (the record quotes them)
    named = ", ".join(f"{cid} ({', '.join(repr(q[:40]) for q in list(dict.fromkeys(qs))[:3])})"
                      for cid, qs in quotes.items())
    unsafe = clip(1.0 - policy.confidence)
    note = (f"{LEXICON_DISSENT} {named} where the combiner answers none at "
            f"{policy.confidence:.2f}; the flag's confidence is the combiner's P(not none) {unsafe:.2f}, uncalibrated")
    return policy.model_copy(update={"confidence": unsafe, "calibrated": False, "threshold": None, "note": note})


def passage_flag(item: Item, obs: list[Observation], ev: Evidence, draft: Draft | None, rt: AgentRuntime
                 ) -> Decision | None:
    """A text too long for the policy combiner, read passage by passage (``fusion.windows``): the
    flag of a passage that reads as unsafe, to be confirmed by a person; None when none does, or
    the combiner cannot read passages (the lexicon's flags stand alone, as before)."""
    vocabulary = fusion_vocabulary("policy", item, rt)
    whole = obs[0] if obs else observation(item, ev, draft)
    spans = passages_of(rt.fusion, "policy", whole, vocabulary)
    if not spans:
        return None
    fields = item.text_fields()
    passages = [observation(Item(id=item.id, type=item.type, description=fields[name][a:b]),
                            passage_evidence(fields[name][a:b], rt.policy), None) for name, a, b in spans]
    return fused_passages(rt.fusion, "policy", whole, passages, spans, vocabulary)


def unread_policy_note(state: GraphState, rt: AgentRuntime) -> str | None:
    """The review reason for an item whose text has more passages than the policy combiner reads
    one by one (``fusion.windows.MAX_WINDOWS``): its policy answer is the lexicon's (and the LLM's,
    when it answered policy), which the record said nowhere; None for any other item."""
    item = state["item"]
    # the passages are read from the item's text alone: no evidence dump for every routed item
    n = unread_passages(rt.fusion, "policy", Observation(item=item, evidence={}, draft=None),
                        fusion_vocabulary("policy", item, rt))
    return unread_note("policy", n, answering(state.get("draft"), "policy") is not None) if n else None
