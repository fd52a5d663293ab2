"""``liner review export -o`` at a path that cannot hold a gold directory is exit 2 naming the path,
never a traceback; a file already named like a version never blocks the next one.

Before: ``-o`` naming an existing file was ``FileExistsError`` (traceback, exit 1), a file ``v1``
in the gold dir made the publishing rename fail with ``NotADirectoryError`` after the rows were
written, and a folder named ``.export.lock`` was ``IsADirectoryError``.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.review.conftest import GOLD_ROWS

CLI = [sys.executable, "-m", "linernotes.cli.app", "review"]


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    tmp = tmp_path_factory.mktemp("export-targets")
    gold = tmp / "gold.jsonl"
    gold.write_text("".join(json.dumps(r) + "\n" for r in GOLD_ROWS), encoding="utf-8")
    path = tmp / "review.sqlite"
    subprocess.run([*CLI, "build", "-o", str(path), "--gold", str(gold)], check=True, capture_output=True)
    return path


def _export(store: Path, out: Path) -> subprocess.CompletedProcess:
    return subprocess.run([*CLI, "export", "--store", str(store), "-o", str(out)], capture_output=True, text=True)


@pytest.mark.parametrize("make", ["file", "under-a-file", "lock-is-a-folder"])
def test_an_unusable_gold_dir_is_exit_2_naming_it(store, tmp_path, make):
    target = tmp_path / "gold"
    named = target
    if make == "file":
        target.write_text("not a folder\n")
    elif make == "under-a-file":
        (tmp_path / "plain").write_text("x\n")
        target = named = tmp_path / "plain" / "gold"
    else:
        (target / ".export.lock").mkdir(parents=True)
        named = target / ".export.lock"
    r = _export(store, target)
    assert r.returncode == 2, r.stderr
    assert "Traceback" not in r.stderr
    assert r.stderr.startswith(f"liner review: error: {named}: "), r.stderr
    if target.is_dir():
        assert not [p for p in target.iterdir() if p.name != ".export.lock"]  # nothing half-published


@pytest.mark.parametrize("taken", ["v1", "v3"])
def test_a_file_named_like_a_version_is_skipped_not_overwritten(store, tmp_path, taken):
    gold = tmp_path / "gold"
    gold.mkdir()
    (gold / taken).write_text("someone's notes\n")
    r = _export(store, gold)
    number = int(taken[1:]) + 1
    assert r.returncode == 0, r.stderr
    assert f"wrote {gold / f'v{number}'}: 6 rows" in r.stdout
    assert (gold / taken).read_text() == "someone's notes\n"
    assert json.loads((gold / f"v{number}" / "provenance.json").read_text())["rows"] == 6
    assert sorted(p.name for p in gold.iterdir() if not p.name.startswith(".")) == sorted([taken, f"v{number}"])
