"""Micro-batching (``agents.graph``, ``run.batching``): items that share one graph pass get the
records they get alone — a crashing tool, a failing LLM call, items that need the LLM next to
items that do not — and at concurrency 1 every batch is one row. Real graph, tools and fusion;
the endpoints are the STUB and the fault server (test doubles for an LLM endpoint), the crashing
tool is ``testing.faulty_tools`` (a fault-injection double)."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

import pytest

from linernotes.config import TagConfig
from linernotes.llm.client import LLMConfig
from linernotes.run.batching import batch_size
from linernotes.run.runner import Enricher, RunOptions, run_batch
from linernotes.schema import OutputRecord
from linernotes.store.catalog import read_catalog
from linernotes.testing.fault_server import FaultServer
from linernotes.testing.faulty_tools import RaisingExemplars, SlowExemplars
from linernotes.testing.openai_stub import StubServer
from linernotes.testing.synthetic import synthetic_rows, write_catalog

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "catalog.jsonl"


def comparable(rec: OutputRecord) -> dict:
    """The record as written, without the one field that is a clock reading (the calls' latency)."""
    d = json.loads(rec.model_dump_json(exclude_none=True))
    if d.get("enrichment"):
        d["enrichment"]["provenance"].pop("latency_s")
    if (d.get("error") or {}).get("usage"):
        d["error"]["usage"].pop("latency_s")
    return d


@pytest.fixture(autouse=True)
def stub_key(monkeypatch: pytest.MonkeyPatch) -> None:
    """The HTTP transport wants a key even for the STUB (it is sent as the Bearer token)."""
    monkeypatch.setenv("OPENAI_API_KEY", "sk-stub-not-a-key")


@pytest.fixture
def marked_catalog(tmp_path: Path) -> Callable[[dict[int, str]], Path]:
    """``marked_catalog({i: " MARK"})``: a catalog of 8 synthetic rows, row i's title ending in its
    mark (how the fault doubles pick their item)."""

    def make(marks: dict[int, str]) -> Path:
        lines = []
        for i, row in enumerate(synthetic_rows(8)):
            row["title"] += marks.get(i, "")
            lines.append(json.dumps(row))
        catalog = tmp_path / "c.jsonl"
        catalog.write_text("\n".join(lines) + "\n")
        return catalog

    return make


def stub_config(base_url: str, llm_mode: str) -> TagConfig:
    return TagConfig(llm=LLMConfig(model="openai/stub", api_base=base_url, use_cache=False, max_retries=0),
                     llm_mode=llm_mode)


def spy_batch_sizes(enricher: Enricher, monkeypatch: pytest.MonkeyPatch, sizes: list[int]) -> None:
    """Append each batch's size to ``sizes`` (a spy on the real ``enrich_many``: sizes only)."""
    real = enricher.enrich_many

    async def observed(rows: list, on_record=None) -> list[OutputRecord]:
        sizes.append(len(rows))
        return await real(rows, on_record=on_record)

    monkeypatch.setattr(enricher, "enrich_many", observed)


def alone_and_batched(enricher: Enricher, rows: list) -> tuple[list[dict], list[dict]]:
    async def go() -> tuple[list[OutputRecord], list[OutputRecord]]:
        alone = [await enricher.enrich(r) for r in rows]
        return alone, await enricher.enrich_many(rows)

    alone, batched = asyncio.run(go())
    return [comparable(r) for r in alone], [comparable(r) for r in batched]


def test_a_crashing_tool_and_a_failing_call_fail_only_their_items(marked_catalog: Callable) -> None:
    # row 2: the exemplar tool raises for it (evidence step); row 5: the endpoint answers 500 (ask step)
    rows = list(read_catalog(marked_catalog({2: " TOOLCRASH", 5: " FAULT:500"})))
    with FaultServer() as server:
        base = Enricher(cfg := stub_config(server.base_url, "always"))
        enricher = Enricher(cfg, runtime=replace(base.runtime, exemplars=RaisingExemplars("TOOLCRASH")))
        alone, batched = alone_and_batched(enricher, rows)
    assert batched == alone
    assert [r["status"] for r in batched] == ["ok", "ok", "error", "ok", "ok", "error", "ok", "ok"]
    assert batched[2]["error"]["kind"] == "internal.InjectedFault"
    assert batched[5]["error"]["kind"] == "llm.server_error"
    assert [r["id"] for r in batched] == [r.item.id for r in rows]
    # an item that fails in the graph is named like a bad row: the catalog it came from and its line
    catalog = str(marked_catalog({}))
    assert [(batched[i]["error"]["source"], batched[i]["error"]["line"]) for i in (2, 5)] == [(catalog, 3), (catalog, 6)]


def test_items_that_need_the_llm_and_items_that_do_not_share_a_batch() -> None:
    rows = list(read_catalog(EXAMPLE))
    with StubServer() as stub:
        alone, batched = alone_and_batched(Enricher(stub_config(stub.base_url, "auto")), rows)
    assert batched == alone
    consulted = [r["enrichment"]["provenance"]["llm_consulted"] for r in batched]
    assert any(consulted) and not all(consulted), consulted  # the batch mixes both paths


def test_batches_come_from_the_window_and_concurrency_one_sends_one_row(tmp_path: Path,
                                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    catalog = write_catalog(tmp_path / "c.jsonl", 30)
    with StubServer() as stub:
        enricher = Enricher(cfg := stub_config(stub.base_url, "always"))
        sizes: dict[int, list[int]] = {}
        seen: list[int] = []
        spy_batch_sizes(enricher, monkeypatch, seen)
        for concurrency in (1, 9, 64):
            seen.clear()
            s = asyncio.run(run_batch(cfg, RunOptions(input=catalog, output=tmp_path / f"c{concurrency}.jsonl",
                                                      concurrency=concurrency), enricher=enricher))
            assert s.ok == 30
            sizes[concurrency] = list(seen)
    assert sizes[1] == [1] * 30  # no row waits for another at concurrency 1
    # 9 in flight: batches of at most batch_size(9) = 2
    assert sum(sizes[9]) == 30 and max(sizes[9]) == batch_size(9) == 2
    assert sizes[64] == [16, 14]  # the input ends: the rest goes at once
    one, other = ([comparable(OutputRecord.model_validate_json(x))
                   for x in (tmp_path / f"c{c}.jsonl").read_text().splitlines()] for c in (1, 9))
    assert sorted(other, key=lambda r: r["id"]) == sorted(one, key=lambda r: r["id"])


def test_a_slow_call_does_not_hold_back_the_rest_of_its_batch(tmp_path: Path, marked_catalog: Callable,
                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    catalog = marked_catalog({0: " SLOWCALL"})

    async def slow(body: dict) -> None:  # the endpoint takes 3 s for one item, answers the others at once
        if "SLOWCALL" in json.dumps(body):
            await asyncio.sleep(3)

    done: dict[str, float] = {}
    with StubServer(intercept=slow) as stub:
        enricher = Enricher(cfg := stub_config(stub.base_url, "always"))
        sizes: list[int] = []
        spy_batch_sizes(enricher, monkeypatch, sizes)
        start = time.monotonic()
        s = asyncio.run(run_batch(cfg, RunOptions(input=catalog, output=tmp_path / "o.jsonl", concurrency=64),
                                  enricher=enricher, on_record=lambda rec, _: done.setdefault(rec.id, time.monotonic() - start)))
    assert s.ok == 8 and sizes == [8]  # one batch
    slow_id = "syn-0000000"
    assert done[slow_id] >= 3
    assert max(t for k, t in done.items() if k != slow_id) < done[slow_id] - 2  # the others did not wait for it


def test_an_item_calls_as_soon_as_its_own_evidence_is_in(marked_catalog: Callable) -> None:
    """One item's slow tool (2 s, the fault-injection double ``SlowExemplars``) does not delay the
    calls of the 7 others in its batch: they reach the endpoint long before its own (a step
    boundary after the batch's evidence made every call of the batch wait for it)."""
    rows = list(read_catalog(marked_catalog({0: " SLOWTOOL"})))
    arrived: dict[str, float] = {}

    async def note(body: dict) -> None:  # when each item's call reaches the endpoint
        text = json.dumps(body)
        arrived.setdefault("slow" if "SLOWTOOL" in text else f"other{len(arrived)}", time.monotonic())

    with StubServer(intercept=note) as stub:
        base = Enricher(cfg := stub_config(stub.base_url, "always"))
        enricher = Enricher(cfg, runtime=replace(base.runtime, exemplars=SlowExemplars("SLOWTOOL", 2.0)))
        start = time.monotonic()
        records = asyncio.run(enricher.enrich_many(rows))
    assert [r.status for r in records] == ["ok"] * 8
    others = [t - start for k, t in arrived.items() if k != "slow"]
    assert len(others) == 7 and arrived["slow"] - start >= 2
    assert max(others) < arrived["slow"] - start - 1.5, (others, arrived["slow"] - start)
