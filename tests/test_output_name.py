"""An output named as another format is refused before anything is written (QA, session 13):
``-o out.jsonl.gz`` wrote plain JSON lines under a .gz name (``zcat`` and liner's own .gz reader
then failed on it), ``-o out.csv`` JSON lines under a .csv name, both exit 0. Beam's text sink
compresses by suffix, so ``--runner beam -o out.jsonl.gz`` stays allowed."""

from __future__ import annotations

import gzip
import json

import pytest

NEVER = ["--llm", "never", "--no-progress"]


@pytest.fixture
def catalog(tmp_path):
    p = tmp_path / "c.jsonl"
    p.write_text(json.dumps({"id": "a", "title": "Song", "description": "calm piano"}) + "\n")
    return p


@pytest.mark.parametrize("name,says", [("out.jsonl.gz", "compress it after the run"),
                                       ("out.csv", "not .csv"), ("OUT.TSV", "not .tsv"), ("out.xlsx", "not .xlsx")])
@pytest.mark.parametrize("extra", [[], ["--dry-run"], ["--workers", "2"]], ids=["local", "dry-run", "workers"])
def test_an_output_named_as_another_format_is_refused(tmp_path, catalog, liner_in_process, name, says, extra):
    r = liner_in_process(["tag", catalog, "-o", tmp_path / name, *NEVER, *extra])
    assert r.returncode == 2, r.stderr
    assert f"{tmp_path / name}: " in r.stderr and says in " ".join(r.stderr.split()), r.stderr
    assert sorted(x.name for x in tmp_path.iterdir()) == ["c.jsonl"], "nothing written"


def test_beam_writes_a_gz_output_compressed(tmp_path, catalog, liner_in_process):
    out = tmp_path / "out.jsonl.gz"
    r = liner_in_process(["tag", catalog, "-o", out, *NEVER, "--runner", "beam",
                          "--pipeline-option", "--direct_num_workers=1"])
    assert r.returncode == 0, r.stderr[-1500:]
    assert [json.loads(x)["id"] for x in gzip.decompress(out.read_bytes()).splitlines()] == ["a"]


@pytest.mark.parametrize("name", ["", ".", "./", " ", "sub/ "])
@pytest.mark.parametrize("extra", [[], ["--workers", "2"]], ids=["local", "workers"])
def test_an_output_that_names_no_file_is_refused_with_its_reason(tmp_path, catalog, liner_in_process, name, extra):
    # '-o ""' (an unset variable), '-o .' read "liner: error: PosixPath('.') has an empty name";
    # '-o " "' wrote records to a file named by a space
    r = liner_in_process(["tag", catalog, "-o", name, *NEVER, *extra], cwd=tmp_path)
    assert r.returncode == 2, r.stderr
    assert "names no file" in r.stderr and "PosixPath" not in r.stderr, r.stderr
    assert len(r.stderr.strip().splitlines()) == 1, r.stderr
    assert sorted(x.name for x in tmp_path.iterdir()) == ["c.jsonl"], "nothing written"
