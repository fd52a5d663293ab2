"""Beam (DirectRunner): same records as the local runner, dead letter for poisoned items, counters.

The LLM is the STUB endpoint (linernotes.testing.openai_stub) except in the one slow test that
runs the real embedded model through ``liner tag --runner beam``.
"""

from __future__ import annotations

import asyncio
import json
import re
from pathlib import Path

# a hard import, not importorskip: scripts/install.sh installs '.[dev,beam]', so a CI without Beam fails
import apache_beam as beam
import pytest
from apache_beam.testing.util import assert_that, equal_to

from linernotes.beam import DEAD_LETTER, OK, EnrichItems, run_beam
from linernotes.beam.pipeline import dead_letter_path
from linernotes.beam.transforms import content_digest
from linernotes.config import TagConfig
from linernotes.llm.client import LLMConfig
from linernotes.run.runner import RunOptions, run_batch
from linernotes.testing.openai_stub import StubServer
from linernotes.testing.synthetic import synthetic_rows, write_catalog

TIMING = {"latency_s", "cache_hit", "llm_calls"}
POISON = "POISONED-TITLE"


@pytest.fixture(autouse=True)
def _fake_key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-stub-not-a-key")


def stub_config(stub: StubServer, cache: Path | None = None) -> TagConfig:
    return TagConfig(llm=LLMConfig(model="openai/stub", api_base=stub.base_url, max_retries=0,
                                   use_cache=cache is not None, cache_path=str(cache) if cache else None),
                     llm_mode="always")  # every item reaches the stub: the LLM path is under test


def by_id(path: Path) -> dict[str, dict]:
    out = {}
    for line in path.read_text().splitlines():
        rec = json.loads(line)
        if rec.get("enrichment"):
            for k in TIMING:
                rec["enrichment"]["provenance"].pop(k)
        out[rec["id"]] = rec
    return out


@pytest.mark.slow
def test_beam_output_equals_local_output_item_by_item(tmp_path: Path) -> None:
    # 100 rows: more than one 64-item batch (4 x concurrency 16), so batches are merged too
    catalog = write_catalog(tmp_path / "catalog.jsonl", 99, ['{"id": "broken", '])
    cache = tmp_path / "cache.sqlite"
    with StubServer() as stub:
        cfg = stub_config(stub, cache)
        local = asyncio.run(run_batch(cfg, RunOptions(input=catalog, output=tmp_path / "local.jsonl", concurrency=16,
                                                      sync="batch")))
        calls_after_local = stub.count
        summary = run_beam(cfg, RunOptions(input=catalog, output=tmp_path / "beam.jsonl", concurrency=16))
        assert stub.count == calls_after_local, "the Beam run must be served by the shared cache"
    assert local.ok == 99 and local.failed == 1
    local_recs, beam_recs = by_id(tmp_path / "local.jsonl"), by_id(tmp_path / "beam.jsonl")
    assert len(beam_recs) == 100
    assert beam_recs == local_recs
    assert (summary.rows, summary.ok, summary.failed, summary.cache_hits, summary.llm_calls) == (100, 99, 1, 99, 0)
    assert (summary.tokens_in, summary.tokens_out) == (0, 0)  # cached answers cost nothing this run
    assert summary.errors_by_kind == {"input.invalid_json": 1}
    assert [json.loads(x)["id"] for x in dead_letter_path(tmp_path / "beam.jsonl").read_text().splitlines()] == ["line:100"]


def test_enrich_items_is_a_ptransform_with_a_dead_letter_and_counters(tmp_path: Path) -> None:
    from aiohttp import web
    from apache_beam.metrics.metric import MetricsFilter

    async def poison(body: dict):
        text = json.dumps(body["messages"])
        return web.json_response({"error": {"message": "poisoned"}}, status=500) if POISON in text else None

    rows = list(synthetic_rows(5))
    rows[2]["title"] = POISON
    rows.append({"title": "a row without an id"})
    with StubServer(intercept=poison) as stub:
        p = beam.Pipeline("DirectRunner")
        out = p | beam.Create(rows) | EnrichItems(stub_config(stub), concurrency=4)
        assert_that(out[OK] | "ok ids" >> beam.Map(lambda r: r.id),
                    equal_to(["syn-0000000", "syn-0000001", "syn-0000003", "syn-0000004"]), label="ok")
        assert_that(out[DEAD_LETTER] | "dead" >> beam.Map(lambda r: (r.id, r.error.kind)),
                    equal_to([("syn-0000002", "llm.server_error"),
                              (f"invalid:{content_digest(rows[-1])}", "input.missing_id")]), label="dead")
        assert_that(out[DEAD_LETTER] | "no cli advice" >> beam.Map(lambda r: "--map" in r.error.message),
                    equal_to([False, False]), label="messages")
        result = p.run()
        result.wait_until_finish()
    counters = {c.key.metric.name: c.committed for c in result.metrics().query(MetricsFilter())["counters"]}
    # every billed attempt counts: 4 answered items and the poisoned item's one failed call
    assert counters["ok"] == 4 and counters["failed"] == 2 and counters["llm_calls"] == 5
    assert counters["tokens_in"] > 0 and counters["error.llm.server_error"] == 1


def test_cli_beam_runner_sends_a_poisoned_item_to_the_dead_letter(tmp_path: Path, liner_in_process) -> None:
    """In process; the real ``liner tag --runner beam`` process is the embedded-model test below."""
    from aiohttp import web

    async def poison(body: dict):
        return web.json_response({"error": {"message": "boom"}}, status=500) if POISON in json.dumps(body) else None

    catalog = tmp_path / "c.jsonl"
    rows = list(synthetic_rows(6))
    rows[4]["title"] = POISON
    catalog.write_text("".join(json.dumps(r) + "\n" for r in rows))
    out = tmp_path / "out.jsonl"
    with StubServer(intercept=poison) as stub:
        r = liner_in_process(["tag", str(catalog), "-o", str(out), "--runner", "beam", "--model", "openai/stub",
                              "--api-base", stub.base_url, "--retries", "0", "--no-cache", "--llm", "always",
                              "--pipeline-option", "--direct_num_workers=1"],
                             env={"OPENAI_API_KEY": "sk-stub"}, timeout=300)
    assert r.returncode == 1, r.stderr[-2000:]  # the pipeline succeeded; one item failed
    lines = [json.loads(x) for x in out.read_text().splitlines()]
    assert sorted(x["id"] for x in lines) == [f"syn-{i:07d}" for i in range(6)]
    dead = [json.loads(x) for x in dead_letter_path(out).read_text().splitlines()]
    assert [(d["id"], d["error"]["kind"]) for d in dead] == [("syn-0000004", "llm.server_error")]
    # the run summary on stderr: 5 ok, 1 failed, and the failure's kind with its count
    assert re.search(r"\bok\s*│\s*5\s*│", r.stderr) and re.search(r"\bfailed\s*│\s*1\s*│", r.stderr), r.stderr[-2000:]
    assert re.search(r"error: llm\.server_error\s*│\s*1\s*│", r.stderr), r.stderr[-2000:]
    manifest = json.loads(out.with_name("out.jsonl.manifest.json").read_text())
    assert manifest["runner"] == "beam" and manifest["summary"]["ok"] == 5


@pytest.mark.slow
def test_cli_beam_runner_on_the_embedded_model(tmp_path: Path, liner, repo_root: Path) -> None:
    out = tmp_path / "out.jsonl"
    r = liner(["tag", str(repo_root / "examples" / "catalog.jsonl"), "-o", str(out), "--runner", "beam",
               "--limit", "2", "--threads", "1", "--concurrency", "1", "--no-cache", "--llm", "always"], timeout=600)
    lines = [json.loads(x) for x in out.read_text().splitlines()] if out.exists() else []
    assert r.returncode == 0, (r.stderr[-2000:], lines)  # both example tracks are enriched
    assert [x["id"] for x in lines] == ["trk-001", "trk-002"]
    assert all(x["status"] == "ok" for x in lines), lines
    for x in lines:
        prov = x["enrichment"]["provenance"]
        assert prov["model"].startswith("local:") and prov["llm_calls"] >= 1
    manifest = json.loads(out.with_name("out.jsonl.manifest.json").read_text())
    assert manifest["runner"] == "beam" and (manifest["summary"]["ok"], manifest["summary"]["failed"]) == (2, 0)
