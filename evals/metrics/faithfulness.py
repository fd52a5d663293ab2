"""LLM-judged faithfulness of each rationale to the evidence the tagger was shown (ragas
``Faithfulness``: split the rationale into claims, check each against the contexts).

Contexts = the item's visible inputs plus the tool evidence (genre/mood candidates, lexicon hits,
clauses, lexical valence, language guess). The judge is configurable: ``embedded`` /
``local:/x.gguf`` use the embedded llama.cpp server's OpenAI-compatible endpoint; any other name
is an OpenAI-compatible model at ``judge_api_base`` (or OpenAI, key from the environment).
A judge failure is counted by kind, never scored as 0 or 1.
"""

from __future__ import annotations

import asyncio
import os
from typing import Any

from linernotes.config import TagConfig
from linernotes.evals.record import ItemResult

os.environ.setdefault("RAGAS_DO_NOT_TRACK", "true")

USER_INPUT = "Tag this catalog item (genres, moods, valence, policy) and explain why in one sentence."


def contexts_for(item: ItemResult) -> list[str]:
    pred = item.prediction or {}
    ev = pred.get("evidence") or {}
    out = ["; ".join(f"{k}: {v}" for k, v in item.inputs.items())]
    if ev.get("genres"):
        out.append("genre candidates: " + ", ".join(str(c.get("label") or c.get("id")) for c in ev["genres"]))
    if ev.get("moods"):
        out.append("mood candidates: " + ", ".join(str(c.get("id")) for c in ev["moods"]))
    if ev.get("policy_hits"):
        out.append("lexicon hits: " + ", ".join(str(h.get("term")) for h in ev["policy_hits"]))
    if ev.get("clauses"):
        out.append("policy clauses: " + "; ".join(f"{c.get('id')}: {c.get('text')}" for c in ev["clauses"]))
    if ev.get("lexical_valence") is not None:
        out.append(f"lexical valence: {ev['lexical_valence']:.2f}")
    if ev.get("language_guess"):
        out.append(f"language guess: {ev['language_guess']}")
    return [c for c in out if c]


def judge_llm(judge: str, config: TagConfig, api_base: str | None = None) -> Any:
    from openai import AsyncOpenAI
    from ragas.llms.base import llm_factory

    if judge == "embedded" or judge.startswith("local:"):
        from linernotes.llm.client import LLMClient, LLMConfig

        ep = LLMClient(LLMConfig(model=judge, threads=config.llm.threads, parallel=1, use_cache=False)).endpoint()
        client = AsyncOpenAI(base_url=ep.api_base, api_key=ep.api_key or "none")
        model = ep.litellm_model.removeprefix("openai/")
    else:
        client = AsyncOpenAI(base_url=api_base) if api_base else AsyncOpenAI()
        model = judge
    return llm_factory(model, client=client, temperature=0.0, max_tokens=512)


async def judge_faithfulness(items: list[ItemResult], judge: str, config: TagConfig, max_items: int | None = None,
                             api_base: str | None = None, timeout_s: float = 300.0):
    from ragas.metrics.collections import Faithfulness

    from linernotes.evals.scoring import JudgeScores

    metric = Faithfulness(llm=judge_llm(judge, config, api_base))
    scores: list[float | None] = [None] * len(items)
    failures: dict[str, int] = {}
    todo = [i for i, it in enumerate(items) if it.prediction and (it.prediction.get("rationale") or "").strip()]
    skipped_empty = sum(1 for it in items if it.prediction and not (it.prediction.get("rationale") or "").strip())
    if skipped_empty:
        failures["empty_rationale"] = skipped_empty
    for i in todo[:max_items] if max_items else todo:
        it = items[i]
        try:
            res = await asyncio.wait_for(metric.ascore(user_input=USER_INPUT, response=it.prediction["rationale"],
                                                       retrieved_contexts=contexts_for(it)), timeout_s)
            value = float(res.value)
            if value != value:  # ragas returns NaN when the judge extracted no claims
                failures["no_claims"] = failures.get("no_claims", 0) + 1
            else:
                scores[i] = value
        except Exception as e:  # noqa: BLE001 (a judge failure is counted, not fatal)
            kind = type(e).__name__
            failures[kind] = failures.get(kind, 0) + 1
    return JudgeScores(scores=scores, failures=failures, judge=judge)
