"""The export lock of a gold dir is opened without following a symlink (found by QA): a gold dir
from someone else holding ``.export.lock -> ~/notes.txt`` had notes.txt truncated and overwritten
with the export's pid, and the export went on. Now: exit 2 naming the lock, the target untouched;
a FIFO there is refused without blocking; a regular lock file left by a killed export is reused."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from linernotes.review.build import build_store
from tests.conftest import run_liner_in_process
from tests.review.conftest import vader_row


@pytest.fixture
def store(tmp_path: Path) -> Path:
    (tmp_path / "g.jsonl").write_text(json.dumps(vader_row("a", [-4, 4, -4, 4])) + "\n", encoding="utf-8")
    build_store(tmp_path / "s.sqlite", gold=tmp_path / "g.jsonl")
    return tmp_path / "s.sqlite"


def _export(store: Path, gold_dir: Path):
    return run_liner_in_process(["review", "export", "--store", store, "-o", gold_dir])


def test_a_symlinked_lock_is_refused_and_its_target_untouched(store: Path, tmp_path: Path) -> None:
    victim = tmp_path / "notes.txt"
    victim.write_text("precious\n", encoding="utf-8")
    gold_dir = tmp_path / "gold"
    gold_dir.mkdir()
    (gold_dir / ".export.lock").symlink_to(victim)
    r = _export(store, gold_dir)
    assert r.returncode == 2 and ".export.lock: cannot open the export lock (a symlink; remove it)" in r.stderr, r.stderr
    assert victim.read_text(encoding="utf-8") == "precious\n"
    assert not (gold_dir / "v1").exists()


def test_a_fifo_lock_is_refused_without_blocking(store: Path, tmp_path: Path) -> None:
    gold_dir = tmp_path / "gold"
    gold_dir.mkdir()
    os.mkfifo(gold_dir / ".export.lock")
    r = _export(store, gold_dir)
    assert r.returncode == 2 and "the export lock is not a regular file" in r.stderr, r.stderr


def test_a_lock_file_left_by_a_killed_export_is_reused(store: Path, tmp_path: Path) -> None:
    gold_dir = tmp_path / "gold"
    gold_dir.mkdir()
    (gold_dir / ".export.lock").write_text("12345", encoding="utf-8")
    r = _export(store, gold_dir)
    assert r.returncode == 0, r.stderr
    assert (gold_dir / "v1").is_dir()
