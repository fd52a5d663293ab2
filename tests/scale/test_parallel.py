"""``--workers N``: the graph in N processes gives the local runner's records; a dead worker
fails the run instead of hanging it. The endpoint is the STUB server."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest

from linernotes.config import TagConfig
from linernotes.llm.client import LLMConfig
from linernotes.run.parallel import WorkerDied, run_parallel
from linernotes.run.runner import RunOptions, run_batch
from linernotes.testing.openai_stub import StubServer
from linernotes.testing.synthetic import write_catalog


def records(path: Path) -> dict[str, dict]:
    out = {}
    for line in path.read_text().splitlines():
        r = json.loads(line)
        if r.get("enrichment"):
            r["enrichment"]["provenance"].pop("latency_s")
        out[r["id"]] = r
    return out


@pytest.mark.slow
def test_two_workers_write_what_one_process_writes(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-stub-not-a-key")
    catalog = write_catalog(tmp_path / "c.jsonl", 40, ['{"id": "syn-0000003"}', "not json"])
    with StubServer() as stub:
        cfg = TagConfig(llm=LLMConfig(model="openai/stub", api_base=stub.base_url, use_cache=False, max_retries=0), llm_mode="always")  # every item reaches the stub: the LLM path is under test
        one = asyncio.run(run_batch(cfg, RunOptions(input=catalog, output=tmp_path / "one.jsonl", concurrency=8)))
        two = asyncio.run(run_parallel(cfg, RunOptions(input=catalog, output=tmp_path / "two.jsonl", concurrency=8), 2))
        assert stub.count == 80
    assert (two.rows, two.ok, two.failed, two.llm_calls) == (one.rows, one.ok, one.failed, one.llm_calls) == (42, 40, 2, 40)
    assert records(tmp_path / "two.jsonl") == records(tmp_path / "one.jsonl")


@pytest.mark.slow
def test_a_dead_worker_fails_the_run(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:

    monkeypatch.setenv("OPENAI_API_KEY", "sk-stub-not-a-key")
    catalog = write_catalog(tmp_path / "c.jsonl", 6)

    async def hang(body: dict):
        await asyncio.sleep(3600)

    with StubServer(intercept=hang) as stub:
        cfg = TagConfig(llm=LLMConfig(model="openai/stub", api_base=stub.base_url, use_cache=False, timeout_s=3600), llm_mode="always")  # every item reaches the stub: the LLM path is under test

        async def go() -> None:
            from linernotes.run import parallel

            pool = parallel.WorkerPool(cfg, 1)
            async with pool:
                task = asyncio.ensure_future(
                    run_batch(cfg, RunOptions(input=catalog, output=tmp_path / "o.jsonl"), enricher=pool))
                while stub.count == 0:
                    await asyncio.sleep(0.1)
                pool._procs[0].kill()
                await task

        with pytest.raises(WorkerDied):
            asyncio.run(asyncio.wait_for(go(), 300))


@pytest.mark.slow
def test_liner_tag_says_in_one_line_that_a_worker_died(tmp_path: Path) -> None:
    """``liner tag --workers 2`` with one worker killed (SIGKILL) mid-run: one line naming what
    happened and what to do, exit 1 (not bad input), no traceback. Before: a 70-line traceback
    ending in WorkerDied (QA relay20)."""
    import os
    import signal
    import subprocess
    import sys
    import time

    import psutil

    catalog = write_catalog(tmp_path / "c.jsonl", 400)
    with StubServer(latency_ms=100) as stub:
        env = {**os.environ, "OPENAI_API_KEY": "sk-stub-not-a-key", "LINER_CACHE_DIR": str(tmp_path / "cache")}
        proc = subprocess.Popen([sys.executable, "-m", "linernotes.cli.app", "tag", str(catalog), "-o",
                                 str(tmp_path / "o.jsonl"), "--model", "openai/stub", "--api-base", stub.base_url,
                                 "--llm", "always", "--workers", "2", "--concurrency", "4", "--no-progress"],
                                stderr=subprocess.PIPE, text=True, env=env)
        try:
            deadline = time.monotonic() + 120
            while stub.count < 8:
                assert time.monotonic() < deadline and proc.poll() is None, "the run never reached the STUB"
                time.sleep(0.05)
            # the workers: the children of the run's forkserver (forks of it, so the same command line)
            servers = [p for p in psutil.Process(proc.pid).children() if "forkserver" in " ".join(p.cmdline())]
            workers = [w for s in servers for w in s.children()]
            assert workers, "no worker process found"
            os.kill(workers[0].pid, signal.SIGKILL)
            _, err = proc.communicate(timeout=60)
        finally:
            if proc.poll() is None:
                proc.kill()
    assert proc.returncode == 1, err
    assert "Traceback" not in err, err
    assert err.strip().splitlines()[-1] == "liner: error: a worker process died; rerun the same command to resume"
