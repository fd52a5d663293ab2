"""A repeated input id: the output holds ONE record per id (the first occurrence's); each repeat is
an input error (``input.duplicate_id``) keyed ``line:N``, naming the file, its line and the line
of the first occurrence, in the output, the manifest's summary and the stderr summary. Every
reader (JSONL, CSV, Parquet), the parallel runner, and a resume after SIGKILL keep it so."""

from __future__ import annotations

import json
from collections import Counter

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from linernotes.store.catalog import read_catalog
from linernotes.testing.fault_server import FaultServer

# rows in file order; "a" on lines 1, 3 and 6, "b" on 2 and 5
ROWS = [{"id": "a", "title": "First A", "description": "calm piano"},
        {"id": "b", "title": "First B", "description": "loud rock"},
        {"id": "a", "title": "Second A", "description": "x"},
        {"id": "c", "title": "Only C", "description": "jazz trio"},
        {"id": "b", "title": "Second B", "description": "y"},
        {"id": "a", "title": "Third A", "description": "z"}]
REPEATS = {3: 1, 5: 2, 6: 1}  # row -> row of the first occurrence


def repeats(name):
    """``REPEATS`` as the file's own line numbers: a CSV's header is its line 1."""
    shift = 1 if name.endswith(".csv") else 0
    return {line + shift: first + shift for line, first in REPEATS.items()}


def write(path, rows):
    if path.suffix == ".parquet":
        pq.write_table(pa.Table.from_pylist(rows), path)
    elif path.suffix == ".csv":
        cols = ["id", "title", "description"]
        path.write_text(",".join(cols) + "\n" + "".join(",".join(r[c] for c in cols) + "\n" for r in rows))
    else:
        path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    return path


def check_output(records, source_name):
    """One record per id; the repeats as line-keyed input errors naming file, line, first line."""
    ids = Counter(r["id"] for r in records)
    assert all(n == 1 for n in ids.values()), f"an id has several records: {ids}"
    assert {r["id"] for r in records if r["status"] == "ok"} == {"a", "b", "c"}
    dups = {r["error"]["line"]: r for r in records if r["status"] == "error"}
    assert set(dups) == set(repeats(source_name))
    for line, first in repeats(source_name).items():
        rec = dups[line]
        assert rec["id"] == f"line:{line}" and rec["error"]["kind"] == "input.duplicate_id"
        assert rec["error"]["source"].endswith(source_name)
        assert f"line {line} repeats line {first} of " in rec["error"]["message"], rec["error"]["message"]


@pytest.mark.parametrize("name", ["c.jsonl", "c.csv", "c.parquet"])
def test_reader_keeps_the_first_occurrence(tmp_path, name):
    rows = list(read_catalog(write(tmp_path / name, ROWS)))
    good = {r.item.id: r.item.title for r in rows if r.item is not None}
    assert good == {"a": "First A", "b": "First B", "c": "Only C"}
    assert {r.line: r.first_line for r in rows if r.error is not None} == repeats(name)
    assert all(r.raw_id is None and r.key == f"line:{r.line}" for r in rows if r.error is not None)


@pytest.mark.parametrize("name,workers", [("c.jsonl", "1"), ("c.csv", "2"), ("c.parquet", "1")])
def test_liner_tag_writes_one_record_per_id(tmp_path, liner_in_process, name, workers):
    catalog = write(tmp_path / name, ROWS)
    out = tmp_path / "out.jsonl"
    r = liner_in_process(["tag", catalog, "-o", out, "--llm", "never", "--no-progress", "--workers", workers])
    assert r.returncode == 1, r.stderr  # bad input rows: exit 1, as for any input error
    check_output([json.loads(x) for x in out.read_text().splitlines()], name)
    line, first = min(repeats(name).items())
    # the first such row by catalog, line and the id of its record (the id 'a' is the first row's);
    # spaces left out of the comparison: the console may break the long catalog path anywhere
    said = f"input.duplicate_id (3): {catalog}:{line} id 'line:{line}': duplicate id 'a': line {line} repeats line {first} of"
    assert "".join(said.split()) in "".join(r.stderr.split())
    summary = json.loads(out.with_name("out.jsonl.manifest.json").read_text())["summary"]
    assert summary["errors_by_kind"] == {"input.duplicate_id": 3} and summary["ok"] == 3


@pytest.mark.slow
def test_beam_runner_writes_one_record_per_id_and_dead_letters_the_repeats(tmp_path, liner_in_process):
    catalog = write(tmp_path / "c.jsonl", ROWS)
    out = tmp_path / "out.jsonl"
    r = liner_in_process(["tag", catalog, "-o", out, "--llm", "never", "--no-progress", "--runner", "beam"])
    assert r.returncode == 1, r.stderr
    check_output([json.loads(x) for x in out.read_text().splitlines()], "c.jsonl")
    dead = [json.loads(x) for x in out.with_name("out.jsonl.dead-letter.jsonl").read_text().splitlines()]
    assert sorted(x["id"] for x in dead) == ["line:3", "line:5", "line:6"]


@pytest.fixture(scope="module")
def slow_server():
    """Plain answers after 50-100 ms, so a kill lands mid-run."""
    with FaultServer(latency_s=(0.05, 0.1)) as srv:
        yield srv


@pytest.mark.slow
def test_kill_mid_run_then_resume_keeps_one_record_per_id(tmp_path, forkcli, slow_server, helpers):
    """SIGKILL after a few lines, resume: each id once (ok), every repeat still reported once, no
    id tagged twice."""
    rows = [{"id": f"k{i % 12:02d}", "title": f"Song {i}", "artist": "Dup Test"} for i in range(18)]  # 6 repeats
    catalog = helpers.write_jsonl(tmp_path / "c.jsonl", rows)
    out = tmp_path / "out.jsonl"
    args = ["tag", catalog, "-o", out, *helpers.stub_args(slow_server, "--concurrency", "2")]
    env = helpers.env(tmp_path / "cache")
    first = forkcli.run(args, tmp_path / "log", env, kill_at_line=4, watch=out)
    assert first.killed, "the run finished before the kill"
    final = forkcli.run(args, tmp_path / "log", env)
    assert final.rc == 1 and "Traceback" not in final.stderr, final.stderr
    records = helpers.read_output(out)
    ids = Counter(r["id"] for r in records)
    assert all(n == 1 for n in ids.values()), ids
    assert sorted(r["id"] for r in records if r["status"] == "ok") == [f"k{i:02d}" for i in range(12)]
    dups = sorted(r["error"]["line"] for r in records if r["status"] == "error")
    assert dups == list(range(13, 19)) and all(r["error"]["kind"] == "input.duplicate_id"
                                               for r in records if r["status"] == "error")
    assert "input.duplicate_id (6)" in final.stderr


def test_a_repeat_of_a_bad_row_or_a_bad_repeat_never_gives_the_id_a_second_record(tmp_path):
    """Found by T8: a first row with a valid id but a bad field, then a good row with that id,
    gave two records under the id (an error and an ok); a bad later row of a tagged id was an
    ``input.invalid`` under the id rather than a repeat. The first row holds the id either way."""
    lines = [{"id": "x", "title": "first x", "year": "nineteen"},   # bad year: holds 'x'
             {"id": "x", "title": "second x"},                      # a repeat of line 1
             {"id": "y", "title": "first y"},
             {"id": "y", "title": "second y", "year": "nineteen"},  # a repeat of line 3
             {"id": 7, "title": "seven", "year": "nineteen"},
             {"id": "7", "title": "seven again"}]                   # 7 and "7" are one id
    path = tmp_path / "c.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in lines))
    rows = list(read_catalog(path))
    assert [(r.key, r.raw_id, r.error.kind if r.error else None, r.first_line) for r in rows] == [
        ("line:1", "x", "input.invalid", None), ("line:2", None, "input.duplicate_id", 1),
        ("y", "y", None, None), ("line:4", None, "input.duplicate_id", 3),
        ("line:5", "7", "input.invalid", None), ("line:6", None, "input.duplicate_id", 5)]


def test_a_row_whose_id_is_unusable_is_written_under_its_line(tmp_path):
    """Found by T8: an id that is not one (1.0, true, "", "NA", a list) was written as its text,
    so ``{"id": 1.0}`` and ``{"id": "1.0"}`` gave two records under ``'1.0'`` and two blank ids two
    under ``''``. Such a row is written under ``line:N`` and its message names the value."""
    lines = [{"id": 1.0, "title": "float"}, {"id": "1.0", "title": "string"},
             {"id": True, "title": "bool"}, {"id": "True", "title": "string"},
             {"id": "", "title": "blank"}, {"id": "", "title": "blank again"},
             {"id": "NA", "title": "marker"}, {"id": [1], "title": "list"}, {"id": "[1]", "title": "string"}]
    path = tmp_path / "c.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in lines))
    rows = list(read_catalog(path))
    assert {r.item.id for r in rows if r.item is not None} == {"1.0", "True", "[1]"}
    bad = {r.line: r for r in rows if r.error is not None}
    assert sorted(bad) == [1, 3, 5, 6, 7, 8]
    assert all(r.raw_id is None and r.key == f"line:{r.line}" for r in bad.values())
    assert "1.0" in bad[1].error.message and "float" in bad[1].error.message
