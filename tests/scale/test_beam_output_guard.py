"""``liner tag --runner beam`` rewrites OUT, so it must never be another file or another run's
Parquet. QA: '-o other-catalog.jsonl' replaced that catalog with records (the local runner refuses
it), and '-o DIR/' holding a local run's parts and journal got Beam's part beside them (86 rows for
65 ids when the folder was read)."""

from __future__ import annotations

import json
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from linernotes.schema import ErrorInfo, OutputRecord
from linernotes.sinks.parquet import ParquetSink


def _catalog(path: Path) -> Path:
    rows = [{"id": f"g{i}", "title": f"Track {i}", "description": "calm ambient piano"} for i in range(3)]
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    return path


def _tag(liner, catalog: Path, out: str):
    return liner(["tag", str(catalog), "-o", out, "--runner", "beam", "--llm", "never"])


@pytest.mark.slow
def test_beam_refuses_another_file_and_a_local_runs_parquet_and_reruns_over_its_own(tmp_path, liner_in_process):
    catalog = _catalog(tmp_path / "c.jsonl")
    other = tmp_path / "other-catalog.jsonl"
    other.write_text(json.dumps({"id": "x", "title": "keep me"}) + "\n")
    r = _tag(liner_in_process, catalog, str(other))
    assert r.returncode == 2 and f"{other}: exists and is not a liner output" in r.stderr, r.stderr[-2000:]
    assert json.loads(other.read_text()) == {"id": "x", "title": "keep me"}

    local = tmp_path / "local"
    local.mkdir()
    sink = ParquetSink(local)  # what liner tag -o local/ (the local runner) leaves
    sink.write(OutputRecord(id="l1", status="error", error=ErrorInfo(kind="llm.timeout", message="slow")))
    sink.close()
    before = sorted(p.name for p in local.iterdir())
    r = _tag(liner_in_process, catalog, str(local) + "/")
    assert r.returncode == 2 and "is the output of a local liner tag run" in r.stderr, r.stderr[-2000:]
    assert sorted(p.name for p in local.iterdir()) == before

    mine = tmp_path / "beam"
    mine.mkdir()
    for _ in range(2):  # a rerun of the same Beam command rewrites its own part files
        r = _tag(liner_in_process, catalog, str(mine) + "/")
        assert r.returncode == 0, r.stderr[-2000:]
    assert pq.read_table(mine).num_rows == 3
