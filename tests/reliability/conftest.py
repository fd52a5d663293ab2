"""Fixtures for the reliability suite: the FaultServer test double, a warm fork server for the
real CLI (see forkcli.py for why), and strict readers for what a run leaves on disk."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from linernotes.testing.fault_server import FaultServer

HERE = Path(__file__).resolve().parent


@dataclass
class CliResult:
    rc: int | None
    killed: bool
    stdout: str
    stderr: str
    lines_at_kill: int | None = None


class ForkCli:
    """Runs ``liner ARGV`` in a child forked from a warm interpreter (one real process per run)."""

    def __init__(self) -> None:
        self.proc = subprocess.Popen([sys.executable, str(HERE / "forkcli.py")], stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, text=True, bufsize=1)
        ready = self.proc.stdout.readline()
        if not ready.strip():
            raise RuntimeError("forkcli did not start")
        self._lock = threading.Lock()

    def run(self, argv: list[str], tmp: Path, env: dict[str, str] | None = None, kill_at_line: int | None = None,
            watch: Path | None = None, timeout_s: float = 180, seed: int | None = None,
            jitter_s: float = 0.005, fsize: int | None = None, stop_signal: int | None = None) -> CliResult:
        """``kill_at_line``: SIGKILL (or ``stop_signal``, then wait for the run to stop: ``rc``) once
        ``watch`` holds that many lines (forkcli.py)."""
        tmp.mkdir(parents=True, exist_ok=True)
        out, err = tmp / "cli.stdout", tmp / "cli.stderr"
        cmd = {"argv": [str(a) for a in argv], "env": env or {}, "stdout": str(out), "stderr": str(err),
               "kill_at_line": kill_at_line, "watch": str(watch) if watch else None, "timeout_s": timeout_s,
               "seed": seed, "kill_jitter_s": jitter_s, "fsize": fsize, "signal": stop_signal}
        with self._lock:
            self.proc.stdin.write(json.dumps(cmd) + "\n")
            self.proc.stdin.flush()
            reply = json.loads(self.proc.stdout.readline())
        # a child killed right after the fork (kill_at_line=0 on a loaded machine) never opened them
        return CliResult(reply["rc"], reply["killed"], out.read_text(errors="replace") if out.exists() else "",
                         err.read_text(errors="replace") if err.exists() else "", reply.get("lines_at_kill"))

    def close(self) -> None:
        self.proc.stdin.close()
        self.proc.wait(30)


# ``forkcli`` (one warm ForkCli for the whole session, shared with tests/sinks) is in tests/conftest.py


@pytest.fixture(scope="module")
def fault_server():
    """The misbehaving endpoint (a test double); hangs/trickles outlast a ``--timeout 3`` client."""
    with FaultServer(hang_s=30.0, trickle_s=0.2, retry_after_s=1) as srv:
        yield srv


def write_jsonl(path: Path, rows: list[dict[str, Any]]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return path


def read_output(path: Path) -> list[dict[str, Any]]:
    """Every line must be a whole JSON record that validates as an OutputRecord (a ``.parquet``
    output: its rows, as dicts)."""
    from linernotes.schema import OutputRecord

    if path.suffix == ".parquet":
        import pyarrow.parquet as pq

        return pq.read_table(path).to_pylist()
    data = path.read_bytes()
    assert data == b"" or data.endswith(b"\n"), f"{path}: last line is partial"
    records = []
    for n, raw in enumerate(data.splitlines(), start=1):
        assert raw.strip(), f"{path}:{n}: blank line"
        OutputRecord.model_validate_json(raw)
        records.append(json.loads(raw))
    return records


@pytest.fixture
def helpers():
    class H:
        write_jsonl = staticmethod(write_jsonl)
        read_output = staticmethod(read_output)

        @staticmethod
        def stub_args(srv: FaultServer, *extra: str, model: str = "openai/stub") -> list[str]:
            return ["--model", model, "--api-base", srv.base_url, "--no-progress", "--llm", "always", *extra]

        @staticmethod
        def env(cache_dir: Path, **more: str) -> dict[str, str]:
            return {"LINER_CACHE_DIR": str(cache_dir), "OPENAI_API_KEY": more.pop("key", "sk-test-dummy"), **more}

    return H


os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")
