"""LLM-judged faithfulness of each rationale to the evidence the tagger was shown (ragas
``Faithfulness``: split the rationale into claims, check each against the contexts).

Contexts = the item's visible inputs plus the tool evidence (genre/mood candidates, lexicon hits,
clauses, lexical valence, language guess). The judge is configurable: ``embedded`` /
``local:/x.gguf`` use the embedded engine; any other name is an OpenAI-compatible model at
``judge_api_base`` (or OpenAI, key from the environment). Every judge call goes through the
tagger's ``LLMClient`` (retries, usage, cache, redaction). A judge failure is counted by kind
(``llm.<kind>`` for a call that failed for good), never scored as 0 or 1.
"""

from __future__ import annotations

import asyncio
import os
from typing import TypeVar

from pydantic import BaseModel
from ragas.llms.base import InstructorBaseRagasLLM

from linernotes.config import TagConfig
from linernotes.evals.record import ItemResult
from linernotes.llm.client import LLMClient, LLMConfig, LLMError
from linernotes.schema import Usage, add_cost

T = TypeVar("T", bound=BaseModel)

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


class ClientJudge(InstructorBaseRagasLLM):
    """ragas' structured-LLM interface over our ``LLMClient``: the judge's calls get the same
    retries, usage accounting (``usage``), cache and redaction as the tagger's."""

    def __init__(self, client: LLMClient):
        self.client = client
        self.usage = Usage()

    async def agenerate(self, prompt: str, response_model: type[T]) -> T:
        try:
            value, usage = await self.client.structured([{"role": "user", "content": prompt}], response_model)
        except LLMError as e:
            self._add(e.usage)
            raise
        self._add(usage)
        return value

    def generate(self, prompt: str, response_model: type[T]) -> T:
        return asyncio.run(self.agenerate(prompt, response_model))

    def _add(self, u: Usage) -> None:
        self.usage = self.usage.model_copy(update={
            "calls": self.usage.calls + u.calls, "tokens_in": self.usage.tokens_in + u.tokens_in,
            "tokens_out": self.usage.tokens_out + u.tokens_out, "cost_usd": add_cost(self.usage.cost_usd, u.cost_usd)})


def judge_config(judge: str, config: TagConfig, api_base: str | None = None) -> LLMConfig:
    """The judge's LLM config: ``embedded`` / ``local:/x.gguf`` on the embedded engine (one slot);
    any other name is an OpenAI-compatible model at ``api_base`` (or OpenAI; key from the
    environment); a bare name is taken as ``openai/<name>``. JSON mode, as ragas prompts for it."""
    local = judge == "embedded" or judge.startswith("local:")
    model = judge if local or "/" in judge else f"openai/{judge}"
    return LLMConfig(model=model, api_base=None if local else api_base, threads=config.llm.threads, parallel=1,
                     max_tokens=512, mode="json", max_retries=2, use_cache=config.llm.use_cache,
                     cache_path=config.llm.cache_path)


def judge_llm(judge: str, config: TagConfig, api_base: str | None = None) -> ClientJudge:
    return ClientJudge(LLMClient(judge_config(judge, config, api_base)))


async def judge_faithfulness(items: list[ItemResult], judge: str, config: TagConfig, max_items: int | None = None,
                             api_base: str | None = None, timeout_s: float = 300.0):
    os.environ.setdefault("RAGAS_DO_NOT_TRACK", "true")  # read at ragas' first event, not at import
    from ragas.metrics.collections import Faithfulness

    from linernotes.evals.scoring import JudgeScores

    llm = judge_llm(judge, config, api_base)
    metric = Faithfulness(llm=llm)
    scores: list[float | None] = [None] * len(items)
    failures: dict[str, int] = {}
    todo = [i for i, it in enumerate(items) if it.prediction and (it.prediction.get("rationale") or "").strip()]
    skipped_empty = sum(1 for it in items if it.prediction and not (it.prediction.get("rationale") or "").strip())
    if skipped_empty:
        failures["empty_rationale"] = skipped_empty
    try:
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
                kind = f"llm.{e.kind}" if isinstance(e, LLMError) else type(e).__name__
                failures[kind] = failures.get(kind, 0) + 1
    finally:
        llm.client.close()  # an embedded judge's server stops with the judging
    return JudgeScores(scores=scores, failures=failures, judge=judge, usage=llm.usage)
