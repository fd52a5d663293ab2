"""One writer per output (issue 12, item 8): a second ``liner tag`` on the same -o exits 2
naming the holder and writes nothing; a writer killed with SIGKILL never blocks the next run."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from collections import Counter

import pytest

from linernotes.store.records import OutputLock, OutputLocked, lock_path
from linernotes.testing.fault_server import FaultServer


def _rows(n: int, tag: str) -> list[dict]:
    return [{"id": f"r{i}", "title": f"Song {i} {tag}", "description": "deep house"} for i in range(n)]


@pytest.mark.slow
def test_two_cli_runs_on_one_output_at_once(tmp_path, forkcli, helpers):
    """The issue's input: two ``liner tag`` processes with the same -o at once (it gave 743 lines
    with 343 duplicate ids, both exit 0). The first runs in a fresh interpreter, slowly; the
    second starts while it holds the output."""
    catalog = helpers.write_jsonl(tmp_path / "c.jsonl", _rows(12, tmp_path.name))
    out = tmp_path / "out.jsonl"
    env = helpers.env(tmp_path / "cache")
    with FaultServer(latency_s=(0.3, 0.3)) as srv:
        args = ["tag", str(catalog), "-o", str(out), *helpers.stub_args(srv, "--concurrency", "1")]
        first = subprocess.Popen([sys.executable, "-m", "linernotes.cli.app", *args], env={**os.environ, **env},
                                 stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        try:
            deadline = time.monotonic() + 300
            while not (out.exists() and out.read_bytes().count(b"\n") >= 1):
                assert first.poll() is None, first.communicate()[1]
                assert time.monotonic() < deadline, "the first run never wrote a line"
                time.sleep(0.05)
            second = forkcli.run(args, tmp_path / "second", env)
            first_err = first.communicate(timeout=300)[1]
        finally:
            if first.poll() is None:
                first.kill()
    assert second.rc == 2, second.stderr
    line = second.stderr.strip()
    assert len(line.splitlines()) == 1 and f"pid {first.pid}" in line and socket.gethostname() in line, line
    assert first.returncode == 0, first_err
    ids = [r["id"] for r in helpers.read_output(out)]
    assert Counter(ids) == Counter({f"r{i}": 1 for i in range(12)})
    assert not lock_path(out).exists(), "a clean exit removes its lock file"


def test_a_held_lock_refuses_the_run_and_names_the_holder(tmp_path, forkcli, helpers):
    """Same kind, my input: the lock held by another process (this test) while a run starts,
    on an output that already has records; then released, the same command resumes."""
    catalog = helpers.write_jsonl(tmp_path / "c.jsonl", _rows(3, tmp_path.name))
    out = tmp_path / "out.jsonl"
    env = helpers.env(tmp_path / "cache")
    with FaultServer() as srv:
        args = ["tag", catalog, "-o", out, *helpers.stub_args(srv)]
        assert forkcli.run([*args, "--limit", "1"], tmp_path, env).rc == 0
        before = out.read_bytes()
        manifest = out.with_name(out.name + ".manifest.json").read_bytes()
        with OutputLock(out):
            held = json.loads(lock_path(out).read_text())
            assert held["pid"] == os.getpid() and held["host"] == socket.gethostname() and held["started"]
            res = forkcli.run(args, tmp_path, env)
            assert res.rc == 2
            assert f"pid {os.getpid()} on {socket.gethostname()}" in res.stderr
            assert "Traceback" not in res.stderr and len(res.stderr.strip().splitlines()) == 1
            assert out.read_bytes() == before, "the refused run wrote nothing"
            assert out.with_name(out.name + ".manifest.json").read_bytes() == manifest
            assert len(srv.log) == 1, "the refused run asked nothing"
        res = forkcli.run(args, tmp_path, env)
    assert res.rc == 0, res.stderr
    assert sorted(r["id"] for r in helpers.read_output(out)) == ["r0", "r1", "r2"]


def test_a_killed_writer_does_not_block_the_next_run(tmp_path, forkcli, helpers):
    """A SIGKILLed run leaves its lock file behind; the kernel dropped the lock with the process,
    so the rerun takes it and finishes."""
    catalog = helpers.write_jsonl(tmp_path / "c.jsonl", _rows(8, tmp_path.name))
    out = tmp_path / "out.jsonl"
    env = helpers.env(tmp_path / "cache")
    with FaultServer(latency_s=(0.05, 0.1)) as srv:
        args = ["tag", catalog, "-o", out, *helpers.stub_args(srv, "--concurrency", "1")]
        killed = forkcli.run(args, tmp_path, env, kill_at_line=2, watch=out)
        assert killed.killed
        assert lock_path(out).exists(), "SIGKILL leaves the lock file (but not the lock)"
        res = forkcli.run(args, tmp_path, env)
    assert res.rc == 0, res.stderr
    assert Counter(r["id"] for r in helpers.read_output(out)) == Counter({f"r{i}": 1 for i in range(8)})
    assert not lock_path(out).exists()


def test_the_lock_is_exclusive_between_processes_and_survives_a_garbage_lock_file(tmp_path):
    """The lock on its own: a stale file with garbage in it is taken over; a second process
    cannot take a held lock and is told who holds it; release lets it in."""
    out = tmp_path / "o.jsonl"
    lock_path(out).write_text("not json at all")
    probe = ("import sys; from pathlib import Path; from linernotes.store.records import OutputLock, OutputLocked\n"
             "try:\n    OutputLock(Path(sys.argv[1])).acquire()\nexcept OutputLocked as e:\n"
             "    print(e); sys.exit(2)\nprint('acquired')")
    with OutputLock(out):
        r = subprocess.run([sys.executable, "-c", probe, str(out)], capture_output=True, text=True, timeout=120)
        assert r.returncode == 2 and f"pid {os.getpid()}" in r.stdout, r.stdout + r.stderr
        with pytest.raises(OutputLocked):  # a second descriptor in this process is refused too
            OutputLock(out).acquire()
    r = subprocess.run([sys.executable, "-c", probe, str(out)], capture_output=True, text=True, timeout=120)
    assert r.returncode == 0 and "acquired" in r.stdout, r.stdout + r.stderr
