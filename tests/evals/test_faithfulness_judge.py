"""The faithfulness judge end to end through its OpenAI-compatible path (``--judge MODEL
--judge-api-base URL``), with the STUB endpoint scripted as the judge: ragas asks for the
rationale's statements, then for a verdict per statement; the verdicts decide the score, and a
judge that returns nothing usable is counted as a failure, never scored."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest
from aiohttp import web
from pydantic import BaseModel

from linernotes.config import TagConfig
from linernotes.evals.metrics.faithfulness import judge_faithfulness
from linernotes.evals.record import ItemResult
from linernotes.testing.openai_stub import StubServer, completion_body, requested_schema


def _items() -> list[ItemResult]:
    pred = {"rationale": "A techno track: the title says techno.", "genres": ["techno"],
            "evidence": {"genres": [{"id": "techno", "label": "techno", "score": 0.9}]}}
    return [ItemResult(id="a", inputs={"title": "Deep Techno Session"}, gold={}, prediction=pred),
            ItemResult(id="b", inputs={"title": "Quiet"}, gold={}, prediction={**pred, "rationale": ""})]


def _judge(verdict: int, seen: list[dict[str, Any]]):
    """Answer ragas' two structured calls: statements first, then one verdict per statement."""

    async def answer(body: dict[str, Any]) -> web.Response:
        seen.append(body)
        # ragas asks in JSON mode with the schema in the prompt (or, elsewhere, as a json_schema)
        text = json.dumps(requested_schema(body) or {}) + json.dumps(body.get("messages", []))
        if "verdict" in text:
            content = {"statements": [{"statement": "The title says techno.", "reason": "scripted",
                                       "verdict": verdict}]}
        else:
            content = {"statements": ["The title says techno."]}
        return web.json_response(completion_body(body, content))

    return answer


@pytest.mark.parametrize("verdict, expected", [(1, 1.0), (0, 0.0)])
def test_judge_verdicts_become_scores_and_empty_rationales_are_counted(monkeypatch, verdict, expected):
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test-not-a-real-key")
    seen: list[dict[str, Any]] = []
    with StubServer(intercept=_judge(verdict, seen)) as stub:
        result = asyncio.run(judge_faithfulness(_items(), "judge-model", TagConfig(), api_base=stub.base_url))
    assert result.scores == [pytest.approx(expected), None]
    assert result.failures == {"empty_rationale": 1}
    assert result.judge == "judge-model"
    assert len(seen) == 2 and all(b["model"] == "judge-model" for b in seen)


def _answer(content: dict[str, Any], seen: list[dict[str, Any]]):
    async def answer(body: dict[str, Any]) -> web.Response:
        seen.append(body)
        return web.json_response(completion_body(body, content))

    return answer


def test_a_judge_that_extracts_no_claims_is_counted_as_no_claims(monkeypatch):
    """ragas scores NaN when the judge finds no statements in the rationale: that is the kind
    ``no_claims``, not a score and not some other failure."""
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test-not-a-real-key")
    seen: list[dict[str, Any]] = []
    with StubServer(intercept=_answer({"statements": []}, seen)) as stub:
        result = asyncio.run(judge_faithfulness(_items(), "judge-model", TagConfig(), api_base=stub.base_url))
    assert result.scores == [None, None]
    assert result.failures == {"no_claims": 1, "empty_rationale": 1}
    assert len(seen) == 1  # one statement extraction; no verdict call without statements


def test_a_judge_answer_of_the_wrong_shape_is_counted_by_its_error_kind(monkeypatch):
    """Made up, same kind: the plain stub answers ``{}`` (no ``statements`` field), which ragas'
    structured call rejects after the client's retries: counted under the failure's kind, never scored."""
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test-not-a-real-key")
    with StubServer() as stub:
        result = asyncio.run(judge_faithfulness(_items()[:1], "judge-model", TagConfig(), api_base=stub.base_url))
    assert result.scores == [None]
    assert result.failures == {"llm.bad_response": 1}  # the shared client's kind, after its retries
    assert "no_claims" not in result.failures


def test_judge_calls_go_through_the_tagger_client(monkeypatch):
    """The judge is an ``LLMClient`` like the tagger's: its calls are counted and accounted (usage
    on the scores), and a failure's message is redacted by the client, even when the endpoint
    echoes the caller's key back."""
    from linernotes.evals.metrics.faithfulness import ClientJudge, judge_config
    from linernotes.llm.client import LLMClient, LLMError

    key = "judge-key-not-key-shaped-991"
    monkeypatch.setenv("OPENAI_API_KEY", key)
    seen: list[dict[str, Any]] = []
    with StubServer(intercept=_judge(1, seen)) as stub:
        result = asyncio.run(judge_faithfulness(_items(), "judge-model", TagConfig(), api_base=stub.base_url))
    assert result.usage is not None and result.usage.calls == len(seen) == 2
    assert result.usage.tokens_in > 0 and result.usage.tokens_out > 0

    async def refuse(body: dict[str, Any]) -> web.Response:
        return web.json_response({"error": {"message": f"Incorrect API key provided: {key}"}}, status=401)

    with StubServer(intercept=refuse) as stub:
        client = LLMClient(judge_config("judge-model", TagConfig(), api_base=stub.base_url))
        judge = ClientJudge(client)
        with pytest.raises(LLMError) as err:
            asyncio.run(judge.agenerate("Split into statements: techno.", _Statements))
        assert stub.count == 1
    assert err.value.kind == "auth" and key not in str(err.value) and "[redacted]" in str(err.value)
    assert client.calls == 1 and judge.usage.calls == 1  # the failed attempt is counted too


class _Statements(BaseModel):
    statements: list[str]
