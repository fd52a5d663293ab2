"""``liner fit`` options: a --pool-size outside (0, 1] is exit 2 naming the option and the reason
before anything is tagged (found by T8: the error read only ``1 validation error for FitOptions``);
the model card's command reruns the same fit."""

from __future__ import annotations

import pytest


@pytest.mark.parametrize("value", ["0", "2", "-0.5", "nan"])
def test_a_pool_size_outside_0_1_is_exit_2_naming_the_option(tmp_path, liner_in_process, value):
    r = liner_in_process(["fit", "bandcamp-genres", "--limit", "60", "--folds", "3", "--model", "openai/stub",
                          "--api-base", "http://127.0.0.1:9/v1", "-o", str(tmp_path / "fus"), "--pool-size", value])
    assert r.returncode == 2, r.stderr
    assert "--pool-size: " in r.stderr and "fractions of an index in (0, 1]" in r.stderr, r.stderr
    assert not (tmp_path / "fus").exists()


def test_a_pool_size_that_is_not_a_number_is_exit_2_naming_the_option(tmp_path, liner_in_process):
    r = liner_in_process(["fit", "bandcamp-genres", "-o", str(tmp_path / "fus"), "--pool-size", "abc"])
    assert r.returncode == 2 and "--pool-size" in r.stderr, r.stderr


def test_the_card_command_reruns_the_same_fit():
    """Found by T8: the model card's command dropped --data, --api-base and --resamples, so
    rerunning it fitted the spec's default gold file against another endpoint."""
    import shlex

    import typer

    from linernotes.cli.app import app
    from linernotes.cli.fit_cmd import _command

    given = dict(specs=["bandcamp-genres"], output="/tmp/fus", limit=60, seed=3, pool=300, negatives=["x"],
                 run=None, folds=3, model="openai/stub", pool_size=[1.0, 0.25], data="my gold.jsonl",
                 api_base="http://127.0.0.1:9/v1", resamples=50)
    args = shlex.split(_command(**given))
    assert args[:2] == ["liner", "fit"]
    fit = typer.main.get_command(app).commands["fit"]
    params = fit.make_context("fit", args[2:]).params
    assert str(params["data"]) == "my gold.jsonl" and params["api_base"] == "http://127.0.0.1:9/v1"
    assert (params["resamples"], params["limit"], params["seed"], params["folds"], params["pool"]) == (50, 60, 3, 3, 300)
    assert params["pool_size"] == [1.0, 0.25] and params["negatives"] == ["x"]


def test_a_missing_run_record_is_exit_2_before_anything_is_tagged(tmp_path, liner_in_process):
    """``--run nope.json`` (no record, no ``nope.json.d`` folder) was read as an empty run in
    progress, so the fit tagged the whole sample again (new-user test: still tagging after 120 s)."""
    r = liner_in_process(["fit", "ci-slice", "--model", "openai/stub", "--api-base", "http://127.0.0.1:9/v1",
                          "-o", str(tmp_path / "fus"), "--run", str(tmp_path / "nope.json")])
    assert r.returncode == 2, r.stderr
    assert f"--run: no such run record (nor its .d folder): {tmp_path / 'nope.json'}" in r.stderr, r.stderr
    assert not (tmp_path / "fus").exists()


def test_an_output_that_is_a_file_is_exit_2_not_a_traceback(tmp_path, liner_in_process):
    """``-o catalog.jsonl`` (an existing file) ended in a FileExistsError traceback, exit 1."""
    out = tmp_path / "catalog.jsonl"
    out.write_text("{}\n")
    r = liner_in_process(["fit", "ci-slice", "--model", "openai/stub", "--api-base", "http://127.0.0.1:9/v1",
                          "-o", str(out)])
    assert r.returncode == 2 and "Traceback" not in r.stderr, r.stderr
    assert f"--output: {out} exists and is not a folder" in r.stderr, r.stderr
    assert out.read_text() == "{}\n"
