"""``liner monitor`` over a run with many lines that are not output records (a catalog appended
to a log by mistake): the first lines are named, the rest counted, on stderr as in the report, and
the verdict says how much of the input was left out."""

from __future__ import annotations

import json

from linernotes.schema import OutputRecord


def _records(n: int) -> list[str]:
    return [OutputRecord(id=f"r{i}", status="error", error={"kind": "input.invalid", "message": "m"}).model_dump_json()
            for i in range(n)]


def test_thousands_of_bad_lines_are_named_then_counted_not_printed_whole(tmp_path, liner_in_process):
    """QA: a log with 3,000 catalog rows after 22 records printed 3,000 'skipped' lines on stderr
    (liner export names 20, then counts the rest), and the report's verdict read '**OK**: no
    threshold crossed' with no word that 99% of the input was left out."""
    base = tmp_path / "base.jsonl"
    base.write_text("\n".join(_records(30)) + "\n")
    cur = tmp_path / "cur.jsonl"
    rows = [json.dumps({"id": f"c{i}", "title": "t"}) for i in range(3000)]
    cur.write_text("\n".join([*_records(22), *rows]) + "\n")
    r = liner_in_process(["monitor", str(base), str(cur)])
    skipped = [line for line in r.stderr.splitlines() if ": skipped: " in line]
    assert r.returncode in (0, 1), r.stderr
    assert len(skipped) == 20 and skipped[0].startswith(f"liner monitor: {cur}:23: skipped: not an output record")
    assert f"{cur}: 2,980 more lines skipped" in r.stderr
    verdict = r.stdout.splitlines()[2]
    assert "not output records: 3,000 of 3,022 lines of the current run" in verdict, verdict


def test_a_folder_holding_a_beam_run_counts_its_error_records_once(tmp_path):
    """QA: 'liner monitor BASE out/' where out/ held a --runner beam run (run.jsonl and
    run.jsonl.dead-letter.jsonl, which repeats its error records) read 20 records for 16 rows and
    an error rate of 0.40 for 0.25: every error counted twice."""
    from linernotes.monitor.load import load_output

    out = tmp_path / "out"
    out.mkdir()
    records = _records(16)
    (out / "run.jsonl").write_text("\n".join(records) + "\n")
    (out / "run.jsonl.dead-letter.jsonl").write_text("\n".join(records[:4]) + "\n")  # its error records again
    loaded = load_output(out)
    assert loaded.table.num_rows == 16 and [f.rsplit("/", 1)[-1] for f in loaded.files] == ["run.jsonl"]
