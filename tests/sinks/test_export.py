"""``liner export RUN.jsonl -o out.parquet``: conversion, bad lines named and skipped, exit codes."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pyarrow.parquet as pq

from linernotes.schema import ErrorInfo, OutputRecord
from linernotes.sinks.export import export_parquet
from linernotes.sinks.parquet import ParquetSink


def _lines(n: int) -> list[str]:
    recs = [OutputRecord(id=f"i{k}", status="error", error=ErrorInfo(kind="llm.timeout", message="slow", line=k))
            for k in range(n)]
    return [r.model_dump_json() for r in recs]


def test_export_converts_every_record(tmp_path, liner):
    src = tmp_path / "run.jsonl"
    src.write_text("\n".join(_lines(5)) + "\n")
    res = liner(["export", str(src), "-o", str(tmp_path / "o.parquet")])
    assert res.returncode == 0, res.stderr
    t = pq.read_table(tmp_path / "o.parquet")
    assert t.column("id").to_pylist() == [f"i{k}" for k in range(5)]
    assert set(t.column("error_kind").to_pylist()) == {"llm.timeout"}


def test_export_names_bad_lines_and_keeps_the_rest(tmp_path, liner_in_process):
    liner = liner_in_process  # the real `liner export` process is test_export_converts_every_record
    good = _lines(4)
    src = tmp_path / "run.jsonl"
    # line 2: not JSON; line 4: JSON but not an output record; line 6: a line cut short inside the
    # file (an editor, a bad copy); line 7: the last line, cut short by a kill
    src.write_text("\n".join([good[0], "{oops", good[1], json.dumps({"id": "x", "status": "maybe"}),
                              good[2], '{"id": "y",', good[3][:20]]))
    res = liner(["export", str(src), "-o", str(tmp_path / "o.parquet")])
    assert res.returncode == 1
    assert f"{src}:2: skipped: not JSON" in res.stderr
    # the parser's position within the line, never a second line number (QA: "line 2 column 0")
    assert re.search(rf"{re.escape(str(src))}:6: skipped: not JSON: .* at column 11\n", res.stderr), res.stderr
    assert "line 2 column" not in res.stderr and "line 1 column" not in res.stderr
    assert f"{src}:4: skipped: not an output record: status" in res.stderr
    assert f"{src}:7: skipped: the last line is cut short" in res.stderr
    assert pq.read_table(tmp_path / "o.parquet").column("id").to_pylist() == ["i0", "i1", "i2"]


def test_export_to_a_dataset_folder_and_duplicate_keys(tmp_path):
    src = tmp_path / "run.jsonl"
    lines = _lines(5)
    ok_again = OutputRecord(id="i1", status="error", error=ErrorInfo(kind="llm.rate_limit", message="429", line=1))
    src.write_text("\n".join([*lines, ok_again.model_dump_json()]) + "\n")
    out = tmp_path / "ds"
    out.mkdir()
    res = export_parquet(src, out, part_rows=2)
    assert res.rows == 5 and res.exit_code == 0
    assert len(list(out.glob("part-*.parquet"))) == 3
    t = pq.read_table(out)
    kinds = dict(zip(t.column("id").to_pylist(), t.column("error_kind").to_pylist(), strict=True))
    assert kinds["i1"] == "llm.rate_limit" and len(kinds) == 5
    assert not [p for p in out.iterdir() if p.name.startswith("_liner-export")]


def test_export_of_a_missing_file_is_a_usage_error(tmp_path, liner_in_process):
    res = liner_in_process(["export", str(tmp_path / "nope.jsonl"), "-o", str(tmp_path / "o.parquet")])
    assert res.returncode == 2 and "nope.jsonl: no such file" in res.stderr


def test_export_of_a_file_that_holds_no_record_is_refused_and_the_output_kept(tmp_path, liner_in_process):
    """QA (session 13): `liner export catalog.jsonl -o out.parquet` (the catalog, not the output)
    printed one 'skipped' line per catalog row, replaced out.parquet with an empty table and
    exited 1. Now: one error naming the file and its first line's reason, exit 2, out.parquet as
    it was; a Parquet file given as the source alike."""
    out = tmp_path / "o.parquet"
    good = tmp_path / "run.jsonl"
    good.write_text("\n".join(_lines(3)) + "\n")
    assert export_parquet(good, out).rows == 3
    before = out.read_bytes()
    catalog = tmp_path / "catalog.jsonl"
    catalog.write_text("".join(json.dumps({"id": f"c{k}", "title": "Song"}) + "\n" for k in range(300)))
    for source in (catalog, out):
        target = out if source == catalog else tmp_path / "p.parquet"
        res = liner_in_process(["export", str(source), "-o", str(target)])
        assert res.returncode == 2, res.stderr
        lines = res.stderr.strip().splitlines()
        assert len(lines) == 1, res.stderr
        assert f"{source}: not a liner output" in lines[0] and "(line 1: " in lines[0], lines[0]
    assert "status: Field required" in liner_in_process(["export", str(catalog), "-o", str(out)]).stderr
    assert out.read_bytes() == before
    assert not (tmp_path / "p.parquet").exists()
    assert not [p for p in tmp_path.iterdir() if p.name.startswith("_liner-export")]


def test_export_names_the_first_bad_lines_and_counts_the_rest(tmp_path, liner_in_process):
    src = tmp_path / "run.jsonl"
    src.write_text("\n".join([*_lines(2), *["{oops"] * 50]) + "\n")
    res = liner_in_process(["export", str(src), "-o", str(tmp_path / "o.parquet")])
    assert res.returncode == 1
    skipped = re.findall(rf"{re.escape(str(src))}:(\d+): skipped: ", res.stderr)
    assert skipped == [str(n) for n in range(3, 23)], "the first 20, by line"
    assert f"{src}: 30 more lines skipped" in res.stderr
    assert "wrote 2 rows from 52 lines" in res.stdout


def test_export_into_a_missing_folder_makes_it_and_an_impossible_place_is_named(tmp_path, liner_in_process):
    """QA (session 13): -o in a missing folder, under a file or where nothing may be written ended
    in a FileNotFoundError/NotADirectoryError traceback, exit 1."""
    src = tmp_path / "run.jsonl"
    src.write_text("\n".join(_lines(2)) + "\n")
    deep = tmp_path / "new" / "deeper" / "o.parquet"
    res = liner_in_process(["export", str(src), "-o", str(deep)])
    assert res.returncode == 0, res.stderr
    assert pq.read_table(deep).num_rows == 2
    (tmp_path / "afile").write_text("x")
    for target, says in ((tmp_path / "afile" / "o.parquet", "afile is a file, not a folder"),
                         (Path("/proc/o.parquet"), "/proc/o.parquet: cannot write there")):
        res = liner_in_process(["export", str(src), "-o", str(target)])
        assert res.returncode == 2, res.stderr
        assert says in res.stderr and "Traceback" not in res.stderr, res.stderr


def test_export_writes_parquet_only_where_a_name_says_parquet_and_never_over_another_file(tmp_path, liner_in_process):
    """QA: `liner export run.jsonl -o catalog.jsonl` replaced the catalog with Parquet bytes and
    exited 0 (`-o x.csv` alike); a non-Parquet file named .parquet was replaced too. Each is
    refused before anything is read, exit 2, the file as it was."""
    src = tmp_path / "run.jsonl"
    src.write_text("\n".join(_lines(2)) + "\n")
    catalog = tmp_path / "catalog.jsonl"
    catalog.write_text(json.dumps({"id": "c1", "title": "Song"}) + "\n")
    notes = tmp_path / "notes.parquet"
    notes.write_text("not parquet\n")
    for target, says in ((catalog, "liner export writes Parquet: name the output .parquet"),
                         (tmp_path / "new.csv", "liner export writes Parquet"),
                         (notes, "exists and is not a Parquet file")):
        before = target.read_bytes() if target.exists() else None
        res = liner_in_process(["export", str(src), "-o", str(target)])
        assert res.returncode == 2 and f"{target}: {says}" in res.stderr, res.stderr
        assert (target.read_bytes() if target.exists() else None) == before
    assert liner_in_process(["export", str(src), "-o", str(tmp_path / "ok.parquet")]).returncode == 0


def test_export_of_a_folder_says_so_and_names_what_to_give(tmp_path, liner_in_process):
    """QA: `liner export LOGDIR -o x.parquet` (liner serve's --log-dir, which liner monitor reads
    whole) said 'LOGDIR: no such file'."""
    logs = tmp_path / "logs"
    logs.mkdir()
    res = liner_in_process(["export", str(logs), "-o", str(tmp_path / "o.parquet")])
    assert res.returncode == 2 and f"{logs}: a folder; liner export converts one JSONL output" in res.stderr, res.stderr


def test_an_unfinished_parquet_run_is_named_with_its_journal(tmp_path, liner_in_process):
    """QA: after a kill of 'liner tag -o run.parquet' (the file is written when the run ends) both
    'liner export run.parquet' and 'liner monitor BASE run.parquet' said 'run.parquet: no such
    file' while 342 records sat in run.parquet.journal.jsonl."""
    from linernotes.sinks.parquet import journal_path

    run = tmp_path / "run.parquet"
    journal_path(run).write_text("\n".join(_lines(3)) + "\n")
    base = tmp_path / "base.jsonl"
    base.write_text("\n".join(_lines(3)) + "\n")
    for args in (["export", str(run), "-o", str(tmp_path / "x.parquet")], ["monitor", str(base), str(run)]):
        r = liner_in_process(args)
        assert r.returncode == 2, r.stderr
        assert f"{run}: no such file" in r.stderr and f"the records so far are in {journal_path(run)}" in r.stderr
    missing = liner_in_process(["export", str(tmp_path / "nope.parquet"), "-o", str(tmp_path / "y.parquet")])
    assert missing.returncode == 2 and "no such file\n" in missing.stderr  # no journal: no hint


def test_a_service_logs_bad_items_of_different_requests_are_all_exported(tmp_path):
    """QA: in a liner serve log every request's bad first item is an input error at 'line 1' of
    source 'request' (its place in that request), so export merged them as one input row: 207
    log lines -> 180 rows, exit 0. Each is its own row now, as a file and as part files; a
    repeated id still keeps its last record, as for a run's output."""
    def bad(n: int) -> str:
        return OutputRecord(id="line:1", status="error", error=ErrorInfo(
            kind="input.missing_id", message=f"request {n}: no id", line=1, source="request")).model_dump_json()

    again = OutputRecord(id="i1", status="error", error=ErrorInfo(kind="llm.rate_limit", message="429")).model_dump_json()
    src = tmp_path / "records-2026-12-01.0001.jsonl"
    src.write_text("\n".join([bad(1), *_lines(3), bad(2), bad(3), again]) + "\n")
    ds = tmp_path / "ds"
    ds.mkdir()
    for out, part_rows in ((tmp_path / "log.parquet", 100_000), (ds, 2)):
        res = export_parquet(src, out, part_rows=part_rows)
        t = pq.read_table(out)
        assert res.rows == t.num_rows == 6, (out.name, res.rows)
        messages = sorted(m for m in t.column("error_message").to_pylist() if m and m.startswith("request"))
        assert messages == ["request 1: no id", "request 2: no id", "request 3: no id"]
        kinds = dict(zip(t.column("id").to_pylist(), t.column("error_kind").to_pylist(), strict=False))
        assert kinds["i1"] == "llm.rate_limit"  # the repeated id: its last record


def test_export_never_writes_over_a_liner_tag_runs_parquet_output(tmp_path, liner_in_process):
    """QA: 'liner export e5.jsonl -o tagds/' (tagds/ the -o of a liner tag run: parts + _journal.jsonl)
    replaced the run's 63-row part with 3 unrelated rows, exit 0; rerunning the tag command then
    mixed them in. A run's .parquet file (its journal beside it) alike. Refused, exit 2, untouched."""
    from linernotes.sinks.parquet import journal_path

    src = tmp_path / "run.jsonl"
    src.write_text("\n".join(_lines(2)) + "\n")
    ds = tmp_path / "tagds"
    ds.mkdir()
    single = tmp_path / "tag.parquet"
    for out in (ds, single):
        sink = ParquetSink(out)
        for line in _lines(3):
            sink.write(OutputRecord.model_validate_json(line))
        sink.close()
        before = {p.name: p.read_bytes() for p in tmp_path.rglob("*") if p.is_file()}
        r = liner_in_process(["export", str(src), "-o", str(out) + ("/" if out == ds else "")])
        assert r.returncode == 2, r.stderr
        assert f"is the Parquet output of a liner tag run (its records are in {journal_path(out)})" in r.stderr
        assert {p.name: p.read_bytes() for p in tmp_path.rglob("*") if p.is_file()} == before
