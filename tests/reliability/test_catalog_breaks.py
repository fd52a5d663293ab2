"""Whole-file catalog problems stop a run cleanly (QA, session 13).

- A CSV header problem (a misspelt ``--drop``, a column named twice) was found at the first row,
  inside the run: the local runner had already written an empty output and a manifest saying
  "complete"; Beam printed its worker's traceback before the error.
- A ``.jsonl.gz`` cut short ended in click's bare 'Aborted!' (gzip's EOFError), exit 1, with the
  manifest saying "complete"."""

from __future__ import annotations

import gzip
import json

from linernotes.run.prepare import manifest_path

NEVER = ["--llm", "never", "--no-progress"]


def _csv(tmp_path):
    p = tmp_path / "c.csv"
    p.write_text("track_id,title,gold_genre\nt1,Song,rock\n")
    return p


def test_a_misspelt_drop_writes_nothing(tmp_path, liner_in_process):
    r = liner_in_process(["tag", _csv(tmp_path), "-o", tmp_path / "out.jsonl", *NEVER,
                          "--map", "id=track_id", "--drop", "gold_genres"])
    assert r.returncode == 2, r.stderr
    assert "--drop gold_genres: no such column" in r.stderr
    assert sorted(x.name for x in tmp_path.iterdir()) == ["c.csv"]


def test_beam_refuses_a_header_problem_before_the_pipeline(tmp_path, liner_in_process):
    r = liner_in_process(["tag", _csv(tmp_path), "-o", tmp_path / "out.jsonl", *NEVER, "--runner", "beam",
                          "--map", "id=track_id", "--drop", "gold_genres"])
    assert r.returncode == 2, r.stderr
    assert "--drop gold_genres: no such column" in r.stderr
    assert "Traceback" not in r.stderr and "while running" not in r.stderr, r.stderr


def test_a_gzip_cut_short_stops_with_its_line_and_resumes(tmp_path, liner_in_process):
    rows = "".join(json.dumps({"id": f"z{i}", "title": f"Song {i}", "description": f"calm {i * 7919}"}) + "\n"
                   for i in range(400))
    whole = gzip.compress(rows.encode())
    catalog, out = tmp_path / "c.jsonl.gz", tmp_path / "out.jsonl"
    catalog.write_bytes(whole[: len(whole) * 2 // 3])
    r = liner_in_process(["tag", catalog, "-o", out, *NEVER])
    assert r.returncode == 2, r.stderr
    said = " ".join(r.stderr.split())
    assert f"{catalog}: unreadable after line " in said and "cut short or corrupt" in said, said
    assert json.loads(manifest_path(out).read_text())["status"] == "failed"
    got = [json.loads(x)["id"] for x in out.read_text().splitlines()]
    assert got and len(got) < 400

    catalog.write_bytes(whole)  # the whole file copied again: the rerun finishes it
    r = liner_in_process(["tag", catalog, "-o", out, *NEVER])
    assert r.returncode == 0, r.stderr
    assert sorted(json.loads(x)["id"] for x in out.read_text().splitlines()) == sorted(f"z{i}" for i in range(400))


def test_a_parquet_file_damaged_mid_file_is_named(tmp_path, liner_in_process):
    """Same kind, Parquet: a damaged page read 'liner: error: Corrupt snappy compressed data.',
    naming neither the file nor where."""
    import hashlib

    import pyarrow as pa
    import pyarrow.parquet as pq

    n = 4000
    catalog = tmp_path / "c.parquet"
    pq.write_table(pa.table({"id": [f"q{i}" for i in range(n)], "title": ["Song"] * n,
                             "description": [hashlib.sha256(str(i).encode()).hexdigest() for i in range(n)]}),
                   catalog, row_group_size=1000, compression="snappy")
    data = bytearray(catalog.read_bytes())
    middle = len(data) // 2
    data[middle:middle + 2000] = b"\xab" * 2000
    catalog.write_bytes(bytes(data))
    out = tmp_path / "out.jsonl"
    r = liner_in_process(["tag", catalog, "-o", out, *NEVER])
    assert r.returncode == 2, r.stderr
    said = " ".join(r.stderr.split())
    assert f"{catalog}: unreadable after row " in said and "the rows before it were read" in said, said
    assert json.loads(manifest_path(out).read_text())["status"] == "failed"
