"""The call relay (``llm.relay``): with the graph in worker processes on the HTTP transport, the
run's process makes every HTTP exchange under the run's one call window. What a user sees must
not change: the same records, the same error records (kind and text) for an endpoint that
refuses, times out or answers 4xx/5xx, never more than C calls at the endpoint. The endpoint is
the STUB (a test double); graph, tools, client, pool and writer are the real ones."""

from __future__ import annotations

import asyncio
import contextlib
import json
import socket
from pathlib import Path

import pytest
from pydantic import BaseModel

from linernotes.config import TagConfig
from linernotes.llm import fast
from linernotes.llm.client import LLMClient, LLMConfig, classify
from linernotes.llm.errors import LLMError, RelayedError
from linernotes.llm.relay import Relayed, exchange
from linernotes.llm.transports import HTTPTransport
from linernotes.llm.window import CallWindow
from linernotes.run.parallel import WorkerPool, run_parallel
from linernotes.run.runner import RunOptions, run_batch
from linernotes.schema import Usage
from linernotes.testing.openai_stub import StubServer
from linernotes.testing.synthetic import write_catalog


@pytest.fixture(autouse=True)
def stub_key(monkeypatch: pytest.MonkeyPatch) -> None:
    """The HTTP transport wants a key even for the STUB (it is sent as the Bearer token)."""
    monkeypatch.setenv("OPENAI_API_KEY", "sk-stub-not-a-key")


def cfg(api_base: str, **llm: object) -> TagConfig:
    return TagConfig(llm=LLMConfig(model="openai/stub", api_base=api_base, use_cache=False, max_retries=0, **llm),
                     llm_mode="always")


def errors(path: Path) -> dict[str, tuple[str, str]]:
    out = {}
    for line in path.read_text().splitlines():
        r = json.loads(line)
        assert r["status"] == "error", r
        out[r["id"]] = (r["error"]["kind"], r["error"]["message"])
    return out


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]  # closed when the socket is: a connect is refused


def test_only_http_runs_with_calls_are_relayed() -> None:
    assert WorkerPool(cfg("http://127.0.0.1:9/v1"), 2).relay
    assert not WorkerPool(cfg("http://127.0.0.1:9/v1", transport="litellm"), 2).relay
    never = cfg("http://127.0.0.1:9/v1").model_copy(update={"llm_mode": "never"})
    assert not WorkerPool(never, 2).relay
    assert not WorkerPool(TagConfig(), 2).relay  # the embedded model: each worker its own engine


@pytest.mark.slow
@pytest.mark.parametrize("fault", ["refused", "timeout", "http500", "http401"])
def test_relayed_failures_read_as_in_one_process(tmp_path: Path, fault: str) -> None:
    """Each item's error record under 2 relayed workers has the kind and text one process gives."""
    from aiohttp import web

    async def status(body: dict):
        code = 500 if fault == "http500" else 401
        return web.json_response({"error": {"message": f"injected {code}"}}, status=code)

    catalog = write_catalog(tmp_path / "c.jsonl", 6)
    with StubServer(latency_ms=3000 if fault == "timeout" else 0,
                    intercept=status if fault.startswith("http") else None) as stub:
        base = f"http://127.0.0.1:{closed_port()}/v1" if fault == "refused" else stub.base_url
        c = cfg(base, timeout_s=0.5)
        one = asyncio.run(run_batch(c, RunOptions(input=catalog, output=tmp_path / "one.jsonl", concurrency=4)))
        two = asyncio.run(run_parallel(c, RunOptions(input=catalog, output=tmp_path / "two.jsonl", concurrency=4), 2))
    assert one.failed == two.failed == 6
    got, want = errors(tmp_path / "two.jsonl"), errors(tmp_path / "one.jsonl")
    assert got == want
    kind = {"refused": "llm.connection", "timeout": "llm.timeout", "http500": "llm.server_error",
            "http401": "llm.auth"}[fault]
    assert {k for k, _ in got.values()} == {kind}, got


def test_a_relayed_call_parses_its_answer_and_drops_a_late_one() -> None:
    """In the worker: an answer comes back as the request's parsed value; a call cancelled while
    its answer was on its way leaves nothing behind when the answer arrives."""
    from pydantic import BaseModel

    class Out(BaseModel):
        value: int

    sent: list[tuple[int, fast.Request]] = []
    relayed = Relayed(HTTPTransport("openai/stub", "http://127.0.0.1:9/v1", "sk-x"), lambda i, r: sent.append((i, r)))

    async def go() -> tuple[object, int]:
        call = asyncio.ensure_future(relayed.complete([{"role": "user", "content": "hi"}], Out, None, {}))
        await asyncio.sleep(0)
        body = {"choices": [{"message": {"content": '{"value": 7}'}}], "usage": {"prompt_tokens": 3}}
        relayed.resolve(sent[0][0], (fast.Answer(200, json.dumps(body).encode(), {}), 0.0))
        value, completion = await call
        late = asyncio.ensure_future(relayed.complete([{"role": "user", "content": "again"}], Out, None, {}))
        await asyncio.sleep(0)
        late.cancel()
        with pytest.raises(asyncio.CancelledError):
            await late
        relayed.resolve(sent[1][0], (fast.Answer(200, b"{}", {}), 0.0))  # nobody waits: dropped
        return value, completion.usage["prompt_tokens"]

    value, tokens = asyncio.run(go())
    assert (value, tokens) == (Out(value=7), 3)
    assert json.loads(sent[0][1].body)["messages"][0]["content"] == "hi"
    assert sent[0][1].headers["Authorization"] == "Bearer sk-x"
    assert relayed._waiting == {}


def test_a_failed_exchange_keeps_its_kind_and_name_and_frees_its_slot() -> None:
    """In the run's process: a refused connection comes back as (kind, class name, text) and the
    slot is free again; a client raising the relayed failure reports the original's kind."""
    window = CallWindow(1)
    req = fast.Request(f"http://127.0.0.1:{closed_port()}/v1/chat/completions", b"{}", {}, 2.0)
    (kind, name, detail), queued_s = asyncio.run(exchange(window, req))
    assert (kind, window.in_flight, queued_s < 1.0) == ("connection", 0, True)
    assert name == "ClientConnectorError" and "127.0.0.1" in detail
    assert classify(RelayedError(kind, name, detail)) == "connection"


def test_the_error_record_names_the_original_exception(monkeypatch: pytest.MonkeyPatch) -> None:
    """An LLMError raised for a relayed failure names the original exception's class, as the
    same failure in one process does (``llm.client.describe``)."""
    client = LLMClient(LLMConfig(model="openai/stub", api_base="http://127.0.0.1:9/v1", use_cache=False,
                                 max_retries=0))

    async def refuse(self, messages, response_model, schema, params):  # noqa: ANN001 (fault injection)
        raise RelayedError("timeout", "TimeoutError", "no complete response within the time limit")

    monkeypatch.setattr(HTTPTransport, "complete", refuse)
    from pydantic import BaseModel

    class Out(BaseModel):
        value: int

    with pytest.raises(LLMError) as e:
        asyncio.run(client.structured([{"role": "user", "content": "x"}], Out))
    assert e.value.kind == "timeout"
    assert str(e.value) == "TimeoutError: no complete response within the time limit"


class Out(BaseModel):
    value: int


async def behind_a_busy_slot(base: str, hold_s: float, timeout_s: float = 120.0) -> tuple[Out | None, Usage, float]:
    """One relayed call (a real ``Relayed`` and client in, the run's ``exchange`` out) while
    another worker's call holds the run's only slot for ``hold_s``: (value or None for an
    LLMError, the call's usage, its wall seconds)."""
    window = CallWindow(1)
    loop = asyncio.get_running_loop()
    held = asyncio.Event()

    async def busy() -> None:
        async with window.slot():
            held.set()
            await asyncio.sleep(hold_s)

    async def run_side(call_id: int, req: fast.Request) -> None:
        relayed.resolve(call_id, await exchange(window, req))

    relayed = Relayed(HTTPTransport("openai/stub", base, "sk-x"), lambda i, r: loop.create_task(run_side(i, r)))
    client = LLMClient(LLMConfig(model="openai/stub", api_base=base, use_cache=False, max_retries=0,
                                 timeout_s=timeout_s))
    client.relay_through(lambda t: relayed)
    other = loop.create_task(busy())
    await held.wait()
    start = loop.time()
    try:
        value, usage = await client.structured([{"role": "user", "content": "x"}], Out)
    except LLMError as e:
        value, usage = None, e.usage
    took = loop.time() - start
    await other
    return value, usage, took


def test_a_relayed_calls_time_limit_starts_when_the_run_sends_it() -> None:
    """A call that waits for one of the run's slots (the other workers' calls hold them) is not
    timed out for the wait: in one process the wait for a slot does not count against
    ``--timeout`` either. Before: the worker's deadline (timeout + 5 s) ran from when it asked,
    so with the run's slots busy for longer the call failed ``llm.timeout`` while the endpoint
    answered it within the limit (and, sent anyway, it was paid for and its answer dropped)."""
    with StubServer() as stub:
        value, _, took = asyncio.run(behind_a_busy_slot(stub.base_url, hold_s=6.5, timeout_s=1.0))
        assert stub.count == 1
    assert value == Out(value=0)
    assert took > 6.0  # it waited for the slot, then was answered


@pytest.mark.slow
def test_a_worker_killed_mid_run_fails_it_at_once_while_the_other_works(tmp_path: Path) -> None:
    """SIGKILL to one of 2 workers: the run fails (WorkerDied) within seconds, though the other
    worker keeps sending calls and records. Before: the run's reader looked for dead workers only
    when no message came for 0.5 s, so it went on with the living worker (the dead one's items
    held in the window) and failed only when that one ran out of work: ~10 s and 194 of 200 items
    later in a 300 ms STUB run, hours later in a big one."""
    from linernotes.run.parallel import WorkerDied

    catalog = write_catalog(tmp_path / "c.jsonl", 400)
    with StubServer(latency_ms=100) as stub:
        c = cfg(stub.base_url)

        async def go() -> float:
            pool = WorkerPool(c, 2)
            async with pool:
                task = asyncio.ensure_future(run_batch(
                    c, RunOptions(input=catalog, output=tmp_path / "o.jsonl", concurrency=4), enricher=pool))
                while stub.count < 8:
                    await asyncio.sleep(0.05)
                pool._procs[0].kill()
                killed = asyncio.get_running_loop().time()
                with pytest.raises(WorkerDied):
                    await task
                return asyncio.get_running_loop().time() - killed

        took = asyncio.run(asyncio.wait_for(go(), 120))
    assert took < 3.0, took
    assert len((tmp_path / "o.jsonl").read_text().splitlines()) < 200


RUN_THEN_WAIT = """
import asyncio, sys, time
from linernotes.config import TagConfig
from linernotes.run.parallel import WorkerPool

async def main():
    async with WorkerPool(TagConfig(llm_mode="never"), 2) as pool:
        print(" ".join(str(p.pid) for p in pool.processes), flush=True)
        time.sleep(600)

asyncio.run(main())
"""


def _running(pid: int) -> bool:
    """True while ``pid`` exists and is not a zombie (/proc: Linux)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except (FileNotFoundError, ProcessLookupError):
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


@pytest.mark.slow
@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="reads /proc")
def test_workers_exit_when_the_run_is_killed_and_not_yet_reaped() -> None:
    """The run's process killed with SIGKILL (the OOM killer) and not reaped by whatever started it
    (``subprocess.run(..., capture_output=True)`` reads the pipes to their end first): the workers
    exit within seconds. Before: they checked the run's pid with kill(pid, 0), which a zombie
    passes, so they (and the forkserver) lived on holding the pipes, and the caller waited for the
    pipes' end forever."""
    import os
    import signal
    import subprocess
    import sys
    import time

    run = subprocess.Popen([sys.executable, "-c", RUN_THEN_WAIT], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                           text=True, start_new_session=True)
    try:
        workers = [int(p) for p in run.stdout.readline().split()]
        assert len(workers) == 2
        os.kill(run.pid, signal.SIGKILL)  # not reaped until the end of the test: a zombie
        deadline = time.monotonic() + 10
        while any(_running(w) for w in workers) and time.monotonic() < deadline:
            time.sleep(0.2)
        assert not [w for w in workers if _running(w)]
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(run.pid, signal.SIGKILL)  # this test's own process group only
        run.wait()


@pytest.mark.parametrize("answer", ["ok", "http500"])
def test_a_relayed_calls_latency_leaves_out_its_wait_for_a_slot(answer: str) -> None:
    """The usage's ``latency_s`` (the record's provenance) is the call's own time, as in one
    process, where the wait for a window slot comes before the call's clock starts; a failed
    call's too. Before: a relayed call's latency counted its wait for one of the run's slots
    (2 workers, C = 2, 5.8 s STUB: 5.8 s for the first calls, 11.6-11.8 s for the next)."""
    from aiohttp import web

    async def fail(body: dict):
        return web.json_response({"error": {"message": "injected"}}, status=500)

    classify(RuntimeError())  # LiteLLM's import (classify's, in one process too) is not the call's time
    with StubServer(latency_ms=200, intercept=fail if answer == "http500" else None) as stub:
        value, usage, _ = asyncio.run(behind_a_busy_slot(stub.base_url, hold_s=1.0))
    assert (value is None) == (answer == "http500")
    assert 0.2 <= usage.latency_s < 0.7, usage.latency_s
