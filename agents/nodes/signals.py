"""signals: the declared signals (``liner tag --signals``) of one item, after route.

A separate node, not more fields in extract's answer: the built-in call's prompt and schema (and
so its cache keys and records) stay byte-identical whether or not signals are declared, and the
cascade in extract can change which built-in fields it asks for without touching this. The cost
is one more LLM request per item that has applicable signals (none for an item with none).

For each spec that applies to the item's type: gather its evidence, ask the LLM once for all of
them (``llm: always``), verify and decide each by kind (``linernotes.signals.decide``), apply a
fitted model when the run has one for the signal, and route values whose confidence is below
the spec's ``review_threshold``. An LLM failure here never fails the item: the signals fall back
to the evidence and the record names the failure as a review reason.
"""

from __future__ import annotations

from typing import Any

from linernotes.agents.content import content_of, item_text
from linernotes.agents.runtime import AgentRuntime
from linernotes.agents.state import GraphState
from linernotes.llm.client import LLMError
from linernotes.schema import Review, SignalValue, Usage, add_cost, round_cost
from linernotes.signals import answer as ans
from linernotes.signals.decide import SignalDecision, decide
from linernotes.signals.evidence import gather
from linernotes.signals.spec import SignalSpec, signals_for


async def declared_signals(state: GraphState, rt: AgentRuntime) -> GraphState:
    enrichment = state.get("enrichment")
    item, ev = state["item"], state["evidence"]
    specs = signals_for(rt.config.signals, item.type)
    if enrichment is None or not specs:
        return {}
    text = item_text(item)
    evidence: dict[str, dict[str, Any]] = {}
    decided: dict[str, Any] = {}
    for spec in specs:  # evidence: [signals] sees the record's built-in values (the declared ones are asked together)
        evidence[spec.name] = gather(spec, text, ev, enrichment, decided)
    answer: dict[str, Any] | None = None
    reasons: list[str] = []
    usage = Usage(cache_hit=True)
    if rt.config.llm_mode != "never":
        messages = ans.render_messages(item.type, content_of(item, rt.config.content_chars), specs, evidence)
        model, schema = ans.response_for(specs, evidence)
        try:
            parsed, usage = await rt.llm.structured(messages, model, schema)
            answer = parsed.model_dump()
        except LLMError as e:
            usage = e.usage
            reasons.append(f"signals: llm.{e.kind}")
    values: dict[str, SignalValue] = {}
    for spec in specs:
        d: SignalDecision = decide(spec, (answer or {}).get(spec.name), answer is not None and spec.name in answer,
                                   evidence[spec.name])
        calibrated, threshold, fit_note = False, spec.review_threshold, {}
        fitted = (rt.signal_models or {}).get(spec.name)
        if fitted is not None and fitted.spec_hash == spec.content_hash:
            d, threshold = (fitted.apply_to(spec, d, evidence[spec.name], item),  # item: text features of the kind combiners
                            fitted.threshold_or(spec.review_threshold))
            calibrated = fitted.is_calibrated()  # fitted on too little gold: the raw probability
            fit_note = {"model_hash": fitted.content_hash,  # which fitted model, as provenance.fusion for built-ins
                        **({} if calibrated else {"uncalibrated": fitted.uncalibrated_note()})}
        elif spec.name in rt.stale_signal_models:
            # a model fitted on another version of the spec: not applied, and the record says why
            fit_note = {"uncalibrated": rt.stale_signal_models[spec.name].note()}
        decided[spec.name] = d.value
        values[spec.name] = SignalValue(
            value=d.value, confidence=d.confidence, evidence=evidence[spec.name],
            provenance={"spec_hash": spec.content_hash, "kind": spec.kind, "source": d.source,
                        "calibrated": calibrated, "threshold": threshold, "prompt_hash": ans.load_prompt().hash,
                        **fit_note, **({"problems": d.problems} if d.problems else {})})
        if d.confidence < threshold:
            reasons.append(review_reason(spec, d, threshold, calibrated))
    prov = enrichment.provenance
    if answer is not None:
        # the item's answers all came from the cache when this one did and the record's did too
        # (or the record needed no call: triage decided it); a triage-decided item whose signals
        # were answered from the cache was counted as "needed no LLM"
        cache_hit = usage.cache_hit and usage.calls == 0 and (prov.cache_hit or prov.llm_calls == 0)
    else:
        cache_hit = prov.cache_hit and usage.calls == 0
    prov = prov.model_copy(update={
        "tokens_in": prov.tokens_in + usage.tokens_in, "tokens_out": prov.tokens_out + usage.tokens_out,
        "tokens_cached": prov.tokens_cached + usage.tokens_cached,
        "cost_usd": round_cost(add_cost(prov.cost_usd, usage.cost_usd)), "latency_s": round(prov.latency_s + usage.latency_s, 4),
        "llm_calls": prov.llm_calls + usage.calls, "cache_hit": cache_hit})
    all_reasons = list(dict.fromkeys([*enrichment.review.reasons, *reasons]))
    return {"enrichment": enrichment.model_copy(update={
        "signals": values, "provenance": prov, "review": Review(routed=bool(all_reasons), reasons=all_reasons)})}


def review_reason(spec: SignalSpec, d: SignalDecision, threshold: float, calibrated: bool) -> str:
    """Why a signal below its review threshold is routed: "no value" when nothing was decided (the
    reviewer has a value to give), else "low confidence" (a value to check). A multilabel signal's
    [] from the model or a fitted combiner is a value, "none of its labels applies" (an answer since
    6263469), so a doubtful [] reads as low confidence; [] from the evidence alone is no value."""
    answered_none = spec.kind == "multilabel" and d.value == [] and d.source in ("llm", "fitted")
    if d.value in (None, [], "") and not answered_none:
        return f"no value: signal {spec.name}"
    kind = "calibrated" if calibrated else "uncalibrated"
    return f"low confidence: signal {spec.name} {d.confidence:.2f} < {threshold:.2f} ({kind})"
