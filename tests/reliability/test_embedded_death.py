"""The embedded model server dies mid-batch: it is restarted (bounded) and the batch completes, or
it gives up with a clear error; either way no zombie or orphan server process is left behind."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from linernotes.llm.embedded import EmbeddedModelError, EmbeddedServer, EmbeddedSettings, default_gguf

SERVE = "linernotes.llm.serve"


def children(pid: int) -> list[int]:
    """Children of every thread of ``pid`` (the server is started from worker threads)."""
    out: list[int] = []
    for task in Path(f"/proc/{pid}/task").glob("*"):
        with contextlib.suppress(OSError):
            out += [int(x) for x in (task / "children").read_text().split()]
    return out


def cmdline(pid: int) -> str:
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as fh:
            return fh.read().replace(b"\0", b" ").decode(errors="replace")
    except OSError:
        return ""


def state(pid: int) -> str | None:
    """None when the process is gone; else its /proc state letter (Z = zombie)."""
    try:
        with open(f"/proc/{pid}/stat") as fh:
            return fh.read().rsplit(")", 1)[1].split()[0]
    except OSError:
        return None


def servers_of(pid: int) -> list[int]:
    return [c for c in children(pid) if SERVE in cmdline(c)]


def gone(pid: int, wait_s: float = 15) -> bool:
    deadline = time.monotonic() + wait_s
    while time.monotonic() < deadline:
        if state(pid) is None:
            return True
        time.sleep(0.2)
    return False


def kill_and_wait(server: EmbeddedServer) -> None:
    """SIGKILL the server and wait until every thread of it has ended (a multi-threaded process
    shows as a zombie before it can be reaped, so /proc state alone is not enough)."""
    os.kill(server.pid, signal.SIGKILL)
    while server.alive():
        time.sleep(0.02)


@pytest.mark.slow
def test_server_killed_mid_batch_is_restarted_and_nothing_is_lost(tmp_path):
    ids = [f"emb-{i}" for i in range(4)]
    catalog = tmp_path / "c.jsonl"
    catalog.write_text("".join(json.dumps({"id": i, "title": f"Song {i}", "description": "calm piano ambient"}) + "\n"
                               for i in ids))
    out = tmp_path / "out.jsonl"
    env = {**os.environ, "LINER_CACHE_DIR": str(tmp_path / "cache")}
    proc = subprocess.Popen([sys.executable, "-m", "linernotes.cli.app", "tag", str(catalog), "-o", str(out),
                             "--concurrency", "1", "--threads", "1", "--retries", "2", "--no-progress",
                             "--llm", "always"],  # every item calls the model
                            env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    seen: set[int] = set()
    killed = None
    try:
        deadline = time.monotonic() + 600
        while proc.poll() is None and time.monotonic() < deadline:
            seen.update(servers_of(proc.pid))
            if killed is None and out.exists() and out.read_bytes().count(b"\n") >= 1 and seen:
                killed = max(seen)
                os.kill(killed, signal.SIGKILL)  # mid-batch: items 2-4 still to do
            time.sleep(0.05)
        stdout, stderr = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert killed is not None, "the batch finished before the server could be killed"
    assert "Traceback" not in stderr
    records = [json.loads(ln) for ln in out.read_text().splitlines()]
    assert sorted(r["id"] for r in records) == ids, "nothing lost, no duplicates"
    assert proc.returncode == 0 and all(r["status"] == "ok" for r in records), stderr
    assert len(seen) >= 2, "a new server was started after the kill"
    for pid in seen:
        assert gone(pid), f"server {pid} outlived the run (state {state(pid)})"


@pytest.mark.slow
def test_restarts_are_bounded_and_leave_no_zombies():
    server = EmbeddedServer(EmbeddedSettings(gguf=default_gguf(), threads=1, max_restarts=1))
    pids = []
    try:
        server.ensure()
        pids.append(server.pid)
        kill_and_wait(server)
        server.ensure()  # restart 1 of 1
        assert server.pid != pids[0] and server.alive()
        pids.append(server.pid)
        kill_and_wait(server)
        with pytest.raises(EmbeddedModelError, match="giving up"):
            server.ensure()
    finally:
        server.stop()
    for pid in pids:
        assert gone(pid), f"server {pid} left behind (state {state(pid)})"
    assert not servers_of(os.getpid())


def test_find_children_sees_a_real_child(tmp_path):
    """The /proc helpers the two tests above rely on (so a broken helper cannot pass them)."""
    p = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"])
    try:
        assert p.pid in children(os.getpid()) and state(p.pid) in ("S", "R", "D")  # alive: D is a start-up read from disk
    finally:
        p.kill()
        p.wait()
    assert state(p.pid) is None and Path(f"/proc/{p.pid}").exists() is False


@pytest.mark.slow
def test_the_server_outlives_the_event_loop_that_started_it():
    """The client starts the server from a worker thread. A server that died with that thread
    (prctl PDEATHSIG) was gone after the first ``asyncio.run``; the second run in the same process
    (a benchmark, a Beam bundle) met 'server died 3 times (last exit code 0)'."""
    import asyncio

    from pydantic import BaseModel

    from linernotes.llm.client import LLMClient
    from linernotes.llm.config import LLMConfig

    class Answer(BaseModel):
        ok: bool

    client = LLMClient(LLMConfig(threads=1, parallel=1, use_cache=False, max_tokens=32, max_retries=0))
    messages = [{"role": "user", "content": "Answer with ok true."}]
    pids = []
    try:
        for _ in range(2):
            value, usage = asyncio.run(client.structured(messages, Answer))
            assert isinstance(value, Answer) and usage.calls == 1
            server = client.transport().server
            time.sleep(1.0)  # past the worker thread's exit and the server's 0.5 s parent poll
            assert server.alive(), "the server died with the event loop that started it"
            pids.append(server.pid)
        assert pids[0] == pids[1] and server.restarts == 0
    finally:
        client.close()  # its hold: the server stops here, not under the next test
    assert gone(pids[0])


@pytest.mark.slow
def test_a_run_stops_the_server_it_started(tmp_path):
    """A run in this process (``run_batch``, as ``liner tag`` in process, ``evaluate`` and the
    service do) gives its hold on the embedded server back when it ends, so no server outlives it.
    The module-level registry kept it for the process's life: the next test in the same pytest
    process (``test_restarts_are_bounded_and_leave_no_zombies`` after
    ``tests/signals/test_builtin_regression.py``) found it still running."""
    import asyncio

    from linernotes.config import TagConfig
    from linernotes.llm.config import LLMConfig
    from linernotes.llm.embedded import held_servers
    from linernotes.run.runner import RunOptions, run_batch

    assert not servers_of(os.getpid()) and held_servers() == 0, "a server was left by an earlier test"
    catalog = tmp_path / "c.jsonl"
    catalog.write_text(json.dumps({"id": "a", "title": "Song", "description": "calm piano ambient"}) + "\n")
    config = TagConfig(llm=LLMConfig(threads=1, use_cache=False, max_tokens=64, max_retries=0), llm_mode="always")
    seen: list[int] = []
    summary = asyncio.run(run_batch(config, RunOptions(input=catalog, output=tmp_path / "out.jsonl", concurrency=1),
                                    on_record=lambda rec, s: seen.extend(servers_of(os.getpid()))))
    assert summary.llm_calls >= 1 and seen, "the run used a server of this process"
    assert held_servers() == 0
    for pid in set(seen):
        assert gone(pid), f"server {pid} outlived the run that started it (state {state(pid)})"


def test_the_last_hold_stops_a_shared_server():
    """Two holders share one server; it stops only when both have given it back."""
    from linernotes.llm.embedded import held_servers, release_server, shared_server

    settings = EmbeddedSettings(gguf=Path("/nonexistent.gguf"), threads=1, ctx_per_slot=17)  # never started
    a, b = shared_server(settings), shared_server(settings)
    assert a is b and held_servers() >= 1
    release_server(a)
    assert shared_server(settings) is a, "one hold left: still the same server"
    release_server(a)
    release_server(a)
    release_server(a)  # an extra release is ignored
    c = shared_server(settings)
    assert c is not a and a._stopped, "the last release stopped and forgot it"
    release_server(c)
