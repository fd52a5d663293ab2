"""``liner tag --runner beam -o out.parquet`` (and a dataset folder): the same table as the local
runner's Parquet output, read by pyarrow and DuckDB."""

from __future__ import annotations

import asyncio

import duckdb
import pyarrow.parquet as pq
import pytest

from linernotes.beam import run_beam
from linernotes.config import TagConfig
from linernotes.llm.client import LLMConfig
from linernotes.run.runner import RunOptions, run_batch
from linernotes.sinks.table import SCHEMA

from .conftest import write_catalog

DROP = {"latency_s", "cache_hit", "llm_calls"}  # timing and cache: differ between any two runs


def _rows(path) -> dict[str, dict]:
    return {r["id"]: {k: v for k, v in r.items() if k not in DROP} for r in pq.read_table(path).to_pylist()}


@pytest.mark.slow
def test_beam_parquet_file_and_dataset_equal_the_local_runners(tmp_path, stub, monkeypatch):
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test-dummy")
    catalog = write_catalog(tmp_path / "c.jsonl", 10, bad_lines=1)
    cfg = TagConfig(llm=LLMConfig(model="openai/stub", api_base=stub.base_url, use_cache=False, max_retries=0), llm_mode="always")  # every item reaches the stub: the LLM path is under test
    asyncio.run(run_batch(cfg, RunOptions(input=catalog, output=tmp_path / "local.parquet")))
    run_beam(cfg, RunOptions(input=catalog, output=tmp_path / "beam.parquet"))
    ds = tmp_path / "beam-ds"
    ds.mkdir()
    run_beam(cfg, RunOptions(input=catalog, output=ds))

    local = _rows(tmp_path / "local.parquet")
    assert len(local) == 11 and local["line:11"]["error_kind"] == "input.missing_id"
    assert _rows(tmp_path / "beam.parquet") == local
    assert pq.read_table(tmp_path / "beam.parquet").schema.equals(SCHEMA, check_metadata=False)
    assert list(ds.glob("part-*.parquet")) and _rows(ds) == local
    n, distinct = duckdb.connect().execute(f"SELECT count(*), count(DISTINCT id) FROM '{ds}/*.parquet'").fetchone()
    assert (n, distinct) == (11, 11)
