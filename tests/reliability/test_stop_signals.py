"""SIGTERM and SIGHUP stop a run as Ctrl-C does (linernotes.run.stopping): the records written so
far stay, the workers stop, ``OUT.lock`` is released, stderr says which signal stopped the run and
how to resume, the exit code is 128 + signum, and a rerun leaves exactly one record per input id.
(QA: a SIGTERMed ``liner tag`` exited 143 in silence and left ``OUT.lock`` behind.)

Each run is a real forked ``liner`` process (forkcli), signalled once its output holds a few lines."""

from __future__ import annotations

import asyncio
import json
import os
import signal
from pathlib import Path

import pytest

from linernotes.run import stopping

REPO = Path(__file__).resolve().parents[2]
N = 200


def _catalog(helpers, path: Path) -> tuple[Path, list[str]]:
    base = [json.loads(line) for line in (REPO / "examples" / "catalog.jsonl").read_text().splitlines()]
    rows = []
    for i in range(N):
        row = {k: v for k, v in base[i % len(base)].items() if k != "audio_path"}
        rows.append({**row, "id": f"stop-{i:03d}"})
    return helpers.write_jsonl(path, rows), [r["id"] for r in rows]


def _assert_stopped(res, out: Path, signum: int) -> None:
    name = signal.Signals(signum).name
    assert res.killed, "the run ended before the signal"
    assert res.rc == 128 + signum, res.stderr
    assert f"liner: stopped by {name}; rerun the same command to resume" in res.stderr
    assert "Traceback" not in res.stderr
    assert not out.with_name(out.name + ".lock").exists(), "the lock outlived the run"
    manifest = json.loads(out.with_name(out.name + ".manifest.json").read_text())
    assert manifest["status"] == "interrupted"


@pytest.mark.slow
def test_sigterm_stops_tag_then_a_rerun_has_one_record_per_id(tmp_path, forkcli, helpers) -> None:
    catalog, ids = _catalog(helpers, tmp_path / "c.jsonl")
    out = tmp_path / "out.jsonl"
    args = ["tag", catalog, "-o", out, "--llm", "never", "--workers", "1", "--no-progress"]
    env = helpers.env(tmp_path / "cache")
    res = forkcli.run(args, tmp_path / "log", env, kill_at_line=5, watch=out, stop_signal=signal.SIGTERM)
    _assert_stopped(res, out, signal.SIGTERM)
    kept = helpers.read_output(out)
    assert res.lines_at_kill <= len(kept) < N  # what was written stays; the run did stop

    again = forkcli.run(args, tmp_path / "log2", env)
    assert again.rc == 0, again.stderr
    got = [r["id"] for r in helpers.read_output(out)]
    assert sorted(got) == sorted(ids) and len(got) == N


@pytest.mark.slow
def test_sighup_stops_tag(tmp_path, forkcli, helpers) -> None:
    catalog, _ = _catalog(helpers, tmp_path / "c.jsonl")
    out = tmp_path / "out.jsonl"
    args = ["tag", catalog, "-o", out, "--llm", "never", "--workers", "1", "--no-progress"]
    res = forkcli.run(args, tmp_path / "log", helpers.env(tmp_path / "cache"), kill_at_line=5, watch=out,
                      stop_signal=signal.SIGHUP)
    _assert_stopped(res, out, signal.SIGHUP)
    assert len(helpers.read_output(out)) < N


@pytest.mark.slow
def test_sigterm_stops_eval_and_releases_its_predictions_lock(tmp_path, forkcli, helpers) -> None:
    rows = [json.loads(line) for line in (REPO / "evals" / "slices" / "ci-slice.jsonl").read_text().splitlines()]
    gold = helpers.write_jsonl(tmp_path / "gold.jsonl", [{**rows[i % len(rows)], "id": f"g{i:03d}"}
                                                         for i in range(N)])
    record = tmp_path / "run.json"
    predictions = tmp_path / "run.json.d" / "predictions.jsonl"
    args = ["eval", "ci-slice", "--data", gold, "-o", record, "--llm", "never", "--no-progress", "--resamples", "0"]
    res = forkcli.run(args, tmp_path / "log", helpers.env(tmp_path / "cache"), kill_at_line=5, watch=predictions,
                      stop_signal=signal.SIGTERM)
    _assert_stopped(res, predictions, signal.SIGTERM)
    assert not record.exists(), "an interrupted eval wrote a run record"


# -- the handler itself, in this process ------------------------------------------------------
@pytest.fixture
def handlers():
    """Restore this process's handlers of SIGINT, SIGTERM and SIGHUP after the test."""
    saved = {s: signal.getsignal(s) for s in (signal.SIGINT, *stopping.STOP_SIGNALS)}
    yield
    for s, h in saved.items():
        signal.signal(s, h)


@pytest.mark.parametrize("sigint", [signal.default_int_handler, signal.SIG_IGN], ids=["sigint-default", "nohup-bg"])
@pytest.mark.parametrize("signum", stopping.STOP_SIGNALS, ids=lambda s: signal.Signals(s).name)
def test_a_stop_signal_cancels_asyncio_run_and_its_finally_blocks_run(handlers, sigint, signum) -> None:
    """With SIGINT ignored (a background job of a script, nohup) asyncio.run installs no SIGINT
    handler: the stop still interrupts the run, and the run's cleanup still runs."""
    signal.signal(signal.SIGINT, sigint)
    stopping.stop_like_ctrl_c()
    cleaned: list[str] = []

    async def run() -> None:
        try:
            os.kill(os.getpid(), signum)
            await asyncio.sleep(30)
        finally:
            await asyncio.sleep(0)  # the loop still runs for the cleanup
            cleaned.append("flushed")

    with pytest.raises(KeyboardInterrupt):
        asyncio.run(run())
    assert cleaned == ["flushed"]
    assert stopping.stopped_by() == signum


def test_an_ignored_sighup_stays_ignored(handlers) -> None:
    signal.signal(signal.SIGHUP, signal.SIG_IGN)  # nohup liner tag ...
    stopping.stop_like_ctrl_c()
    assert signal.getsignal(signal.SIGHUP) is signal.SIG_IGN
    assert signal.getsignal(signal.SIGTERM) is not signal.SIG_DFL


def _worker_like() -> None:
    """What a worker does about signals (parallel._worker), in a run started with SIGINT ignored."""
    import time

    signal.signal(signal.SIGINT, signal.SIG_IGN)  # nohup, or a script's background job
    stopping.stop_like_ctrl_c()
    try:
        time.sleep(60)
    except KeyboardInterrupt:
        os._exit(3)


def test_a_pool_left_early_stops_its_workers_at_once() -> None:
    """A run that stops early (signal, error) stops its workers instead of waiting up to 30 s for
    each to finish its calls in flight (SIGTERM, 2 workers, 3 s STUB: 6.7 -> 1.2 s to exit), also
    when they ignore SIGINT."""
    import multiprocessing as mp
    import time

    from linernotes.run.parallel import WorkerPool

    pool = WorkerPool.__new__(WorkerPool)  # the exit path alone: no worker needs the graph here
    pool._closing, pool._tasks, pool._results, pool._reader, pool._exchanges = False, [], None, None, set()
    pool._procs = [mp.get_context("fork").Process(target=_worker_like, daemon=True) for _ in range(2)]
    for p in pool._procs:
        p.start()
    time.sleep(0.5)  # past their signal set-up
    t0 = time.monotonic()
    asyncio.run(pool.__aexit__(asyncio.CancelledError, asyncio.CancelledError(), None))
    assert time.monotonic() - t0 < 10
    assert [p.exitcode for p in pool._procs] == [3, 3]  # the quiet KeyboardInterrupt exit, not terminate()


def test_main_reports_the_signal_and_puts_the_handlers_back(tmp_path, monkeypatch, capsys, handlers) -> None:
    """``liner``'s main in this process: a SIGHUP mid-run exits 129 with the message, and the
    process's own SIGTERM/SIGHUP handlers are back afterwards (a test run is not left routing them)."""
    import sys

    import linernotes.run.parallel as parallel
    from linernotes.cli import app as cli

    async def hung_up(*args, **kwargs):
        os.kill(os.getpid(), signal.SIGHUP)
        await asyncio.sleep(30)

    signal.signal(signal.SIGHUP, signal.SIG_DFL)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    monkeypatch.setattr(parallel, "run_parallel", hung_up)
    monkeypatch.setattr(sys, "argv", ["liner", "tag", str(REPO / "examples" / "catalog.jsonl"), "-o",
                                      str(tmp_path / "o.jsonl"), "--llm", "never", "--workers", "1", "--no-progress"])
    with pytest.raises(SystemExit) as e:
        cli.main()
    assert e.value.code == 129
    assert "liner: stopped by SIGHUP; rerun the same command to resume" in capsys.readouterr().err
    assert signal.getsignal(signal.SIGHUP) is signal.SIG_DFL and signal.getsignal(signal.SIGTERM) is signal.SIG_DFL


def test_a_command_with_nothing_to_resume_is_not_told_to_resume(tmp_path, monkeypatch, capsys, handlers) -> None:
    """QA: ``liner monitor`` stopped by a signal said "rerun the same command to resume"."""
    import sys
    import time

    import linernotes.monitor.run as monitor_run
    from linernotes.cli import app as cli

    def hung_up(*args, **kwargs):
        os.kill(os.getpid(), signal.SIGHUP)
        time.sleep(30)

    signal.signal(signal.SIGHUP, signal.SIG_DFL)
    monkeypatch.setattr(monitor_run, "monitor", hung_up)
    monkeypatch.setattr(sys, "argv", ["liner", "monitor", str(tmp_path / "a.jsonl"), str(tmp_path / "b.jsonl")])
    with pytest.raises(SystemExit) as e:
        cli.main()
    err = capsys.readouterr().err
    assert e.value.code == 129
    assert "liner: stopped by SIGHUP; rerun the same command to start it again" in err and "resume" not in err
