"""Hostile catalog files through the real CLI: every bad row becomes an error record naming its
line/row and the reason, every good row is processed, whole-file problems exit 2 with one line,
and no traceback ever reaches the user. Small files live in tests/corpus/catalog/; big and binary
ones (10 MB field, 100k-deep JSON, Parquet with a wrong schema) are generated here."""

from __future__ import annotations

import json
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

CORPUS = Path(__file__).resolve().parents[1] / "corpus" / "catalog"

# file -> (good ids, {line: error kind}); lines are 1-based physical lines (rows for Parquet)
ROW_CASES: dict[str, tuple[set[str], dict[int, str]]] = {
    "bom.jsonl": ({"bom-1", "bom-2"}, {}),
    "invalid-utf8.jsonl": ({"u-1", "u-3"}, {2: "input.encoding"}),
    "nul-bytes.jsonl": ({"n-1", "n-4"}, {2: "input.invalid", 3: "input.invalid_json"}),
    "wrong-types.jsonl": ({"wt-good", "wt-nan", "wt-good-2"}, {
        1: "input.invalid", 2: "input.invalid", 3: "input.invalid", 5: "input.invalid", 6: "input.invalid",
        7: "input.missing_id", 8: "input.not_an_object", 9: "input.not_an_object", 10: "input.invalid",
        11: "input.invalid"}),
    "empty-and-duplicate-ids.jsonl": ({"dup-a", "dup-b", "dup-c"}, {
        2: "input.missing_id", 3: "input.missing_id", 5: "input.duplicate_id", 6: "input.missing_id"}),
    "truncated-last-line.jsonl": ({"t-1", "t-2"}, {3: "input.invalid_json"}),
    "lone-surrogate.jsonl": ({"s-1", "s-4"}, {2: "input.invalid", 3: "input.invalid"}),
    "ragged.csv": ({"c-1", "c-4", "c-6"}, {3: "input.ragged_row", 4: "input.ragged_row", 6: "input.encoding"}),
    "bom-header.tsv": ({"t-1"}, {3: "input.invalid"}),
    "big-field.jsonl": ({"big-ok-1", "big-ok-2"}, {2: "input.invalid"}),
    "deep-100k.jsonl": ({"deep-after"}, {1: "input.invalid_json"}),
    "deep-900.jsonl": ({"deep-ok"}, {2: "input.invalid"}),
    "surrogate-key.jsonl": ({"sk-ok"}, {2: "input.invalid"}),
    "no-id.parquet": (set(), {1: "input.missing_id", 2: "input.missing_id"}),
    "id-struct.parquet": (set(), {1: "input.invalid", 2: "input.invalid"}),
    "mixed-types.parquet": ({"p1"}, {2: "input.invalid"}),
    # a number past json's 4,300-digit limit aborted the run (exit 2, no file or line)
    "big-number.jsonl": ({"bn-1", "bn-3"}, {2: "input.invalid_json", 4: "input.invalid_json"}),
    # UTF-16 was an error per line; a bare CR in an LF file joined two rows into one error
    "utf16-le-bom.jsonl": ({"w-1", "w-2"}, {}),
    "utf16-be-mixed-eol.tsv": ({"x-1", "x-2", "x-3"}, {}),
    "mixed-eol.jsonl": ({"e-1", "e-2", "e-3"}, {4: "input.invalid_json"}),
    # a key twice in one object: json kept the last without a word (the row was tagged as 'dk-x')
    "duplicate-keys.jsonl": ({"dk-1", "dk-3"}, {2: "input.invalid_json", 4: "input.invalid_json"}),
}

# file -> a phrase the one-line error must contain
FILE_CASES: dict[str, str] = {
    "empty.jsonl": "empty",
    "a-directory.jsonl": "directory",
    "catalog.xml": "unknown catalog format",
    "not-parquet.parquet": "not a readable Parquet file",
    "missing.jsonl": "no such file",
    "header-only-bad.csv": "not valid UTF-8",
}


@pytest.fixture(scope="module")
def corpus(tmp_path_factory) -> Path:
    """The committed corpus plus the generated big/binary files, in one folder."""
    d = tmp_path_factory.mktemp("corpus")
    for p in CORPUS.iterdir():
        (d / p.name).write_bytes(p.read_bytes())
    ok = {"title": "Fine", "description": "calm ambient"}
    (d / "big-field.jsonl").write_text(
        json.dumps({"id": "big-ok-1", **ok}) + "\n" + json.dumps({"id": "big", "lyrics": "la " * 3_500_000}) + "\n"
        + json.dumps({"id": "big-ok-2", **ok}) + "\n")  # a 10 MB field
    (d / "deep-100k.jsonl").write_text('{"id": "deep", "x": ' + "[" * 100_000 + "]" * 100_000 + "}\n"
                                       + json.dumps({"id": "deep-after", **ok}) + "\n")
    (d / "deep-900.jsonl").write_text(json.dumps({"id": "deep-ok", **ok}) + "\n"
                                      + '{"id": "deep", "x": ' + "[" * 900 + "]" * 900 + "}\n")
    (d / "surrogate-key.jsonl").write_text(json.dumps({"id": "sk-ok", **ok}) + "\n"
                                           + '{"id": "sk", "bad\\udc80key": "v"}\n')
    pq.write_table(pa.table({"title": ["a", "b"], "year": [1999, 2000]}), d / "no-id.parquet")
    pq.write_table(pa.table({"id": [{"a": 1}, {"a": 2}], "title": ["a", "b"]}), d / "id-struct.parquet")
    pq.write_table(pa.table({"id": ["p1", "p2"], "title": ["fine", None], "language": [None, "x" * 200_000]}),
                   d / "mixed-types.parquet")
    (d / "big-number.jsonl").write_text(json.dumps({"id": "bn-1", **ok}) + "\n" + '{"id": 1' + "0" * 5000 + "}\n"
                                        + json.dumps({"id": "bn-3", **ok}) + "\n"
                                        + '{"id": "bn-4", "extra": {"n": [-' + "9" * 4301 + "]}}\n")
    (d / "utf16-le-bom.jsonl").write_bytes("\ufeff".encode("utf-16-le") + "".join(
        json.dumps({"id": f"w-{i}", "title": "Forró", **ok}, ensure_ascii=False) + "\r\n" for i in (1, 2)).encode("utf-16-le"))
    (d / "utf16-be-mixed-eol.tsv").write_bytes("id\ttitle\tdescription\rx-1\tA\tcalm ambient\nx-2\tB\tcalm ambient\r\n"
                                               "x-3\tC\tcalm ambient\r".encode("utf-16-be"))
    (d / "mixed-eol.jsonl").write_text(json.dumps({"id": "e-1", **ok}) + "\r" + json.dumps({"id": "e-2", **ok}) + "\n"
                                       + json.dumps({"id": "e-3", **ok}) + "\r\n" + '{"id": "e-4",\r\n', newline="")
    (d / "duplicate-keys.jsonl").write_text(json.dumps({"id": "dk-1", **ok}) + "\n"
                                            + '{"id": "dk-2", "title": "a", "id": "dk-x"}\n'
                                            + json.dumps({"id": "dk-3", **ok}) + "\n"
                                            + '{"id": "dk-4", "extra": {"n": 1, "n": 2}}\n')
    (d / "empty.jsonl").write_bytes(b"")
    (d / "a-directory.jsonl").mkdir()
    (d / "not-parquet.parquet").write_bytes(b"PAR1" + bytes(range(256)) * 4)
    (d / "header-only-bad.csv").write_bytes(b"id,ti\xfftle\nx,y\n")
    return d


@pytest.mark.parametrize("name", sorted(ROW_CASES))
def test_bad_rows_become_error_records_and_good_rows_are_processed(name, corpus, tmp_path, forkcli, fault_server,
                                                                   helpers):
    good, errors = ROW_CASES[name]
    out = tmp_path / "out.jsonl"
    res = forkcli.run(["tag", corpus / name, "-o", out, *helpers.stub_args(fault_server)], tmp_path,
                      helpers.env(tmp_path))
    assert "Traceback" not in res.stderr + res.stdout
    assert res.rc == (1 if errors else 0), res.stderr
    records = helpers.read_output(out)
    assert len(records) == len(good) + len(errors), "one output line per input row"
    assert {r["id"] for r in records if r["status"] == "ok"} == good
    bad = {r["error"]["line"]: r["error"] for r in records if r["status"] == "error"}
    assert {line: e["kind"] for line, e in bad.items()} == errors
    for e in bad.values():
        assert e["message"] and e["source"].endswith(name), "the error names the file and the reason"
    rerun = forkcli.run(["tag", corpus / name, "-o", out, *helpers.stub_args(fault_server)], tmp_path,
                        helpers.env(tmp_path))
    after = helpers.read_output(out)
    # resume retries the error rows: they fail the same way, so the exit code and the records
    # (one per row: id, status, error kind and line) are exactly those of the first run
    assert "Traceback" not in rerun.stderr
    assert rerun.rc == (1 if errors else 0), rerun.stderr
    assert sorted(map(_outcome, after)) == sorted(map(_outcome, records))


def _outcome(rec: dict) -> tuple:
    err = rec["error"] or {}
    return rec["id"], rec["status"], err.get("kind"), err.get("line")


def test_a_repaired_row_is_ok_on_the_rerun_and_the_rerun_exits_0(corpus, tmp_path, forkcli, fault_server, helpers):
    """Made up, same kind: the cut last line is completed between the runs; the rerun must report
    success (exit 0) and leave exactly one ok record per row."""
    catalog = tmp_path / "catalog.jsonl"
    catalog.write_bytes((corpus / "truncated-last-line.jsonl").read_bytes())
    out = tmp_path / "out.jsonl"
    first = forkcli.run(["tag", catalog, "-o", out, *helpers.stub_args(fault_server)], tmp_path, helpers.env(tmp_path))
    assert first.rc == 1, first.stderr
    lines = catalog.read_text(encoding="utf-8").splitlines()
    lines[2] = json.dumps({"id": "t-3", "title": "cut short no more", "description": "a calm ambient piece"})
    catalog.write_text("\n".join(lines) + "\n", encoding="utf-8")
    rerun = forkcli.run(["tag", catalog, "-o", out, *helpers.stub_args(fault_server)], tmp_path, helpers.env(tmp_path))
    assert rerun.rc == 0, rerun.stderr
    records = helpers.read_output(out)
    assert sorted((r["id"], r["status"]) for r in records) == [("t-1", "ok"), ("t-2", "ok"), ("t-3", "ok")]


@pytest.mark.parametrize("name", sorted(FILE_CASES))
def test_unreadable_files_exit_2_with_one_clear_line(name, corpus, tmp_path, forkcli, fault_server, helpers):
    out = tmp_path / "out.jsonl"
    res = forkcli.run(["tag", corpus / name, "-o", out, *helpers.stub_args(fault_server)], tmp_path,
                      helpers.env(tmp_path))
    assert res.rc == 2
    assert "Traceback" not in res.stderr
    lines = [ln for ln in res.stderr.splitlines() if ln.strip()]
    assert len(lines) == 1 and lines[0].startswith("liner: error:"), res.stderr
    assert name in lines[0] and FILE_CASES[name] in lines[0]
    assert not out.exists() or out.read_bytes() == b""
