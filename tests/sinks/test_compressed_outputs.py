"""A liner output compressed with gzip is read back by ``liner export`` and ``liner monitor``:
``liner tag --runner beam -o out.jsonl.gz`` writes one (Beam's text sink compresses by suffix), and
a service's older log files are often gzipped where they lie. A file cut short is named, and the
lines before the cut are kept."""

from __future__ import annotations

import gzip

import pyarrow.parquet as pq

from linernotes.beam import run_beam
from linernotes.config import TagConfig
from linernotes.monitor.load import load_output
from linernotes.run.runner import RunOptions
from linernotes.schema import OutputRecord
from linernotes.sinks.export import export_parquet

from .conftest import write_catalog


def _lines(prefix: str, n: int) -> bytes:
    return b"".join(OutputRecord(id=f"{prefix}{i}", status="error", error={"kind": "llm.timeout", "message": "m"})
                    .model_dump_json().encode() + b"\n" for i in range(n))


def test_a_beam_jsonl_gz_output_is_exported_and_monitored(tmp_path, liner_in_process):
    """QA: 'liner export out.jsonl.gz' said 'not a liner output: none of its 9 lines is an output
    record (line 1: not JSON ...)' and 'liner monitor BASE out.jsonl.gz' 'no output records', exit
    2, for the 16-row output liner itself had just written."""
    catalog = write_catalog(tmp_path / "c.jsonl", 15, bad_lines=1)
    out = tmp_path / "out.jsonl.gz"
    run_beam(TagConfig(llm_mode="never"), RunOptions(input=catalog, output=out))
    res = export_parquet(out, tmp_path / "o.parquet")
    assert (res.rows, res.exit_code) == (16, 0)
    assert sorted(pq.read_table(tmp_path / "o.parquet").column("id").to_pylist()) == sorted(
        load_output(out).table.column("id").to_pylist())
    r = liner_in_process(["monitor", str(out), str(out)])
    assert r.returncode == 0 and "skipped" not in r.stderr, r.stderr


def test_gzipped_logs_in_a_folder_are_read_and_a_cut_one_is_named(tmp_path, liner_in_process):
    logs = tmp_path / "logs"
    logs.mkdir()
    (logs / "records-2026-11-30.0001.jsonl.gz").write_bytes(gzip.compress(_lines("old", 30)))
    (logs / "records-2026-12-01.0001.jsonl").write_bytes(_lines("new", 20))
    loaded = load_output(logs)
    assert loaded.table.num_rows == 50 and not loaded.problems  # the gzipped day was left out unsaid

    cut = tmp_path / "cut.jsonl.gz"
    whole = gzip.compress(_lines("c", 2000))
    cut.write_bytes(whole[: len(whole) // 2])
    kept = load_output(cut)
    [problem] = kept.problems
    assert 0 < kept.table.num_rows < 2000 and "cut short or corrupt" in problem.reason
    res = export_parquet(cut, tmp_path / "cut.parquet")
    assert res.exit_code == 1 and res.rows == kept.table.num_rows, res
    r = liner_in_process(["export", str(cut), "-o", str(tmp_path / "cut2.parquet")])
    assert r.returncode == 1 and "Traceback" not in r.stderr and f"{cut}:" in r.stderr, r.stderr
