"""``liner tag --runner beam -o DIR/`` run again into its own folder: Beam rewrites the output, so
the folder holds the new run's part files only, whatever number of shards either run wrote."""

from __future__ import annotations

import pyarrow.parquet as pq

from linernotes.beam import run_beam
from linernotes.config import TagConfig
from linernotes.run.runner import RunOptions

from .conftest import write_catalog

TWO_SHARDS = ["--direct_num_workers=2", "--direct_running_mode=multi_threading"]


def test_a_rerun_with_fewer_shards_leaves_no_part_of_the_earlier_run(tmp_path):
    """QA: a first run on two workers wrote part-0000{0,1}-of-00002, a rerun on one wrote
    part-00000-of-00001 beside them: the folder read 32 rows for 16 catalog rows, every id twice
    (and liner monitor counted each twice), exit as usual."""
    catalog = write_catalog(tmp_path / "c.jsonl", 15, bad_lines=1)
    cfg = TagConfig(llm_mode="never")
    ds = tmp_path / "ds"
    ds.mkdir()
    run_beam(cfg, RunOptions(input=catalog, output=ds), TWO_SHARDS)
    first = sorted(p.name for p in ds.glob("*.parquet"))
    run_beam(cfg, RunOptions(input=catalog, output=ds))
    second = sorted(p.name for p in ds.glob("*.parquet"))
    ids = pq.read_table(ds).column("id").to_pylist()
    assert len(first) == 2, first  # the setting under test: the first run wrote two shards
    assert second == ["part-00000-of-00001.parquet"], second
    assert len(ids) == len(set(ids)) == 16
