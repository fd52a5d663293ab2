"""``liner monitor --report/--html PATH`` never writes its report over a file that is not an
earlier report: the runs it compares least of all (the report was written after both runs had
loaded, so the comparison ran and the records were then replaced, exit 0)."""

from __future__ import annotations

import pyarrow as pa
import pyarrow.parquet as pq

from linernotes.schema import OutputRecord


def _run(path, n: int = 5):
    path.write_text("".join(OutputRecord(id=f"r{i}", status="error", error={"kind": "llm.timeout", "message": "m"})
                            .model_dump_json() + "\n" for i in range(n)))
    return path


def test_a_report_over_a_run_or_another_file_is_refused_and_the_file_kept(tmp_path, liner_in_process):
    """QA: '--report cur.jsonl' replaced the current run's records with the markdown, '--html
    base.parquet' the baseline table with the page, '--report logs/records-...jsonl' a service log
    inside the folder compared, and '--report catalog.jsonl' a catalog; each exit 0."""
    base, cur = _run(tmp_path / "base.jsonl"), _run(tmp_path / "cur.jsonl")
    logs = tmp_path / "logs"
    logs.mkdir()
    log = _run(logs / "records-2026-12-01.0001.jsonl")
    table = tmp_path / "t.parquet"
    pq.write_table(pa.table({"id": ["a"], "status": ["ok"]}), table)
    catalog = tmp_path / "catalog.jsonl"
    catalog.write_text('{"id": "a", "title": "t"}\n')
    for args, target in ((["--report", str(cur)], cur), (["--html", str(base)], base),
                         (["--report", str(log)], log), (["--html", str(table)], table),
                         (["--report", str(catalog)], catalog)):
        inputs = [str(base), str(logs) if target == log else str(cur)]
        before = target.read_bytes()
        r = liner_in_process(["monitor", *inputs, *args])
        assert r.returncode == 2, (args, r.stderr)
        assert f"{target}: exists and is not a liner monitor report" in r.stderr, r.stderr
        assert target.read_bytes() == before


def test_an_earlier_report_an_empty_file_and_dev_null_are_written(tmp_path, liner_in_process):
    base = _run(tmp_path / "base.jsonl")
    md, page, empty = tmp_path / "r.md", tmp_path / "r.html", tmp_path / "empty.md"
    empty.write_text("")
    for _ in range(2):  # the second run replaces the first run's reports
        r = liner_in_process(["monitor", str(base), str(base), "--report", str(md), "--html", str(page)])
        assert r.returncode == 0, r.stderr
    assert liner_in_process(["monitor", str(base), str(base), "--report", str(empty)]).returncode == 0
    assert liner_in_process(["monitor", str(base), str(base), "--report", "/dev/null"]).returncode == 0
    assert md.read_text().startswith("# liner monitor: ") and empty.read_text().startswith("# liner monitor: ")
    assert "<title>liner monitor</title>" in page.read_text()
