"""SIGKILL at random points, 20 runs: every run resumes to a complete output with zero duplicates
and zero lost items, the output parses line by line after every kill, and the SQLite response
cache (killed mid-write too) is never corrupted."""

from __future__ import annotations

import random
import sqlite3

import pytest

from linernotes.testing.fault_server import FaultServer

RUNS = 20
ITEMS = 12  # small: on a shared 2-core box each item costs ~0.2 s of CPU


@pytest.fixture(scope="module")
def jittery_server():
    """Plain answers after 0-30 ms, so several items are in flight at any kill."""
    with FaultServer(latency_s=(0.0, 0.03)) as srv:
        yield srv


@pytest.mark.slow
def test_sigkill_twenty_times_then_resume_loses_nothing(tmp_path, forkcli, jittery_server, helpers):
    rng = random.Random(20261123)
    lost = dups = kills_mid_run = 0
    for run in range(RUNS):
        d = tmp_path / f"run{run}"
        d.mkdir()
        ids = [f"r{run}-item-{i:03d}" for i in range(ITEMS)]
        catalog = helpers.write_jsonl(d / "c.jsonl", [
            {"id": i, "title": f"Song {i}", "artist": "Kill Test", "description": "minimal techno with acid bass"}
            for i in ids])
        out, cache = d / "out.jsonl", d / "cache"
        args = ["tag", catalog, "-o", out, *helpers.stub_args(jittery_server, "--concurrency", "4")]
        env = helpers.env(cache)
        kill_points = sorted(rng.sample(range(ITEMS), rng.choice([1, 1, 2])))
        for k in kill_points:
            res = forkcli.run(args, d / "log", env, kill_at_line=k, watch=out, seed=rng.randrange(1 << 30),
                              jitter_s=0.02)
            if res.killed:
                kills_mid_run += 1
                helpers_read_after_kill(helpers, out)
        final = forkcli.run(args, d / "log", env)
        assert final.rc == 0, final.stderr
        assert "Traceback" not in final.stderr
        records = helpers.read_output(out)
        got = [r["id"] for r in records]
        dups += len(got) - len(set(got))
        lost += len(set(ids) - set(got))
        assert all(r["status"] == "ok" for r in records)
        with sqlite3.connect(cache / "llm-cache.sqlite") as db:
            assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
            assert db.execute("SELECT COUNT(*) FROM responses").fetchone()[0] == ITEMS
    assert (lost, dups) == (0, 0)
    assert kills_mid_run >= RUNS, f"only {kills_mid_run} kills landed mid-run"


def helpers_read_after_kill(helpers, out) -> None:
    """Right after a SIGKILL the file must parse line by line except, at worst, a cut last line
    (which resume truncates away)."""
    if not out.exists():
        return
    data = out.read_bytes()
    whole = data[: data.rfind(b"\n") + 1] if b"\n" in data else b""
    tmp = out.with_name("after-kill.jsonl")
    tmp.write_bytes(whole)
    helpers.read_output(tmp)


@pytest.mark.slow
def test_sigkill_while_a_resume_replaces_error_records_loses_and_duplicates_nothing(tmp_path, forkcli, jittery_server,
                                                                                     helpers):
    """Resume retries error records: the new line is appended and the old one removed by an
    atomic compaction when the run ends. SIGKILL the resume at random points (mid-run, and
    right as it finishes), then resume again: one record per id, all ok, none lost."""
    rng = random.Random(20261130)
    kills = 0
    for run in range(4):
        d = tmp_path / f"run{run}"
        d.mkdir()
        ids = [f"e{run}-item-{i:03d}" for i in range(ITEMS)]
        flaky = set(rng.sample(ids, 5))
        catalog = helpers.write_jsonl(d / "c.jsonl", [
            {"id": i, "title": f"{'FAULT:503x1 ' if i in flaky else ''}Song {i} {d.name}", "artist": "Kill Test"}
            for i in ids])
        out = d / "out.jsonl"
        args = ["tag", catalog, "-o", out, *helpers.stub_args(jittery_server, "--concurrency", "4", "--retries", "0")]
        env = helpers.env(d / "cache")
        first = forkcli.run(args, d / "log", env)
        assert first.rc == 1, first.stderr
        assert sum(r["status"] == "error" for r in helpers.read_output(out)) == len(flaky)
        # lines in the file when killed: ITEMS, then one more per retried error (up to 5)
        kill_at = ITEMS + rng.randint(1, len(flaky))
        res = forkcli.run(args, d / "log", env, kill_at_line=kill_at, watch=out, seed=rng.randrange(1 << 30),
                          jitter_s=0.02)
        if res.killed:
            kills += 1
            helpers_read_after_kill(helpers, out)
            whole = [r["id"] for r in helpers.read_output(out.with_name("after-kill.jsonl"))]
            assert set(whole) == set(ids), "a kill mid-resume lost a record"
        final = forkcli.run(args, d / "log", env)
        assert final.rc == 0, final.stderr
        records = helpers.read_output(out)
        assert sorted(r["id"] for r in records) == sorted(ids), "lost or duplicated"
        assert all(r["status"] == "ok" for r in records)
    assert kills >= 2, f"only {kills} kills landed mid-resume"
