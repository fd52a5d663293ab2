"""Figure 1 — toolkit overhead per item against a zero-latency local STUB endpoint (not a model).

Whole item (graph + tools + client + writer) at concurrency 1, then each part alone, all in one
warm process (setup and imports excluded). CPU ms is this process's CPU time per item — it does
not count time stolen by other processes on a shared machine; wall ms does.
"""

from __future__ import annotations

import asyncio
import os
import tempfile
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

COMMAND = "python -m benchmarks overhead"
GOAL_MS = 5.0


class Clock:
    """Wall and process-CPU time of a block, per unit. Starts with the per-text query-embedding
    cache empty: the same items are measured several times, and only the first pass would pay."""

    def __init__(self, units: int):
        self.units = units

    def __enter__(self) -> Clock:
        from linernotes.tools.retrieval.taxonomy_index import query_vector

        query_vector.cache_clear()
        self.w, self.c = time.perf_counter(), time.process_time()
        return self

    def __exit__(self, *exc: object) -> None:
        self.wall_ms = (time.perf_counter() - self.w) * 1000 / self.units
        self.cpu_ms = (time.process_time() - self.c) * 1000 / self.units


async def _measure(base_url: str, n: int, work: Path) -> dict[str, Any]:
    import aiohttp
    import litellm

    from linernotes.agents.nodes.extract import render_messages, response_for
    from linernotes.agents.nodes.gather import gather
    from linernotes.agents.nodes.run_tools import run_tools
    from linernotes.config import TagConfig
    from linernotes.llm.client import LLMClient, LLMConfig
    from linernotes.run.runner import Enricher, RunOptions, run_batch
    from linernotes.store.catalog import read_catalog
    from linernotes.store.records import OutputWriter
    from linernotes.testing.synthetic import write_catalog

    # toolkit: LiteLLM + Instructor (--transport litellm); toolkit_fast_path: the HTTP transport,
    # the default for openai/ + api_base since issue 16
    cfg = TagConfig(llm=LLMConfig(model="openai/stub", api_base=base_url, use_cache=False, max_retries=0,
                                  transport="litellm"), llm_mode="always")
    enricher = Enricher(cfg)
    rt = enricher.runtime
    catalog = write_catalog(work / "catalog.jsonl", n)
    rows = list(read_catalog(catalog))
    out: dict[str, Any] = {"items": n}

    fast_cfg = cfg.model_copy(update={"llm": cfg.llm.model_copy(update={"transport": "fast"})})
    fast = Enricher(fast_cfg, runtime=replace(rt, config=fast_cfg, llm=LLMClient(fast_cfg.llm)))

    async def whole(sync: str, name: str, e: Enricher = enricher) -> None:
        dest = work / f"{name}.jsonl"
        with Clock(n) as c:
            s = await run_batch(e.config, RunOptions(input=catalog, output=dest, concurrency=1, sync=sync), enricher=e)
        assert s.ok == n, s
        out[f"{name}_wall_ms_per_item"] = round(c.wall_ms, 2)
        out[f"{name}_cpu_ms_per_item"] = round(c.cpu_ms, 2)

    for e in (enricher, fast):
        await run_batch(e.config, RunOptions(input=catalog, output=work / "warm.jsonl", concurrency=1, limit=20),
                        enricher=e)
    await whole("batch", "toolkit")
    await whole("batch", "toolkit_fast_path", fast)
    await whole("line", "toolkit_fsync_per_line")

    # the parts, on the same items
    states = []
    for r in rows:
        st: dict[str, Any] = {"item": r.item, **gather({"item": r.item}, rt)}
        st.update(await run_tools(st, rt))
        states.append(st)
    with Clock(n) as c:
        for r in rows:
            st = {"item": r.item, **gather({"item": r.item}, rt)}
            await run_tools(st, rt)
    out["tools_cpu_ms"] = round(c.cpu_ms, 2)
    calls = [(render_messages(st, rt), *response_for(st, rt)) for st in states]
    with Clock(n) as c:
        for st in states:
            render_messages(st, rt), response_for(st, rt)
    out["prompt_render_cpu_ms"] = round(c.cpu_ms, 2)
    with Clock(n) as c:
        for messages, model, schema in calls:
            await rt.llm.structured(messages, model, schema)
    out["client_wall_ms"], out["client_cpu_ms"] = round(c.wall_ms, 2), round(c.cpu_ms, 2)
    with Clock(n) as c:
        for messages, model, schema in calls:
            await fast.runtime.llm.structured(messages, model, schema)
    out["client_fast_path_cpu_ms"] = round(c.cpu_ms, 2)
    with Clock(n) as c:
        for messages, _, schema in calls:
            await litellm.acompletion(model="openai/stub", api_base=base_url, messages=messages, max_tokens=320,
                                      response_format={"type": "json_schema", "json_schema": {
                                          "name": "Enrichment", "schema": schema}})
    out["litellm_alone_cpu_ms"] = round(c.cpu_ms, 2)
    async with aiohttp.ClientSession() as session:
        with Clock(n) as c:
            for messages, _, schema in calls:
                body = {"model": "stub", "messages": messages, "response_format": {"type": "json_schema", "json_schema": {
                    "name": "Enrichment", "schema": schema}}}
                async with session.post(base_url + "/chat/completions", json=body) as resp:
                    await resp.json()
        out["raw_aiohttp_cpu_ms"] = round(c.cpu_ms, 2)
    recs = [await enricher.enrich(r) for r in rows[:200]]
    for sync in ("batch", "line"):
        w = OutputWriter(work / f"w-{sync}.jsonl", sync=sync)
        with Clock(len(recs)) as c:
            for rec in recs:
                w.write(rec)
        w.close()
        out[f"writer_{sync}_wall_ms"] = round(c.wall_ms, 3)
    with Clock(n) as c:
        for r in rows:
            await enricher.enrich(r)
    out["graph_total_cpu_ms"] = round(c.cpu_ms, 2)
    out["graph_minus_client_minus_tools_cpu_ms"] = round(
        out["graph_total_cpu_ms"] - out["client_cpu_ms"] - out["tools_cpu_ms"], 2)
    out["langgraph_floor_cpu_ms"] = await langgraph_floor(n)
    return out


async def langgraph_floor(n: int) -> float:
    """CPU ms per invoke of a graph of our shape (``agents.graph``: 3 steps, 2 conditional edges,
    the path an item takes under ``--llm always``) whose nodes do nothing: what LangGraph's step
    machinery costs before any of our work."""
    from langgraph.graph import END, START, StateGraph

    from linernotes.agents.state import GraphState

    async def noop(state: Any) -> Any:
        return {"attempts": 1}

    async def onward(state: Any) -> str:
        return "next"

    g = StateGraph(GraphState)
    for name in ("evidence", "ask", "record"):
        g.add_node(name, noop)
    g.add_edge(START, "evidence")
    g.add_conditional_edges("evidence", onward, {"next": "ask"})
    g.add_conditional_edges("ask", onward, {"next": "record"})
    g.add_edge("record", END)
    graph = g.compile()
    for _ in range(20):
        await graph.ainvoke({"attempts": 0})
    with Clock(n) as c:
        for _ in range(n):
            await graph.ainvoke({"attempts": 0})
    return round(c.cpu_ms, 2)


def profile(n: int = 300) -> str:
    """A pyinstrument text profile of whole items on the fast path (``--profile``)."""
    from pyinstrument import Profiler

    from linernotes.config import TagConfig
    from linernotes.llm.client import LLMConfig
    from linernotes.run.runner import Enricher, RunOptions, run_batch
    from linernotes.testing.openai_stub import StubProcess
    from linernotes.testing.synthetic import write_catalog

    async def items(base_url: str, work: Path) -> str:
        cfg = TagConfig(llm=LLMConfig(model="openai/stub", api_base=base_url, use_cache=False, max_retries=0,
                                      transport="fast"), llm_mode="always")
        enricher, catalog = Enricher(cfg), write_catalog(work / "catalog.jsonl", n)
        await run_batch(cfg, RunOptions(input=catalog, output=work / "warm.jsonl", limit=20), enricher=enricher)
        profiler = Profiler(interval=0.0005, async_mode="enabled")
        profiler.start()
        await run_batch(cfg, RunOptions(input=catalog, output=work / "out.jsonl", concurrency=1), enricher=enricher)
        profiler.stop()
        return profiler.output_text(show_all=False, unicode=False)

    with tempfile.TemporaryDirectory() as tmp, StubProcess(latency_ms=0) as stub:
        return asyncio.run(items(stub.base_url, Path(tmp)))


def run(quick: bool) -> dict[str, Any]:
    os.environ.setdefault("OPENAI_API_KEY", "sk-stub-not-a-key")
    os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")
    from linernotes.testing.openai_stub import StubProcess

    n = 100 if quick else 500
    load_start = round(os.getloadavg()[0], 2)
    with tempfile.TemporaryDirectory() as tmp, StubProcess(latency_ms=0) as stub:
        figures = asyncio.run(_measure(stub.base_url, n, Path(tmp)))
    figures["llm_mode"] = "always"
    figures["load_avg_1m_start"] = load_start
    figures["goal_ms"] = GOAL_MS
    figures["goal_met_cpu"] = figures["toolkit_cpu_ms_per_item"] <= GOAL_MS
    figures["goal_met_cpu_fast_path"] = figures["toolkit_fast_path_cpu_ms_per_item"] <= GOAL_MS
    figures["load_avg_1m"] = round(os.getloadavg()[0], 2)
    figures["command"] = COMMAND + (" --quick" if quick else "")
    return figures


if __name__ == "__main__":
    import json
    import sys

    if "--profile" in sys.argv:
        os.environ.setdefault("OPENAI_API_KEY", "sk-stub-not-a-key")
        print(profile())
    else:
        print(json.dumps(run("--quick" in sys.argv), indent=2))
