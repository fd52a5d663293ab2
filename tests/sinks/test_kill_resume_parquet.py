"""SIGKILL a real ``liner tag -o out.parquet`` (and a dataset folder) mid-run, rerun the same
command: exactly one row per input id, readable by pyarrow and DuckDB."""

from __future__ import annotations

import random

import duckdb
import pyarrow.parquet as pq
import pytest

from .conftest import write_catalog

ITEMS = 12


def _run_until_done(forkcli, args, tmp, env, watch, kills: list[int], seed: int) -> int:
    rng = random.Random(seed)
    landed = 0
    for k in kills:
        res = forkcli.run(args, tmp / "log", env, kill_at_line=k, watch=watch, seed=rng.randrange(1 << 30),
                          jitter_s=0.02)
        landed += res.killed
    final = forkcli.run(args, tmp / "log", env)
    assert final.rc == 0, final.stderr
    assert "Traceback" not in final.stderr
    return landed


@pytest.mark.slow
@pytest.mark.parametrize("shape", ["file", "dataset"])
def test_sigkill_mid_run_then_resume_gives_one_row_per_id(tmp_path, forkcli, slow_stub, shape):
    landed = 0
    for run, kills in enumerate([[5, 9], [1, 7]]):
        d = tmp_path / f"run{run}"
        d.mkdir()
        catalog = write_catalog(d / "c.jsonl", ITEMS)
        if shape == "file":
            out, journal = d / "out.parquet", d / "out.parquet.journal.jsonl"
        else:
            out = d / "ds"
            out.mkdir()
            journal = out / "_journal.jsonl"
        args = ["tag", catalog, "-o", out, "--model", "openai/stub", "--api-base", slow_stub.base_url,
                "--no-progress", "--concurrency", "4", "--retries", "0"]
        env = {"LINER_CACHE_DIR": str(d / "cache"), "OPENAI_API_KEY": "sk-test-dummy",
               "LINER_PARQUET_PART_ROWS": "3"}
        landed += _run_until_done(forkcli, args, d, env, journal, kills, seed=run)
        table = pq.read_table(out)
        ids = table.column("id").to_pylist()
        assert sorted(ids) == [f"item-{i:03d}" for i in range(ITEMS)], ids
        assert set(table.column("status").to_pylist()) == {"ok"}
        glob = f"{out}/*.parquet" if shape == "dataset" else str(out)
        n, distinct = duckdb.connect().execute(f"SELECT count(*), count(DISTINCT id) FROM '{glob}'").fetchone()
        assert (n, distinct) == (ITEMS, ITEMS)
        if shape == "dataset":
            assert len(list(out.glob("part-*.parquet"))) >= 2  # parts were written as the run went
    assert landed >= 3, f"only {landed} kills landed mid-run"
