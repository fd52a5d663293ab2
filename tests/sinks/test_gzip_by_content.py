"""liner export and liner monitor tell a gzipped output by its content, as every other reader of
JSON lines does (``json_lines.file_lines``, the one reader): ``sinks.lines_in`` told it by the name
(QA session 23), so a gzipped run named .jsonl was read as bytes ('none of its N lines is an output
record (line 1: not JSON ...)') and a plain one named .gz was 'unreadable after line 0 (Not a
gzipped file ...)'. A gzip stream cut short is still named with the lines before it kept."""

from __future__ import annotations

import gzip
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from linernotes.monitor.load import load_output
from linernotes.schema import OutputRecord
from linernotes.sinks.export import export_parquet


def _lines(n: int) -> bytes:
    return b"".join(OutputRecord(id=f"r{i}", status="error", error={"kind": "llm.timeout", "message": "m"})
                    .model_dump_json().encode() + b"\n" for i in range(n))


@pytest.mark.parametrize(("name", "compress"), [("out.jsonl", True), ("out.jsonl.gz", False),
                                                ("out.jsonl.gz", True), ("out.jsonl", False)])
def test_export_and_monitor_read_an_output_whatever_its_name_says(tmp_path: Path, name: str, compress: bool) -> None:
    out = tmp_path / name
    out.write_bytes(gzip.compress(_lines(40)) if compress else _lines(40))
    res = export_parquet(out, tmp_path / "o.parquet")
    assert (res.rows, res.exit_code, res.problems) == (40, 0, []), res
    assert sorted(pq.read_table(tmp_path / "o.parquet").column("id").to_pylist()) == sorted(f"r{i}" for i in range(40))
    loaded = load_output(out)
    assert loaded.table.num_rows == 40 and not loaded.problems, loaded.problems


def test_a_gzip_stream_cut_short_under_a_plain_name_keeps_the_lines_before_it(tmp_path: Path) -> None:
    whole = gzip.compress(_lines(2000))
    cut = tmp_path / "cut.jsonl"
    cut.write_bytes(whole[: len(whole) // 2])
    kept = load_output(cut)
    [problem] = kept.problems
    assert 0 < kept.table.num_rows < 2000 and problem.line == kept.table.num_rows + 1
    assert problem.reason.startswith(f"unreadable after line {kept.table.num_rows} (") and "cut short" in problem.reason
    res = export_parquet(cut, tmp_path / "cut.parquet")
    assert res.exit_code == 1 and res.rows == kept.table.num_rows, res
