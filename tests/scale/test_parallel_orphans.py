"""``--workers N`` and a run killed with SIGKILL (OOM killer, ``kill -9``): its worker processes and
their forkserver exit on their own instead of staying behind forever (found by T7: two workers
and the forkserver, ~1.3 GB, were still there minutes after ``kill -9`` of ``liner tag
--workers 2``). The endpoint is the STUB server, hanging so that every worker is mid-run."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import psutil
import pytest

from linernotes.testing.openai_stub import StubServer
from linernotes.testing.synthetic import write_catalog

RUN = textwrap.dedent("""
    import asyncio, sys
    from pathlib import Path
    from linernotes.config import TagConfig
    from linernotes.llm.client import LLMConfig
    from linernotes.run.parallel import run_parallel
    from linernotes.run.runner import RunOptions

    base, catalog, out = sys.argv[1:4]
    cfg = TagConfig(llm=LLMConfig(model="openai/stub", api_base=base, use_cache=False, timeout_s=3600),
                    llm_mode="always")
    asyncio.run(run_parallel(cfg, RunOptions(input=Path(catalog), output=Path(out), concurrency=4), 2))
""")


def _gone(pids: list[int], within_s: float) -> list[int]:
    """The pids still running (zombies count as gone) after waiting up to ``within_s``."""
    deadline = time.monotonic() + within_s
    while True:
        alive = [p for p in pids if psutil.pid_exists(p) and psutil.Process(p).status() != psutil.STATUS_ZOMBIE]
        if not alive or time.monotonic() > deadline:
            return alive
        time.sleep(0.2)


@pytest.mark.slow
def test_workers_exit_when_the_run_is_killed(tmp_path: Path) -> None:
    catalog = write_catalog(tmp_path / "c.jsonl", 20)

    async def hang(body: dict):
        await asyncio.sleep(3600)

    with StubServer(intercept=hang) as stub:
        env = {**os.environ, "OPENAI_API_KEY": "sk-stub-not-a-key"}
        run = subprocess.Popen([sys.executable, "-c", RUN, stub.base_url, str(catalog), str(tmp_path / "o.jsonl")],
                               env=env, stderr=subprocess.DEVNULL)
        try:
            deadline = time.monotonic() + 120
            while stub.count < 2:  # both workers have a call in flight
                assert run.poll() is None, "the run ended before its workers called the stub"
                assert time.monotonic() < deadline, "the workers never called the stub"
                time.sleep(0.2)
            family = [p.pid for p in psutil.Process(run.pid).children(recursive=True)]
            assert len(family) >= 3  # the forkserver and two workers (and the resource tracker)
            os.kill(run.pid, signal.SIGKILL)
            run.wait(10)
            left = _gone(family, within_s=15)
        finally:
            if run.poll() is None:
                run.kill()
        for pid in left:  # this test's own processes: leave nothing behind, even when it fails
            psutil.Process(pid).kill()
        assert left == [], f"{len(left)} process(es) of the killed run still running"
