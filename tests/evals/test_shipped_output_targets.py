"""Every command that writes a run, record, report, store or gold version refuses a target inside
data the package ships (``files.refuse_shipped``) unless ``--overwrite-shipped``, as ``liner fit``
and ``liner index build`` already did: ``liner eval -o evals/baselines/ci-slice.json`` replaced the
baseline the CI gate compares against, without a word. Exit 2, one line naming the option, the
path and the flag, nothing written. The check is pointed at a stand-in folder in tmp_path (through
a symlink, so real paths are compared): nothing here may write into the real shipped folders."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tests.conftest import REPO, run_liner_in_process

pytestmark = pytest.mark.timeout(300)

BASELINE = REPO / "evals" / "baselines" / "ci-slice.json"
EXAMPLE = REPO / "examples" / "catalog.jsonl"


@pytest.fixture
def shipped(tmp_path, monkeypatch) -> Path:
    """A stand-in for the package's evals/baselines holding a copy of the shipped baseline record,
    reached through a symlink ``tmp_path/link``; returns the symlink."""
    import linernotes.files

    real = tmp_path / "site" / "linernotes" / "evals" / "baselines"
    real.mkdir(parents=True)
    shutil.copyfile(BASELINE, real / "ci-slice.json")
    (tmp_path / "link").symlink_to(real)
    monkeypatch.setattr(linernotes.files, "shipped_dirs", lambda: [real.resolve()])
    return tmp_path / "link"


@pytest.fixture(scope="module")
def tagged(tmp_path_factory) -> Path:
    """A small liner tag output (2 items, --llm never) for monitor and export."""
    out = tmp_path_factory.mktemp("tagged") / "out.jsonl"
    r = run_liner_in_process(["tag", str(EXAMPLE), "-o", str(out), "--limit", "2", "--llm", "never", "--no-progress"])
    assert r.returncode == 0, r.stderr[-2000:]
    return out


def _refused(r, option: str, target: Path, shipped: Path) -> None:
    assert r.returncode == 2, (r.returncode, r.stderr[-2000:])
    lines = [line for line in r.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and "Traceback" not in r.stderr, r.stderr[-2000:]
    assert f"{option} {target}: is inside {shipped.resolve()}" in lines[0] and "--overwrite-shipped" in lines[0]
    assert sorted(p.name for p in shipped.resolve().iterdir()) == ["ci-slice.json"]
    assert (shipped / "ci-slice.json").read_bytes() == BASELINE.read_bytes()


def test_eval_output_onto_a_shipped_baseline_is_refused(shipped, tmp_path):
    target = shipped / "ci-slice.json"
    r = run_liner_in_process(["eval", "ci-slice", "-o", str(target), "--llm", "never", "--no-progress",
                              "--resamples", "0"], cwd=tmp_path)
    _refused(r, "-o", target, shipped)


@pytest.mark.parametrize("option", ["--report", "--html"])
def test_eval_and_gate_reports_inside_shipped_data_are_refused(shipped, tmp_path, option):
    target = shipped / "summary.md"
    r = run_liner_in_process(["gate", str(BASELINE), str(BASELINE), option, str(target), "--resamples", "100"],
                             cwd=tmp_path)
    _refused(r, option, target, shipped)
    r = run_liner_in_process(["eval", "ci-slice", "-o", str(tmp_path / "run.json"), option, str(target),
                              "--llm", "never", "--no-progress", "--resamples", "0"], cwd=tmp_path)
    _refused(r, option, target, shipped)


def test_gate_report_with_overwrite_shipped_is_written(shipped, tmp_path):
    target = shipped / "summary.md"
    r = run_liner_in_process(["gate", str(BASELINE), str(BASELINE), "--report", str(target), "--resamples", "100",
                              "--overwrite-shipped"], cwd=tmp_path)
    assert r.returncode == 0, r.stderr[-2000:]
    assert target.read_text(encoding="utf-8").strip()


@pytest.mark.parametrize("option", ["--report", "--html"])
def test_monitor_reports_inside_shipped_data_are_refused(shipped, tmp_path, tagged, option):
    target = shipped / "monitor.out"
    r = run_liner_in_process(["monitor", str(tagged), str(tagged), option, str(target)], cwd=tmp_path)
    _refused(r, option, target, shipped)


def test_tag_and_export_outputs_inside_shipped_data_are_refused(shipped, tmp_path, tagged):
    target = shipped / "out.jsonl"
    r = run_liner_in_process(["tag", str(EXAMPLE), "-o", str(target), "--limit", "1", "--llm", "never",
                              "--no-progress"], cwd=tmp_path)
    _refused(r, "-o", target, shipped)
    folder = shipped / "parts"
    r = run_liner_in_process(["tag", str(EXAMPLE), "-o", f"{folder}/", "--limit", "1", "--llm", "never",
                              "--no-progress"], cwd=tmp_path)
    _refused(r, "-o", folder, shipped)  # and the dataset folder is not made either
    target = shipped / "out.parquet"
    r = run_liner_in_process(["export", str(tagged), "-o", str(target)], cwd=tmp_path)
    _refused(r, "-o", target, shipped)


def test_review_build_and_export_inside_shipped_data_are_refused(shipped, tmp_path):
    target = shipped / "review.sqlite"
    r = run_liner_in_process(["review", "build", "-o", str(target), "--run", str(BASELINE)], cwd=tmp_path)
    _refused(r, "-o", target, shipped)
    store = tmp_path / "review.sqlite"
    r = run_liner_in_process(["review", "build", "-o", str(store), "--run", str(BASELINE)], cwd=tmp_path)
    assert r.returncode == 0, r.stderr[-2000:]
    target = shipped / "gold"
    r = run_liner_in_process(["review", "export", "-o", str(target), "-s", str(store)], cwd=tmp_path)
    _refused(r, "-o", target, shipped)


class _NotListening(Exception):
    """Fault injection: raised where liner serve would bind its port, so a check that should come
    first shows by coming first, and a missing one cannot start a server in the test."""


def test_serve_log_dir_inside_shipped_data_is_refused_before_binding(shipped, monkeypatch):
    import linernotes.service.server as server
    from linernotes.config import TagConfig
    from linernotes.service.app import ServiceOptions
    from linernotes.store.records import OutputError

    def not_listening(*_args, **_kwargs):
        raise _NotListening

    monkeypatch.setattr(server, "listen_socket", not_listening)
    target = shipped / "logs"
    with pytest.raises(OutputError, match=rf"--log-dir {target}: is inside .*--overwrite-shipped"):
        server.serve(TagConfig(), options=ServiceOptions(log_dir=target))
    assert not target.exists()
    with pytest.raises(_NotListening):  # the flag lets it through to the bind
        server.serve(TagConfig(), options=ServiceOptions(log_dir=target, overwrite_shipped=True))
