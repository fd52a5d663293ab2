"""The record's fields as route will write them, and which of them are below their review
threshold. Shared by ``route`` (which writes the record) and ``triage`` (which asks the LLM only
about fields that would be routed as they stand).

A field is routed when its confidence is below its threshold: the fusion artifact's per-field
threshold for a calibrated field (chosen so auto-accepted fields are >= 95% precise out of fold),
the run's ``review_threshold`` otherwise. A model claim the tools do not support is a fusion
feature, not a review reason; lexicon-backed flags stay, whatever the model says.
"""

from __future__ import annotations

from dataclasses import dataclass

from linernotes.agents.checks import BCP47, find_span
from linernotes.agents.decisions import clip
from linernotes.agents.runtime import AgentRuntime
from linernotes.agents.state import Draft, Evidence, GraphState, answering
from linernotes.fusion.decide import Decision
from linernotes.schema import Confidence, PolicyFlag
from linernotes.signals import builtin
from linernotes.tools.policy.lookup import MAX_HITS_PER_CLAUSE
from linernotes.tools.policy.pack import PolicyPack

EXPLICIT_POLICY = "explicit-language"


# A mood the shortlist found named in the item's text ("name in text: 'melancholic'") scores >= 0.5;
# a "weak similarity" candidate scores ~0.01: no tool found it in the item.
MOOD_SUPPORT = 0.5
# The hand-set confidence of a value only the LLM gave (no tool supports it): a flat level, not a
# score derived from anything, and below every review threshold.
LLM_ONLY = 0.3


def supported_moods(chosen: list[str], ev: Evidence) -> list[str]:
    """Those of ``chosen`` the mood shortlist found in the item's text (score >= MOOD_SUPPORT)."""
    scores = {c.id: c.score for c in ev.moods}
    return [m for m in chosen if scores.get(m, 0.0) >= MOOD_SUPPORT]


def mood_confidence(chosen: list[str], ev: Evidence) -> float:
    """0 without moods; ``LLM_ONLY`` when a chosen mood has no tool support (the LLM's alone: a
    weak-similarity score of ~0.01 would make 0.3061, a number that reads as measured; and the
    field is as good as its weakest mood, as genres: 'calm' beside a supported 'energetic' for a
    driving synthwave track had the supported one's 0.60); else 0.3 + half the best chosen mood's
    shortlist score."""
    if not chosen:
        return 0.0
    if len(supported_moods(chosen, ev)) < len(chosen):
        return LLM_ONLY
    scores = {c.id: c.score for c in ev.moods}
    return clip(0.3 + 0.5 * max(scores[m] for m in chosen))


NO_LINGUISTIC_CONTENT = "zxx"  # ISO 639-2 (and BCP-47): an instrumental has no lyrics language


def language_of(item, ev: Evidence, draft: Draft | None) -> tuple[str, float]:
    """The record's language and its hand-set confidence: the catalog's tag; else ``zxx`` for a
    track whose own words say it has no vocals (``ev.no_vocals``: a guess from its description
    would name the description's language, not a lyrics language); else language id on the text;
    else the LLM's tag (0.3: never auto-accepted); else ``und``."""
    if item.language and BCP47.match(item.language.strip()):
        return item.language.strip(), 0.95
    if ev.no_vocals is not None and not item.lyrics:
        return NO_LINGUISTIC_CONTENT, 0.9
    if ev.language_guess:
        agrees = draft is None or draft.language == ev.language_guess
        return ev.language_guess, 0.85 if agrees else 0.65
    if draft is not None and BCP47.match(draft.language or ""):
        return draft.language, LLM_ONLY
    return "und", 0.3


def fused_flags(flags: list[PolicyFlag], decision: Decision, pack: PolicyPack) -> list[PolicyFlag]:
    """Add the fused classifier's clause to the lexicon's flags (or mark the lexicon's flag as
    confirmed), its flag first: it is the record's policy category. No clause ("none") adds
    nothing; the lexicon's flags always stay."""
    by_id = {f.clause_id: f.model_copy() for f in flags}
    cid = decision.value
    index = pack.clause_index()
    if cid in by_id:
        by_id[cid].source = "lexicon+fusion"
        by_id[cid].confidence = decision.confidence
        if decision.passage is not None and decision.passage not in by_id[cid].spans:
            # the passage the flag was read in (a long text): quoted beside the lexicon's words, as
            # the routing note names it; a new list (the copy is shallow), held to the record's cap
            # on quotes per clause (a long profane text fills it with lexicon hits)
            by_id[cid].spans = [*by_id[cid].spans[:MAX_HITS_PER_CLAUSE - 1], decision.passage]
    elif cid in index:
        pol, clause = index[cid]
        by_id[cid] = PolicyFlag(policy_id=pol.id, clause_id=cid, severity=clause.severity,
                                spans=[decision.passage] if decision.passage is not None else [], source="fusion",
                                confidence=decision.confidence)
    fused_first = ("fusion", "lexicon+fusion")
    return sorted(by_id.values(), key=lambda f: (f.source not in fused_first, -f.severity, f.clause_id))


def policy_flags(state: GraphState, rt: AgentRuntime, decision: Decision | None) -> list[PolicyFlag]:
    """Lexicon flags (never removable), the fused classifier's flag, and — only when no classifier
    was fitted — a model-cited clause backed by an exact quote."""
    item, ev = state["item"], state["evidence"]
    draft: Draft = answering(state.get("draft"), "policy") or Draft()
    flags: dict[str, PolicyFlag] = {}
    clause_index = rt.policy.clause_index()
    for h in ev.policy_hits:
        f = flags.get(h.clause_id)
        if f is None:
            f = flags[h.clause_id] = PolicyFlag(policy_id=h.policy_id, clause_id=h.clause_id, severity=h.severity,
                                                spans=[], source="lexicon")
        f.severity = max(f.severity, h.severity)
        f.spans.append(h.span)
    if decision is not None:
        return fused_flags(list(flags.values()), decision, rt.policy)
    quote = find_span(item, draft.explicit_quote) if draft.explicit_quote else None
    # deduplicated: a clause the model cites twice must not upgrade its own model-only flag to
    # "lexicon+model" (that label claims lexicon evidence the item does not have)
    for cid in dict.fromkeys(draft.policy_clauses):
        if cid in flags:
            flags[cid].source = "lexicon+model"
        elif cid in clause_index and quote is not None:
            pol, clause = clause_index[cid]
            flags[cid] = PolicyFlag(policy_id=pol.id, clause_id=cid, severity=clause.severity, spans=[quote],
                                    source="model")
    return sorted(flags.values(), key=lambda f: (-f.severity, f.clause_id))


def evidence_moods(ev: Evidence, limit: int) -> list[str]:
    """Without the LLM's answer: the mood candidates the lexical match found (score >= 0.5)."""
    return [c.id for c in ev.moods if c.score >= MOOD_SUPPORT][:limit]


@dataclass
class FieldView:
    """Every review field's value and confidence as the record will carry them. ``decisions``:
    per built-in field decided by a combiner or the hand-set rules (``agents.decisions.decide``:
    genres and valence always, policy when its combiner applied)."""

    decisions: dict[str, Decision]
    moods: list[str]
    language: str
    explicit_hits: list
    flags: list[PolicyFlag]
    conf: Confidence
    thresholds: dict[str, float]

    @property
    def genres(self) -> Decision:
        return self.decisions["genres"]

    @property
    def valence(self) -> Decision:
        return self.decisions["valence"]

    @property
    def policy(self) -> Decision | None:
        return self.decisions.get("policy")


def field_view(state: GraphState, rt: AgentRuntime) -> FieldView:
    """The record's fields from the decisions, the draft's answered fields and the evidence.
    Also what the cascade reads (``triage``) to tell which fields are already decided."""
    item, ev, cfg = state["item"], state["evidence"], rt.config
    draft: Draft | None = state.get("draft")
    decisions: dict[str, Decision] = state.get("decisions") or {}
    if answering(draft, "moods") is not None:
        moods = [m for m in dict.fromkeys(draft.moods) if m in rt.moods][: cfg.max_moods]
    else:
        moods = evidence_moods(ev, cfg.max_moods)
    language, lang_conf = language_of(item, ev, answering(draft, "language"))
    # what the record marks as holding a value the LLM's alone: a mood no tool found in the item, a
    # language no tool named (the catalog gave none, language id abstained)
    llm_only = [name for name, alone in (
        ("moods", len(supported_moods(moods, ev)) < len(moods)),
        ("language", answering(draft, "language") is not None and language != "und" and lang_conf == LLM_ONLY))
        if alone]

    explicit_hits = [h for h in ev.policy_hits if h.policy_id == EXPLICIT_POLICY]
    exp_conf = 0.95 if explicit_hits else (0.85 if item.text_fields() else 0.5)
    flags = policy_flags(state, rt, decisions.get("policy"))
    # the hand-set scores of the fields without a decision; a decided field's confidence is its
    # decision's (the combiner's calibrated probability, or the rules' score)
    scores = {"moods": mood_confidence(moods, ev), "language": lang_conf, "explicit": exp_conf,
              "policy": 0.9 if all(f.source != "model" for f in flags) else 0.55}
    scores.update({name: d.confidence for name, d in decisions.items()})
    fitted = {name: d for name in builtin.fields() if (d := decisions.get(name)) is not None and d.calibrated}
    # 4 decimals, as the confidences: the record shows the level route compared with
    thresholds = {name: round(d.threshold, 4) for name, d in fitted.items() if d.threshold is not None}
    conf = Confidence(**{name: clip(scores[name]) for name in builtin.fields()}, calibrated=list(fitted),
                      thresholds=thresholds, llm_only=llm_only)
    return FieldView(decisions=decisions, moods=moods, language=language, explicit_hits=explicit_hits, flags=flags,
                     conf=conf, thresholds=thresholds)


def low_confidence(view: FieldView, rt: AgentRuntime) -> dict[str, str]:
    """Review field -> reason, for each field whose confidence is below its threshold (the
    artifact's for a calibrated field, the run's ``review_threshold`` otherwise). An advisory
    field (calibrated, no threshold reached the target precision) is never one."""
    out: dict[str, str] = {}
    for name in rt.config.review_fields:
        if name in view.conf.calibrated and name not in view.thresholds:
            continue  # advisory: no confidence reached the target precision out of fold (see the card)
        if name == "language" and view.language == "und":
            # an abstention claims nothing a reviewer could confirm: the catalog gave no tag and the
            # text was too short or too mixed for language id (a title/artist line), which is all a
            # reviewer would see too
            continue
        if name == "policy" and view.policy is not None and view.policy.note:
            continue  # routed with its own reason whatever its confidence (``Decision.note``, route)
        value = getattr(view.conf, name, None)
        limit = view.thresholds.get(name, rt.config.review_threshold)
        if value is not None and value < limit:
            kind = "calibrated" if name in view.thresholds else "uncalibrated"
            # a level of 1.0: no confidence made this answer (a policy flag) 95% precise out of
            # fold, so every one is confirmed by a person; "0.91 < 1.00" would read as a near miss
            out[name] = (f"to confirm: {name} {value:.2f} (no confidence level of this answer reached the target "
                         "precision out of fold)" if limit >= 1.0 else
                         f"low confidence: {name} {value:.2f} < {limit:.2f} ({kind})")
            if name == "policy" and (alt := likeliest_flag(view.policy)) is not None:
                # the class alone: its raw probability is below the none cutoff by construction
                # (0.07 for a threat called clean at a calibrated 0.20) and reads as a contradiction
                out[name] += f"; answered none, likeliest flag: {alt[0]}"
    return out


def likeliest_flag(decision: Decision | None) -> tuple[str, float] | None:
    """A combiner's ``none`` policy answer: (the likeliest class other than none, its probability
    from ``decision.scores``), so a reviewer of an item routed for a doubtful 'none' sees what it
    might be (QA session 22: "Bring a gun to Lincoln High... shoot every teacher" was routed as
    "low confidence: policy 0.14 < 0.50 (calibrated)", naming nothing). None for a flag, a
    hand-set decision or one without class probabilities."""
    if decision is None or decision.value is not None or not decision.label or not decision.scores:
        return None
    others = {c: p for c, p in decision.scores.items() if c != decision.label}
    if not others:
        return None
    best = max(others, key=lambda c: (others[c], c))
    return best, others[best]
