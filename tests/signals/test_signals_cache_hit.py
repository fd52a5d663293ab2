"""An item the cascade decided without the LLM, whose declared signals were answered from the
response cache, has ``provenance.cache_hit`` true, so the summary says its answers came from the
cache (QA: it said "needed none (every field decided from the evidence)"). Endpoint: the OpenAI
stub (linernotes.testing), no model needed."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

from linernotes.config import TagConfig
from linernotes.llm.client import LLMConfig
from linernotes.run.prepare import RunOptions
from linernotes.run.runner import run_batch
from linernotes.signals.spec import load_signals
from linernotes.testing.openai_stub import StubServer

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "catalog.jsonl"


def test_signals_answered_from_the_cache_count_as_cache_hits(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-stub-not-a-key")
    spec = tmp_path / "talky.yaml"
    spec.write_text("name: talky\nkind: boolean\ninstructions: mostly speech\n", encoding="utf-8")
    with StubServer() as stub:
        cfg = TagConfig(llm=LLMConfig(model="openai/stub", api_base=stub.base_url, cache_path=str(tmp_path / "c.sqlite")),
                        llm_mode="auto", audio_base=str(EXAMPLE.parent), signals=load_signals([spec]))
        first = asyncio.run(run_batch(cfg, RunOptions(input=EXAMPLE, output=tmp_path / "a.jsonl", limit=4)))
        again = asyncio.run(run_batch(cfg, RunOptions(input=EXAMPLE, output=tmp_path / "b.jsonl", limit=4)))
    assert first.llm_calls >= 4 and again.llm_calls == 0
    recs = [json.loads(x) for x in (tmp_path / "b.jsonl").read_text().splitlines()]
    assert [r["enrichment"]["provenance"]["cache_hit"] for r in recs] == [True] * 4
    assert again.cache_hits == 4
    assert again.notes() == ["all LLM answers came from the cache: 0 LLM calls made"]
