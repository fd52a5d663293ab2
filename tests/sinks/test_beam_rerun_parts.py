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


def test_a_rerun_after_a_killed_run_removes_its_temporary_parts(tmp_path):
    """QA: a run SIGKILLed while Beam wrote left DIR/beam-temp-part-<uuid>/<uuid>.part.parquet (3,000
    rows, every row of the catalog), which pyarrow reads as part of DIR (it reads folders
    recursively): after the rerun the folder read 6,000 rows for 3,000 ids. A JSONL output's
    temporary folder (beside it) stayed likewise."""
    import shutil

    catalog = write_catalog(tmp_path / "c.jsonl", 15, bad_lines=1)
    cfg = TagConfig(llm_mode="never")
    ds, out = tmp_path / "ds", tmp_path / "out.jsonl"
    ds.mkdir()
    run_beam(cfg, RunOptions(input=catalog, output=ds))
    # what a kill during the write leaves: Beam's temporary folder with the run's unfinalised part
    killed = ds / ("beam-temp-part-" + "ab" * 16)
    killed.mkdir()
    shutil.copy(next(ds.glob("part-*.parquet")), killed / "1f2e.part.parquet")
    beside = tmp_path / ("beam-temp-out.jsonl-" + "cd" * 16)
    beside.mkdir()
    (beside / "1f2e.jsonl").write_text("{}\n")
    dead = tmp_path / ("beam-temp-ds.dead-letter.jsonl-" + "12" * 16)  # ds's dead-letter file's, beside it
    dead.mkdir()
    other = tmp_path / ("beam-temp-other.jsonl-" + "ef" * 16)  # another output's: not this run's to remove
    other.mkdir()
    assert pq.read_table(ds).num_rows == 32  # the fault as a reader meets it
    run_beam(cfg, RunOptions(input=catalog, output=ds))
    run_beam(cfg, RunOptions(input=catalog, output=out))
    ids = pq.read_table(ds).column("id").to_pylist()
    assert len(ids) == len(set(ids)) == 16
    assert not killed.exists() and not beside.exists() and not dead.exists() and other.exists()
