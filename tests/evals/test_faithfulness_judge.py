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


def test_a_judge_that_extracts_nothing_is_a_counted_failure(monkeypatch):
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test-not-a-real-key")
    with StubServer() as stub:  # the plain stub answers the minimal instance: no statements
        result = asyncio.run(judge_faithfulness(_items()[:1], "judge-model", TagConfig(), api_base=stub.base_url))
    assert result.scores == [None]
    assert sum(result.failures.values()) == 1
