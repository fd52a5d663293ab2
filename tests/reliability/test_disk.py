"""Disk full and unwritable output: exit 2 with one clear line, never a partial output line, and a
rerun after space is back resumes to a complete output. Uses a real tmpfs of a few KB when this
machine lets us mount one (root), else a file-size rlimit on the CLI process (EFBIG)."""

from __future__ import annotations

import contextlib
import os
import subprocess
from pathlib import Path

import pytest

ITEMS = 40


class SmallDisk:
    """A folder where writes fail after ``size`` bytes; ``grow()`` gives the space back."""

    def __init__(self, root: Path, size: int):
        self.dir = root / "disk"
        self.dir.mkdir()
        self.size = size
        self.tmpfs = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(self.dir)],
                                    capture_output=True).returncode == 0
        self.fsize: int | None = None if self.tmpfs else size

    def grow(self) -> None:
        if self.tmpfs:
            subprocess.run(["mount", "-o", "remount,size=16m", str(self.dir)], check=True)
        self.fsize = None

    def close(self) -> None:
        if self.tmpfs:
            subprocess.run(["umount", "-l", str(self.dir)], capture_output=True)


@pytest.fixture
def small_disk(tmp_path):
    disk = SmallDisk(tmp_path, 48 * 1024)
    yield disk
    disk.close()


def catalog(tmp_path: Path, helpers) -> tuple[Path, set[str]]:
    ids = {f"disk-{i:03d}" for i in range(ITEMS)}
    rows = [{"id": i, "title": f"Song {i}", "description": "slow dub techno with tape hiss"} for i in sorted(ids)]
    return helpers.write_jsonl(tmp_path / "c.jsonl", rows), ids


def one_clear_line(stderr: str) -> str:
    lines = [ln for ln in stderr.splitlines() if ln.strip()]
    assert "Traceback" not in stderr
    assert len(lines) == 1 and lines[0].startswith("liner: error:"), stderr
    return lines[0]


def test_disk_full_mid_run_stops_cleanly_and_resumes_when_space_is_back(tmp_path, small_disk, forkcli,
                                                                       fault_server, helpers):
    cat, ids = catalog(tmp_path, helpers)
    out = small_disk.dir / "out.jsonl"
    args = ["tag", cat, "-o", out, *helpers.stub_args(fault_server, "--concurrency", "4")]
    env = helpers.env(tmp_path / "cache")  # the response cache lives on a disk with room
    res = forkcli.run(args, tmp_path / "log1", env, fsize=small_disk.fsize)
    assert res.rc == 2
    line = one_clear_line(res.stderr)
    assert str(out) in line and "rerun" in line
    partial = helpers.read_output(out)  # parses line by line: no partial last line
    assert 0 < len(partial) < ITEMS

    small_disk.grow()
    res = forkcli.run(args, tmp_path / "log2", env)
    assert res.rc == 0, res.stderr
    got = [r["id"] for r in helpers.read_output(out)]
    assert sorted(got) == sorted(ids), "complete, no duplicates, nothing lost"


def test_full_disk_before_the_first_line_is_a_clear_error(tmp_path, small_disk, forkcli, fault_server, helpers):
    cat, ids = catalog(tmp_path, helpers)
    out = small_disk.dir / "out.jsonl"
    filler = small_disk.dir / "filler"
    if small_disk.tmpfs:
        with open(filler, "wb") as fh, contextlib.suppress(OSError):
            fh.write(b"\0" * (small_disk.size * 2))
    else:
        small_disk.fsize = 1
    args = ["tag", cat, "-o", out, *helpers.stub_args(fault_server)]
    res = forkcli.run(args, tmp_path / "log1", helpers.env(tmp_path / "cache"), fsize=small_disk.fsize)
    assert res.rc == 2
    one_clear_line(res.stderr)
    assert not out.exists() or helpers.read_output(out) == []
    filler.unlink(missing_ok=True)
    small_disk.grow()
    res = forkcli.run(args, tmp_path / "log2", helpers.env(tmp_path / "cache"))
    assert res.rc == 0, res.stderr
    assert sorted(r["id"] for r in helpers.read_output(out)) == sorted(ids)


def test_cache_on_the_full_disk_does_not_turn_items_into_errors(tmp_path, small_disk, forkcli, fault_server,
                                                                helpers):
    """The response cache is an optimisation: when it cannot be written the item still succeeds
    (an error record would be skipped by resume, i.e. lost)."""
    cat, ids = catalog(tmp_path, helpers)
    out = tmp_path / "out.jsonl"  # the output has room; only the cache's disk is full
    args = ["tag", cat, "-o", out, *helpers.stub_args(fault_server, "--concurrency", "4")]
    res = forkcli.run(args, tmp_path / "log", helpers.env(small_disk.dir / "cache"), fsize=None)
    if not small_disk.tmpfs:
        pytest.skip("needs a mountable tmpfs (an rlimit would also stop the output)")
    assert "Traceback" not in res.stderr
    records = helpers.read_output(out)
    assert sorted(r["id"] for r in records) == sorted(ids)
    assert [r for r in records if r["status"] != "ok"] == []
    assert res.rc == 0


def test_output_under_a_regular_file_is_a_clear_error(tmp_path, forkcli, fault_server, helpers):
    cat, _ = catalog(tmp_path, helpers)
    blocker = tmp_path / "not-a-dir"
    blocker.write_text("x")
    res = forkcli.run(["tag", cat, "-o", blocker / "out.jsonl", *helpers.stub_args(fault_server)], tmp_path,
                      helpers.env(tmp_path / "cache"))
    assert res.rc == 2
    assert "out.jsonl" in one_clear_line(res.stderr)


def test_read_only_output_folder_is_a_clear_error(tmp_path, forkcli, fault_server, helpers):
    cat, _ = catalog(tmp_path, helpers)
    ro = tmp_path / "ro"
    ro.mkdir()
    if subprocess.run(["mount", "--bind", str(ro), str(ro)], capture_output=True).returncode != 0:
        pytest.skip("cannot bind-mount here (root can write through chmod, so a ro mount is the only test)")
    try:
        subprocess.run(["mount", "-o", "remount,ro,bind", str(ro)], check=True)
        res = forkcli.run(["tag", cat, "-o", ro / "out.jsonl", *helpers.stub_args(fault_server)], tmp_path,
                          helpers.env(tmp_path / "cache"))
    finally:
        subprocess.run(["umount", "-l", str(ro)], capture_output=True)
    assert res.rc == 2
    assert "out.jsonl" in one_clear_line(res.stderr)
    assert not os.path.exists(ro / "out.jsonl")
