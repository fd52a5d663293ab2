"""Issue 13 item 5: a corrupt, empty or foreign store file is exit 2 with a one-line reason in
serve, build and export (never a traceback, never an empty gold version)."""

from __future__ import annotations

import os
import shutil
import sqlite3
from pathlib import Path

import pytest

from linernotes.review.store import ReviewStore, StoreError


def _corrupt(path: Path) -> None:
    path.write_bytes(b"this is not a database\n" * 200)


def _empty(path: Path) -> None:
    path.write_bytes(b"")


def _truncated(path: Path, good: Path) -> None:
    data = good.read_bytes()
    path.write_bytes(data[: len(data) // 3])


def _damaged_pages(path: Path, good: Path) -> None:
    data = bytearray(good.read_bytes())
    page = int.from_bytes(data[16:18], "big")
    for n in range(1, len(data) // page):  # keep the header page, scribble over every other page
        data[n * page: n * page + 64] = os.urandom(64)
    path.write_bytes(bytes(data))


def _foreign(path: Path) -> None:
    con = sqlite3.connect(path)
    con.execute("CREATE TABLE songs (id INTEGER PRIMARY KEY, title TEXT)")
    con.commit()
    con.close()


def _checkpointed_copy(built_store: Path, dst: Path) -> Path:
    con = sqlite3.connect(built_store)
    con.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    con.close()
    shutil.copy(built_store, dst)
    return dst


BAD = ["corrupt", "empty", "truncated", "damaged", "foreign"]
REASON = {"corrupt": "not a SQLite database", "empty": "empty file (0 bytes)", "truncated": "corrupt",
          "damaged": "corrupt", "foreign": "something else"}


@pytest.fixture
def bad_store(request, tmp_path, built_store) -> tuple[Path, str]:
    kind = request.param
    path = tmp_path / f"{kind}.sqlite"
    good = _checkpointed_copy(built_store, tmp_path / "good-copy.sqlite")
    {"corrupt": lambda: _corrupt(path), "empty": lambda: _empty(path), "truncated": lambda: _truncated(path, good),
     "damaged": lambda: _damaged_pages(path, good), "foreign": lambda: _foreign(path)}[kind]()
    return path, kind


@pytest.mark.parametrize("bad_store", BAD, indirect=True)
def test_bad_store_is_a_store_error_naming_file_and_reason(bad_store):
    path, kind = bad_store
    before = path.read_bytes()
    with pytest.raises(StoreError) as err:
        ReviewStore(path)
    msg = str(err.value)
    assert str(path) in msg and REASON[kind] in msg and "\n" not in msg
    assert path.read_bytes() == before  # refusing never rewrites the file


@pytest.mark.slow
@pytest.mark.parametrize("bad_store", ["corrupt", "empty", "damaged"], indirect=True)
@pytest.mark.parametrize("command", ["serve", "build", "export"])
def test_cli_exits_2_with_one_line(liner, liner_in_process, tmp_path, bad_store, command, gold_file, tag_output):
    path, kind = bad_store
    args = {"serve": ["review", "serve", "--store", str(path), "--port", "1"],
            "build": ["review", "build", "--run", str(tag_output), "--gold", str(gold_file), "-o", str(path)],
            "export": ["review", "export", "--store", str(path), "-o", str(tmp_path / "gold")]}[command]
    # serve in a real process (a regression would start listening); build and export in process
    r = (liner if command == "serve" else liner_in_process)(args, timeout=120)
    assert r.returncode == 2, (r.stdout, r.stderr)
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("liner review: error:") and REASON[kind] in lines[0]
    assert "Traceback" not in r.stderr and not (tmp_path / "gold").exists()


def _no_tables(path: Path) -> None:
    con = sqlite3.connect(path)
    con.execute("PRAGMA user_version = 3")  # a valid SQLite file of one page, no table
    con.commit()
    con.close()


@pytest.mark.parametrize("command", ["serve", "export"])
def test_a_sqlite_file_without_tables_is_refused_not_made_a_store(liner_in_process, tmp_path, command):
    """Another input of item 5's kind: it was given the review schema, and export wrote a v1 of
    0 rows (exit 0). ``build`` may still create a store in it."""
    path = tmp_path / "blank.sqlite"
    _no_tables(path)
    before = path.read_bytes()
    with pytest.raises(StoreError, match="an empty SQLite database \\(no tables\\), not a review store"):
        ReviewStore(path)
    assert path.read_bytes() == before
    if command == "export":
        r = liner_in_process(["review", "export", "--store", str(path), "-o", str(tmp_path / "gold")], timeout=120)
        assert r.returncode == 2 and "no tables" in r.stderr and not (tmp_path / "gold").exists()
    ReviewStore(path, create=True)  # what build does


def test_a_store_a_build_left_unfilled_exports_nothing(liner_in_process, tmp_path):
    """A build stopped after creating the store and before its one loading transaction leaves the
    schema only: export said 'wrote v1: 0 rows', exit 0, an empty gold version."""
    path = tmp_path / "unfinished.sqlite"
    ReviewStore(path, create=True)
    r = liner_in_process(["review", "export", "--store", str(path), "-o", str(tmp_path / "gold")], timeout=120)
    assert r.returncode == 2, r.stdout + r.stderr
    assert "holds no gold rows and no items" in r.stderr and "build it again" in r.stderr
    assert not (tmp_path / "gold" / "v1").exists()
