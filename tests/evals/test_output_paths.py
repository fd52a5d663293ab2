"""Where ``liner eval -o`` and ``liner fit -o`` write (found by QA, session 14): eval replaced any
existing file with its record, so ``--data gold.jsonl -o gold.jsonl`` destroyed the gold set (and
``-o spec.yaml`` the spec), and ``-o FOLDER`` failed after the whole eval with
"IsADirectoryError: 'run.tmp' -> 'run'"; fit wrote fusion.json, cv/ and runs/ into any folder
(``-o .``). Now both are refused before anything is read or tagged (exit 2); a run record (a rerun)
and a folder a fit wrote are used as before."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.conftest import run_liner_in_process
from tests.evals.vader_slice import vader_spec


@pytest.fixture()
def world(tmp_path: Path, shared_data: Path) -> Path:
    vader_spec(tmp_path, shared_data, 40)
    return tmp_path


def _eval(d: Path, out: Path) -> object:
    return run_liner_in_process(["eval", d / "v.yaml", "-o", out, "--llm", "never", "--fusion", "none", "--limit",
                                 "12", "--resamples", "0", "--no-progress"])


@pytest.mark.parametrize("target", ["vader.jsonl", "v.yaml", "notes.txt"])
def test_eval_never_replaces_a_file_that_is_not_a_run_record(world: Path, target: str) -> None:
    (world / "notes.txt").write_text("mine\n", encoding="utf-8")
    before = (world / target).read_bytes()
    r = _eval(world, world / target)
    assert r.returncode == 2, r.stdout
    assert f"-o {world / target}: exists and is not a run record of liner eval" in r.stderr
    assert (world / target).read_bytes() == before and not (world / f"{target}.d").exists()


def test_eval_into_a_folder_is_refused_before_tagging_and_a_rerun_replaces_its_record(world: Path) -> None:
    (world / "runs").mkdir()
    r = _eval(world, world / "runs")
    assert r.returncode == 2 and "is a folder; the run record is a file" in r.stderr, r.stderr
    assert list((world / "runs").iterdir()) == []
    assert _eval(world, world / "run.json").returncode == 0
    assert _eval(world, world / "run.json").returncode == 0  # its own record: a rerun
    assert json.loads((world / "run.json").read_text())["spec"] == "v"


def test_fit_into_a_folder_of_other_files_is_refused(world: Path) -> None:
    (world / "mine").mkdir()
    (world / "mine" / "notes.txt").write_text("mine\n", encoding="utf-8")
    assert _eval(world, world / "run.json").returncode == 0
    args = ["fit", world / "v.yaml", "--run", world / "run.json", "--folds", "3", "--pool", "10", "--resamples", "0"]
    r = run_liner_in_process([*args, "-o", world / "mine"])
    assert r.returncode == 2, r.stdout
    assert f"--output: {world / 'mine'} holds other files (notes.txt) and no fusion artifact" in r.stderr
    assert sorted(p.name for p in (world / "mine").iterdir()) == ["notes.txt"]
    assert run_liner_in_process([*args, "-o", world / "fus"]).returncode == 0
    assert run_liner_in_process([*args, "-o", world / "fus"]).returncode == 0  # a folder a fit wrote


def test_a_signals_fit_onto_a_file_or_a_folder_of_other_files_is_refused(tmp_path: Path) -> None:
    # it ended in a traceback after the whole fit: "NotADirectoryError: ... 'FILE/signals'"
    examples = Path(__file__).resolve().parents[2] / "examples" / "signals"
    (tmp_path / "afile").write_text("mine\n", encoding="utf-8")
    (tmp_path / "mine").mkdir()
    (tmp_path / "mine" / "notes.txt").write_text("mine\n", encoding="utf-8")
    for target, said in (("afile", "exists and is not a folder"), ("mine", "holds other files (notes.txt)")):
        r = run_liner_in_process(["fit", examples / "subject.gold.yaml", "--signals", examples / "subject.yaml",
                                  "-o", tmp_path / target, "--folds", "3"])
        assert r.returncode == 2, r.stdout + r.stderr
        assert f"-o {tmp_path / target} {said}" in r.stderr and "Traceback" not in r.stderr, r.stderr
    assert (tmp_path / "afile").read_text() == "mine\n" and sorted(p.name for p in (tmp_path / "mine").iterdir()) == [
        "notes.txt"]


@pytest.mark.parametrize("odd", ["file-as-folder", "folder-as-predictions", "folder-as-inputs"])
def test_eval_refuses_a_run_folder_in_the_way_before_tagging(world: Path, odd: str) -> None:
    """A file where RUN.json.d goes, or a folder where its inputs/predictions go, ended the eval in
    a traceback (FileExistsError, IsADirectoryError), exit 1 (QA qa-fit16)."""
    folder = world / "run.json.d"
    if odd == "file-as-folder":
        folder.write_text("mine\n", encoding="utf-8")
        where, what = folder, "a folder"
    else:
        where = folder / ("predictions.jsonl" if odd == "folder-as-predictions" else "inputs.jsonl")
        where.mkdir(parents=True)
        what = "a regular file"
    r = _eval(world, world / "run.json")
    assert r.returncode == 2, r.stdout + r.stderr
    assert f"liner: error: -o {world / 'run.json'}: {where} is in the way: it should be {what}" in r.stderr, r.stderr
    assert "Traceback" not in r.stderr and not (world / "run.json").exists()
