"""route: turn a verified draft plus tool evidence into the final record, compute confidences,
and decide whether a person must review it (and why)."""

from __future__ import annotations

from linernotes.agents.nodes.verify import BCP47, find_span, needs_reask
from linernotes.agents.runtime import AgentRuntime
from linernotes.agents.state import Draft, Evidence, GraphState
from linernotes.schema import (
    Confidence,
    Enrichment,
    Explicit,
    PolicyFlag,
    Provenance,
    Review,
    Usage,
)
from linernotes.vocabulary import VALENCE_SCALE

EXPLICIT_POLICY = "explicit-language"


def _clip(x: float) -> float:
    return round(max(0.0, min(1.0, x)), 4)


def genre_confidence(chosen: list[str], ev: Evidence) -> float:
    """Retrieval support and exemplar agreement, not the model's say-so."""
    if not chosen:
        return 0.0
    scores = {c.id: c.score for c in ev.genres}
    support = max(scores.get(g, 0.0) for g in chosen)
    top = ev.genres[0].id if ev.genres and ev.genres[0].score > 0 else None
    votes: dict[str, float] = {}
    for ex in ev.exemplars:
        for g in ex.genres:
            votes[g] = votes.get(g, 0.0) + 1.0
    agree = (sum(votes.get(g, 0.0) for g in chosen) / (len(chosen) * max(1, len(ev.exemplars)))) if votes else 0.0
    return _clip(0.15 + 0.45 * support + 0.3 * agree + (0.1 if top in chosen else 0.0))


def mood_confidence(chosen: list[str], ev: Evidence) -> float:
    if not chosen:
        return 0.0
    scores = {c.id: c.score for c in ev.moods}
    return _clip(0.3 + 0.5 * max(scores.get(m, 0.0) for m in chosen))


def route(state: GraphState, rt: AgentRuntime) -> GraphState:
    item, ev, cfg = state["item"], state["evidence"], rt.config
    draft: Draft = state.get("draft") or Draft()
    usage: Usage = state.get("usage") or Usage()
    reasons: list[str] = [f"unresolved: {p}" for p in state.get("problems") or [] if needs_reask(p)]
    tax = rt.taxonomy_for(item)

    genres = [g for g in dict.fromkeys(draft.genres) if g in tax][: cfg.max_genres]
    moods = [m for m in dict.fromkeys(draft.moods) if m in rt.moods][: cfg.max_moods]

    model_val = VALENCE_SCALE.get(draft.valence, 0.0)
    if ev.lexical_valence is not None:
        valence = 0.5 * model_val + 0.5 * ev.lexical_valence
        val_conf = 1.0 - abs(model_val - ev.lexical_valence) / 2
    else:
        valence, val_conf = model_val, 0.35

    if item.language and BCP47.match(item.language.strip()):
        language, lang_conf = item.language.strip(), 0.95
    elif ev.language_guess:
        language = ev.language_guess
        lang_conf = 0.85 if draft.language == ev.language_guess else 0.65
    else:
        language = draft.language if BCP47.match(draft.language or "") else "und"
        lang_conf = 0.3

    # explicitness and policy: the lexicon is evidence the model cannot talk away
    hits = ev.policy_hits
    explicit_hits = [h for h in hits if h.policy_id == EXPLICIT_POLICY]
    quote_span = find_span(item, draft.explicit_quote) if draft.explicit_quote else None
    # a model-only claim is a review reason, not a flag: the small model over-reports
    explicit_spans = [h.span for h in explicit_hits]
    explicit_value = bool(explicit_hits)
    if explicit_hits and draft.explicit:
        exp_conf = 0.95
    elif explicit_hits:
        exp_conf = 0.75
        reasons.append("conflict: lexicon found explicit language the model did not report")
    elif draft.explicit:
        exp_conf = 0.5
        quoted = f": {quote_span.text!r}" if quote_span else " without an exact quote"
        reasons.append(f"conflict: model reports explicit content the lexicon did not find{quoted}")
    else:
        exp_conf = 0.85 if item.text_fields() else 0.5

    flags: dict[str, PolicyFlag] = {}
    clause_index = rt.policy.clause_index()
    for h in hits:
        f = flags.get(h.clause_id)
        if f is None:
            f = flags[h.clause_id] = PolicyFlag(policy_id=h.policy_id, clause_id=h.clause_id, severity=h.severity,
                                                spans=[], source="lexicon")
        f.severity = max(f.severity, h.severity)
        f.spans.append(h.span)
    # deduplicated: a clause the model cites twice must not upgrade its own model-only flag to
    # "lexicon+model" (that label claims lexicon evidence the item does not have)
    for cid in dict.fromkeys(draft.policy_clauses):
        if cid in flags:
            flags[cid].source = "lexicon+model"
        elif cid in clause_index and quote_span is not None:
            pol, clause = clause_index[cid]
            flags[cid] = PolicyFlag(policy_id=pol.id, clause_id=cid, severity=clause.severity, spans=[quote_span],
                                    source="model")
        elif cid in clause_index:
            reasons.append(f"model cited clause {cid} without evidence; not flagged")
    policy_flags = sorted(flags.values(), key=lambda f: (-f.severity, f.clause_id))
    max_sev = max((f.severity for f in policy_flags), default=0)
    pol_conf = 0.9 if all(f.source != "model" for f in policy_flags) else 0.55

    conf = Confidence(genres=genre_confidence(genres, ev), moods=mood_confidence(moods, ev), valence=_clip(val_conf),
                      language=_clip(lang_conf), explicit=_clip(exp_conf), policy=_clip(pol_conf))
    for name, value in conf.model_dump().items():
        if name in cfg.review_fields and value < cfg.review_threshold:
            reasons.append(f"low confidence: {name} {value:.2f}")
    if max_sev >= cfg.review_severity:
        reasons.append(f"policy severity {max_sev}")
    if ev.audio_error:
        reasons.append(f"audio: {ev.audio_error['kind']}")

    prov = Provenance(model=rt.llm.model_label, prompt_hash=rt.prompt.hash, tool_versions=rt.tool_versions,
                      tokens_in=usage.tokens_in, tokens_out=usage.tokens_out, cost_usd=round(usage.cost_usd, 8),
                      latency_s=round(usage.latency_s, 4), cache_hit=usage.cache_hit and usage.calls == 0,
                      llm_calls=usage.calls, attempts=state.get("attempts", 1))
    enrichment = Enrichment(
        genres=genres, moods=moods, valence=round(max(-1.0, min(1.0, valence)), 4), language=language,
        explicit=Explicit(value=explicit_value, evidence=explicit_spans), policy_flags=policy_flags,
        confidence=conf, rationale=draft.rationale[:500], review=Review(routed=bool(reasons), reasons=list(dict.fromkeys(reasons))),
        provenance=prov, evidence=ev.model_dump(mode="json", exclude_none=True),
        draft=state["draft"].model_dump(mode="json", exclude={"rationale"}) if state.get("draft") else None,
    )
    return {"enrichment": enrichment}
