"""A folder where a command reads a file is named as a folder, exit 2, one line. Before:
``liner fit SPEC --run DIR`` ended in an IsADirectoryError traceback (exit 1), ``liner eval
DIR.yaml`` said 'no such spec file' of a folder that exists, and ``liner gate DIR DIR`` said
'cannot read run record (Is a directory)'."""

from __future__ import annotations

import pytest

from tests.conftest import run_liner_in_process

pytestmark = pytest.mark.timeout(120)


@pytest.mark.parametrize("args,name", [
    (["fit", "vader-valence", "-o", "fit-out", "--run", "run.json"], "run.json"),
    (["eval", "spec.yaml", "-o", "r.json"], "spec.yaml"),
    (["gate", "run.json", "run.json"], "run.json"),
], ids=["fit --run", "eval SPEC", "gate"])
def test_a_folder_given_as_a_file_is_named_as_one(args, name, tmp_path):
    (tmp_path / name).mkdir()
    r = run_liner_in_process(args, cwd=tmp_path)
    assert r.returncode == 2, r.stderr[-2000:]
    assert r.stderr.strip().splitlines()[-1].endswith(f"{name}: is a folder, not a regular file: a "
                                                      f"{'gold spec is a YAML' if name.endswith('yaml') else 'run record is a JSON'} file"), r.stderr
    assert "Traceback" not in r.stderr


def test_a_missing_spec_file_is_still_called_missing(tmp_path):
    r = run_liner_in_process(["eval", "nope.yaml", "-o", "r.json"], cwd=tmp_path)
    assert r.returncode == 2 and "nope.yaml: no such spec file" in r.stderr, r.stderr
