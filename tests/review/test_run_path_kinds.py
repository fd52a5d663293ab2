"""``liner review build|stats --run PATH`` names a folder as a folder: a folder named ``RUN.json``
said "cannot read the run record (Is a directory)" (the raw OSError text), and one named
``out.jsonl`` was called "a Parquet output without its journal". Exit 2, one line, as ``liner gate``
and ``liner fit --run`` already name it; a real run record in a file still builds."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.conftest import REPO, run_liner_in_process

pytestmark = pytest.mark.timeout(120)


def _one_line_error(r) -> str:
    assert r.returncode == 2, (r.returncode, r.stderr[-2000:])
    lines = [line for line in r.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and "Traceback" not in r.stderr, r.stderr
    assert "Is a directory" not in lines[0] and "Errno" not in lines[0], lines[0]
    return lines[0]


@pytest.mark.parametrize(("name", "said"), [
    ("RUN.json", "is a folder, not a regular file: a run record is a JSON file"),
    ("out.jsonl", "is a folder, and not a Parquet output folder of liner tag"),
], ids=["run-record-name", "tag-output-name"])
@pytest.mark.parametrize("command", [["review", "build", "-o", "store.sqlite"], ["review", "stats"]],
                         ids=["build", "stats"])
def test_a_folder_given_as_run_is_named_a_folder(tmp_path, command, name, said):
    folder = tmp_path / name
    folder.mkdir()
    line = _one_line_error(run_liner_in_process([*command, "--run", str(folder)], cwd=tmp_path))
    assert f"{folder}: {said}" in line
    assert not (tmp_path / "store.sqlite").exists()


def test_a_fifo_named_like_a_run_record_is_refused_without_waiting(tmp_path):
    fifo = tmp_path / "RUN.json"
    os.mkfifo(fifo)
    line = _one_line_error(run_liner_in_process(["review", "stats", "--run", str(fifo)], cwd=tmp_path))
    assert "FIFO" in line


def test_a_run_record_file_still_builds(tmp_path):
    r = run_liner_in_process(["review", "build", "-o", str(tmp_path / "store.sqlite"), "--run",
                              str(REPO / "evals" / "baselines" / "ci-slice.json")], cwd=tmp_path)
    assert r.returncode == 0, r.stderr[-2000:]
    assert Path(tmp_path / "store.sqlite").is_file()


@pytest.mark.parametrize("command", [["review", "stats", "-s"], ["review", "export", "-o", "gold", "-s"],
                                     ["review", "build", "--run", str(REPO / "evals" / "baselines" / "ci-slice.json"),
                                      "-o"]], ids=["stats", "export", "build"])
@pytest.mark.parametrize("kind", ["folder", "fifo"])
def test_a_store_path_that_is_not_a_file_is_named_for_what_it_is(tmp_path, command, kind):
    """--store/-s (and build's -o): a folder or FIFO said 'not a file, so not a review store'."""
    store = tmp_path / "review.sqlite"
    store.mkdir() if kind == "folder" else os.mkfifo(store)
    line = _one_line_error(run_liner_in_process([*command, str(store)], cwd=tmp_path))
    said = "is a folder" if kind == "folder" else "is a FIFO (named pipe)"
    assert f"{store}: {said}, not a regular file: a review store is a SQLite file" in line
    assert not (tmp_path / "gold").exists()
