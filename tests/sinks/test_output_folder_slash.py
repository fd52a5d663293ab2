"""``-o DIR/`` (a trailing separator) writes a Parquet dataset folder, made when missing (QA,
session 13): the CLI turned the option into a ``Path``, which drops the separator that alone
said "a folder", so ``liner tag c.jsonl -o parts/`` wrote a JSONL file named ``parts`` and
``liner export run.jsonl -o parts/`` a single Parquet file named ``parts``."""

from __future__ import annotations

import json

import pyarrow.parquet as pq

NEVER = ["--llm", "never", "--no-progress"]


def _catalog(tmp_path):
    p = tmp_path / "c.jsonl"
    p.write_text("".join(json.dumps({"id": f"r{i}", "title": f"Song {i}", "description": "calm"}) + "\n"
                         for i in range(3)))
    return p


def test_tag_into_a_new_folder_written_with_a_slash_writes_parquet_parts(tmp_path, liner_in_process):
    out = tmp_path / "parts"
    r = liner_in_process(["tag", _catalog(tmp_path), "-o", f"{out}/", *NEVER])
    assert r.returncode == 0, r.stderr
    assert out.is_dir() and list(out.glob("part-*.parquet"))
    assert sorted(pq.read_table(out).column("id").to_pylist()) == ["r0", "r1", "r2"]


def test_a_dry_run_creates_nothing(tmp_path, liner_in_process):
    r = liner_in_process(["tag", _catalog(tmp_path), "-o", f"{tmp_path / 'parts'}/", *NEVER, "--dry-run"])
    assert r.returncode == 0, r.stderr
    assert not (tmp_path / "parts").exists()


def test_export_into_a_new_folder_written_with_a_slash(tmp_path, liner_in_process):
    out = tmp_path / "o.jsonl"
    assert liner_in_process(["tag", _catalog(tmp_path), "-o", out, *NEVER]).returncode == 0
    folder = tmp_path / "exported"
    r = liner_in_process(["export", out, "-o", f"{folder}/"])
    assert r.returncode == 0, r.stderr
    assert folder.is_dir() and pq.read_table(folder).num_rows == 3


def test_a_slash_after_a_file_is_refused(tmp_path, liner_in_process):
    (tmp_path / "taken").write_text("x")
    r = liner_in_process(["tag", _catalog(tmp_path), "-o", f"{tmp_path / 'taken'}/", *NEVER])
    assert r.returncode == 2 and "cannot create the dataset folder" in r.stderr, r.stderr
    assert (tmp_path / "taken").read_text() == "x"
