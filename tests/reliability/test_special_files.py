"""Paths that are not regular files: a FIFO, a character device (/dev/zero, /dev/full), reached
directly or through a symlink. ``liner tag -o /dev/full`` read the device back for resume as one
endless line (10 GB of memory in 18 s, then the OOM killer) after making /dev/full.lock; ``-o
FIFO`` and a FIFO catalog blocked in open() for good (SIGTERM could not end it); ``liner monitor
RUN /dev/zero`` and ``--thresholds /dev/zero`` died of MemoryError (exit 1); ``liner export
/dev/zero`` said 'no such file'. Each is now refused before it is opened, exit 2, naming the
path and what it is."""

from __future__ import annotations

import os
import re
import resource
import subprocess
import sys
from pathlib import Path

import pytest

from linernotes.monitor.load import MonitorInputError, load_output
from linernotes.monitor.thresholds import load_thresholds
from linernotes.store.catalog import CatalogError, estimate_rows, read_catalog
from linernotes.store.records import OutputError, OutputLock, lock_path

ROW = '{"id": "a", "title": "Song", "description": "calm piano"}\n'


@pytest.fixture(params=["fifo", "dev-zero", "dev-full"])
def special(request, tmp_path) -> tuple[Path, str]:
    """A path in tmp_path that is a FIFO or a symlink to a character device, and its kind."""
    p = tmp_path / "special.jsonl"
    if request.param == "fifo":
        os.mkfifo(p)
        return p, "a FIFO (named pipe)"
    p.symlink_to("/dev/zero" if request.param == "dev-zero" else "/dev/full")
    return p, "a character device"


def _liner(args: list[str], tmp: Path, timeout: float = 120) -> subprocess.CompletedProcess:
    """The real CLI with its address space capped at 3 GB: before the fix -o /dev/zero grew without bound."""
    def cap() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (3 << 30, 3 << 30))

    env = {**os.environ, "LINER_CACHE_DIR": str(tmp / "cache"), "LITELLM_LOCAL_MODEL_COST_MAP": "True"}
    return subprocess.run([sys.executable, "-m", "linernotes.cli.app", *map(str, args)], env=env, cwd=tmp,
                          capture_output=True, text=True, timeout=timeout, preexec_fn=cap)


def test_the_output_lock_refuses_a_special_output_before_making_its_lock_file(special):
    path, kind = special
    with pytest.raises(OutputError, match=re.escape(f"special.jsonl: is {kind}, not a regular file: a run appends")):
        OutputLock(path).acquire()
    assert not lock_path(path).exists()


@pytest.mark.slow
def test_liner_tag_into_a_special_output_exits_2_with_one_line(special, tmp_path):
    path, kind = special
    catalog = tmp_path / "c.jsonl"
    catalog.write_text(ROW)
    r = _liner(["tag", catalog, "-o", path, "--llm", "never", "--no-progress"], tmp_path)
    assert r.returncode == 2, r.stderr[-2000:]
    assert r.stderr.strip().splitlines() == [f"liner: error: {path}: is {kind}, not a regular file: a run appends "
                                             "its records to -o and reads them back to resume; write to a file"]
    assert not lock_path(path).exists()


def test_a_special_catalog_is_refused_and_never_opened(special):
    path, kind = special
    assert estimate_rows(path) is None  # a FIFO blocked here, before read_catalog could refuse it
    with pytest.raises(CatalogError, match=re.escape(f"special.jsonl: is {kind}, not a regular file")):
        read_catalog(path)


@pytest.mark.slow
def test_liner_tag_of_a_fifo_catalog_exits_2(tmp_path):
    fifo = tmp_path / "c.jsonl"
    os.mkfifo(fifo)
    r = _liner(["tag", fifo, "-o", tmp_path / "out.jsonl", "--llm", "never", "--no-progress"], tmp_path, timeout=60)
    assert r.returncode == 2 and "c.jsonl: is a FIFO (named pipe), not a regular file" in r.stderr, r.stderr[-2000:]


def test_the_monitor_refuses_a_special_run_or_thresholds_file(special, tmp_path):
    path, kind = special
    with pytest.raises(MonitorInputError, match=re.escape(f"special.jsonl: is {kind}, not a regular file")):
        load_output(path)
    with pytest.raises(MonitorInputError, match=re.escape(f"special.jsonl: is {kind}, not a regular file: give a YAML file")):
        load_thresholds(path)


def test_export_names_a_special_source_for_what_it_is(special, tmp_path):
    from linernotes.sinks.export import export_parquet

    path, kind = special
    with pytest.raises(OutputError, match=re.escape(f"special.jsonl: is {kind}, not a regular file")):
        export_parquet(path, tmp_path / "out.parquet")


def test_regular_files_and_folders_pass(tmp_path):
    from linernotes.files import special_kind

    (tmp_path / "f").write_text("x")
    (tmp_path / "link").symlink_to(tmp_path / "f")
    assert [special_kind(tmp_path / n) for n in ("f", "link", ".", "missing")] == [None, None, None, None]


def test_a_fusion_a_gates_file_and_a_taxonomy_that_are_special_files_are_refused(special):
    """The same kind in three more readers: ``--fusion /dev/zero`` and ``liner gate --config
    /dev/zero`` died of MemoryError (exit 1), ``--taxonomy /dev/zero`` said 'not found'; a FIFO
    blocked them for good. In process: the loaders raise before opening."""
    from linernotes.evals.gate import GateError, load_rules
    from linernotes.fusion.artifact import FusionError, load_fusion
    from linernotes.tools.retrieval.taxonomy import load_taxonomy

    path, kind = special
    for load, error in ((load_fusion, FusionError), (load_rules, GateError), (load_taxonomy, ValueError)):
        with pytest.raises(error, match=re.escape(f"{path}: is {kind}, not a regular file")):
            load(str(path))


def test_liner_tag_with_a_special_fusion_exits_2(tmp_path):
    (tmp_path / "c.jsonl").write_text(ROW, encoding="utf-8")
    r = _liner(["tag", "c.jsonl", "-o", "o.jsonl", "--llm", "never", "--fusion", "/dev/zero"], tmp_path)
    assert r.returncode == 2, r.stderr[-1500:]
    assert "/dev/zero: is a character device, not a regular file" in r.stderr and "Traceback" not in r.stderr
