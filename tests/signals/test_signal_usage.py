"""The signals node adds its call's usage to the record's provenance, prompt-cache tokens too
(``tokens_cached`` stayed the extract call's alone). The endpoint is the OpenAI stub
(``linernotes.testing.openai_stub``, a test double) answering with a fixed ``cached_tokens``."""

from __future__ import annotations

import json
from pathlib import Path

from aiohttp import web

from linernotes.testing.openai_stub import StubServer, completion_body, make_answer

SPEC = "name: era\nkind: single_label\nlabels: [old, new]\ninstructions: old before 2000\n"


async def cached_7(body: dict) -> web.StreamResponse:
    out = completion_body(body, make_answer(body))
    out["usage"]["prompt_tokens_details"] = {"cached_tokens": 7}
    return web.json_response(out)


def test_signals_call_counts_its_cached_prompt_tokens(liner_in_process, tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test-not-a-real-key")
    spec = tmp_path / "s.yaml"
    spec.write_text(SPEC, encoding="utf-8")
    catalog = tmp_path / "c.jsonl"
    catalog.write_text(json.dumps({"id": "t", "type": "track", "title": "Song", "description": "calm piano"}) + "\n",
                       encoding="utf-8")
    out = tmp_path / "o.jsonl"
    with StubServer(intercept=cached_7) as stub:
        r = liner_in_process(["tag", str(catalog), "-o", str(out), "--model", "openai/stub", "--api-base",
                              stub.base_url, "--no-cache", "--llm", "always", "--signals", str(spec), "--no-progress"])
        calls = stub.count
    assert r.returncode in (0, 1), r.stderr
    prov = json.loads(out.read_text().splitlines()[0])["enrichment"]["provenance"]
    assert calls == prov["llm_calls"] >= 2  # extract (with any re-ask) + signals
    assert prov["tokens_cached"] == 7 * calls
