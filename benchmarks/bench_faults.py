"""Reliability figures for the closing note: faults injected by kind and items lost, SIGKILL
kill-and-resume runs, and hostile catalog files tried and crashes.

- Faults: one item per FaultServer directive (a TEST DOUBLE endpoint) ``per_kind`` times, plus
  plain items, through the real batch runner with ``max_retries=2``; every item must come out as
  one line (ok, or an error record of the expected kind).
- Kills: a forked child runs the batch runner and is SIGKILLed when the output reaches a random
  line; then a second child resumes it to completion. Lost = input ids missing from the output.
- Bad input: every file of tests/corpus/catalog plus generated big ones; a crash is any exception
  other than the whole-file CatalogError.
"""

from __future__ import annotations

import asyncio
import json
import os
import random
import signal
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

COMMAND = "python -m benchmarks faults"
REPO = Path(__file__).resolve().parents[1]


def _write(path: Path, rows: list[dict[str, Any]]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return path


def _config(base_url: str, retries: int = 2, timeout_s: float = 1.0, cache: bool = False):
    from linernotes.config import TagConfig
    from linernotes.llm.client import LLMConfig

    return TagConfig(llm=LLMConfig(model="openai/stub", api_base=base_url, max_retries=retries, timeout_s=timeout_s,
                                   use_cache=cache, backoff_base_s=0.2), llm_mode="always")


def _ids(out: Path) -> list[str]:
    return [json.loads(ln)["id"] for ln in out.read_text(encoding="utf-8").splitlines()] if out.exists() else []


def faults(work: Path, per_kind: int) -> dict[str, Any]:
    from linernotes.run.runner import RunOptions, run_batch
    from linernotes.testing.fault_server import FAULTS, FaultServer

    rows = [{"id": f"ok-{i}", "title": f"Plain {i}", "description": "techno"} for i in range(per_kind * 4)]
    rows += [{"id": f"{n}-{i}", "title": f"FAULT:{n} #{i}", "description": "house"} for n in FAULTS
             for i in range(per_kind)]
    out = work / "faults.out.jsonl"
    with FaultServer(hang_s=30, trickle_s=0.2) as srv:
        summary = asyncio.run(run_batch(_config(srv.base_url), RunOptions(
            input=_write(work / "faults.jsonl", rows), output=out, concurrency=32)))
        requests = Counter(r.directive or "ok" for r in srv.log)
    recs = {r["id"]: r for r in map(json.loads, out.read_text().splitlines())}
    wrong = [i for i, r in recs.items() if i.startswith("ok-") != (r["status"] == "ok")
             or (not i.startswith("ok-") and r["error"]["kind"] != f"llm.{FAULTS[i.rsplit('-', 1)[0]].expected_kind}")]
    return {"faults_injected": per_kind * len(FAULTS), "fault_kinds": len(FAULTS),
            "faults_by_kind": {n: per_kind for n in FAULTS}, "fault_requests_by_directive": dict(requests),
            "fault_items_lost": len({r["id"] for r in rows} - set(recs)),
            "fault_items_misclassified": len(wrong), "fault_errors_by_kind": summary.errors_by_kind}


def _child_run(catalog: Path, out: Path, base_url: str, cache_dir: Path) -> None:
    from linernotes.run.runner import RunOptions, run_batch

    os.environ["LINER_CACHE_DIR"] = str(cache_dir)
    cfg = _config(base_url, cache=True)
    asyncio.run(run_batch(cfg, RunOptions(input=catalog, output=out, concurrency=4)))


def _fork(catalog: Path, out: Path, base_url: str, cache_dir: Path, kill_at: int | None) -> bool:
    pid = os.fork()
    if pid == 0:
        code = 0
        try:
            _child_run(catalog, out, base_url, cache_dir)
        except BaseException:  # noqa: BLE001
            code = 1
        os._exit(code)
    while True:
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            return os.waitstatus_to_exitcode(status) == 0
        if kill_at is not None and out.exists() and out.read_bytes().count(b"\n") >= kill_at:
            time.sleep(random.uniform(0, 0.02))
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
            return False
        time.sleep(0.002)


def kills(work: Path, runs: int, items: int) -> dict[str, Any]:
    import sqlite3

    from linernotes.testing.fault_server import FaultServer

    rng = random.Random(7)
    lost = dups = bad_caches = killed = 0
    with FaultServer(latency_s=(0.0, 0.03)) as srv:
        for run in range(runs):
            d = work / f"kill{run}"
            d.mkdir()
            ids = [f"k{run}-{i}" for i in range(items)]
            catalog = _write(d / "c.jsonl", [{"id": i, "title": i, "description": "acid techno"} for i in ids])
            out = d / "out.jsonl"
            killed += not _fork(catalog, out, srv.base_url, d / "cache", rng.randrange(items))
            _fork(catalog, out, srv.base_url, d / "cache", None)
            got = _ids(out)
            lost += len(set(ids) - set(got))
            dups += len(got) - len(set(got))
            with sqlite3.connect(d / "cache" / "llm-cache.sqlite") as db:
                bad_caches += db.execute("PRAGMA integrity_check").fetchone()[0] != "ok"
    return {"kill_runs": runs, "kill_items_per_run": items, "kills_mid_run": killed, "kill_items_lost": lost,
            "kill_duplicates": dups, "kill_corrupt_caches": bad_caches}


def bad_inputs(work: Path) -> dict[str, Any]:
    from linernotes.run.runner import RunOptions, run_batch
    from linernotes.store.catalog import CatalogError
    from linernotes.testing.fault_server import FaultServer

    files = sorted((REPO / "tests" / "corpus" / "catalog").iterdir())
    gen = work / "gen"
    gen.mkdir()
    (gen / "big-field.jsonl").write_text(json.dumps({"id": "big", "lyrics": "la " * 3_500_000}) + "\n")
    (gen / "deep.jsonl").write_text('{"id": "d", "x": ' + "[" * 100_000 + "]" * 100_000 + "}\n")
    (gen / "empty.jsonl").write_bytes(b"")
    (gen / "folder.jsonl").mkdir()
    files += sorted(gen.iterdir())
    crashes, rows, row_errors, file_errors = [], 0, 0, 0
    with FaultServer() as srv:
        for f in files:
            out = work / f"{f.name}.out.jsonl"
            try:
                s = asyncio.run(run_batch(_config(srv.base_url), RunOptions(input=f, output=out)))
                rows += s.rows
                row_errors += s.failed
            except CatalogError:
                file_errors += 1
            except Exception as e:  # noqa: BLE001 (a crash is what we count)
                crashes.append(f"{f.name}: {type(e).__name__}")
    return {"bad_input_files": len(files), "bad_input_rows": rows, "bad_input_row_errors": row_errors,
            "bad_input_file_errors": file_errors, "bad_input_crashes": len(crashes), "crashed_on": crashes}


def run(quick: bool = False) -> dict[str, Any]:
    os.environ.setdefault("OPENAI_API_KEY", "sk-test-bench-faults")
    with tempfile.TemporaryDirectory(prefix="bench-faults-") as tmp:
        work = Path(tmp)
        figures: dict[str, Any] = {"command": COMMAND + (" --quick" if quick else "")}
        figures.update(faults(work, 1 if quick else 3))
        figures.update(kills(work, 5 if quick else 20, 12 if quick else 30))
        figures.update(bad_inputs(work))
    figures["items_lost_total"] = figures["fault_items_lost"] + figures["kill_items_lost"]
    return figures


if __name__ == "__main__":
    print(json.dumps(run(quick=True), indent=2))
