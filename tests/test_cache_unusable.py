"""A response cache the run cannot open is named in the run's summary: the run goes on uncached and
loses nothing (``llm.client``), but a user who asked for ``--cache-path X`` learns that X was not
used and why, instead of a silent "served from cache 0" and a rerun that pays again. Real CLI, the
STUB as the LLM endpoint (a test double), real SQLite files."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from linernotes.llm.cache import ResponseCache, cache_problem

NOTE = "response cache not used"


@pytest.fixture(scope="module")
def stub():
    from linernotes.testing.openai_stub import StubServer

    with StubServer(latency_ms=0) as s:
        yield s


def _tag(liner_in_process, stub, tmp_path: Path, cache: Path, out: str):
    cat = tmp_path / "cat.jsonl"
    cat.write_text("".join(json.dumps({"id": f"t{i}", "title": f"Song {i}", "description": "a warm techno track"})
                           + "\n" for i in range(3)))
    return liner_in_process(["tag", cat, "-o", tmp_path / out, "--model", "openai/stub", "--api-base", stub.base_url,
                             "--llm", "always", "--cache-path", cache],
                            env={"OPENAI_API_KEY": "sk-stub-not-a-key", "LINER_CACHE_DIR": str(tmp_path / "c")})


def _not_a_database(tmp: Path) -> Path:
    p = tmp / "garbage.sqlite"
    p.write_bytes(os.urandom(4096))
    return p


def _sqlite_header_then_garbage(tmp: Path) -> Path:
    p = tmp / "torn.sqlite"
    p.write_bytes(b"SQLite format 3\x00" + os.urandom(300))
    return p


def _a_folder(tmp: Path) -> Path:
    (tmp / "folder.sqlite").mkdir()
    return tmp / "folder.sqlite"


def _under_a_file(tmp: Path) -> Path:
    (tmp / "plain").write_text("x")
    return tmp / "plain" / "cache.sqlite"


@pytest.mark.slow  # real CLI runs that build the tool runtime
@pytest.mark.parametrize("make", [_not_a_database, _sqlite_header_then_garbage, _a_folder, _under_a_file])
def test_a_cache_the_run_cannot_use_is_named_in_the_summary_and_the_items_still_tagged(
        tmp_path: Path, liner_in_process, stub, make) -> None:
    cache = make(tmp_path)
    before = cache.read_bytes() if cache.is_file() else None
    r = _tag(liner_in_process, stub, tmp_path, cache, "o.jsonl")
    assert r.returncode == 0, r.stderr
    text = " ".join((r.stdout + r.stderr).split())
    # the console wraps long lines anywhere, a path too: compare it with every space taken out
    assert NOTE in text and str(cache) in "".join(text.split()), text[-800:]
    assert [json.loads(x)["status"] for x in (tmp_path / "o.jsonl").read_text().splitlines()] == ["ok"] * 3
    if before is not None:
        assert cache.read_bytes() == before, "a file that is not a cache is never written over"


@pytest.mark.slow
def test_a_usable_cache_gets_no_note_and_serves_the_rerun(tmp_path: Path, liner_in_process, stub) -> None:
    cache = tmp_path / "fresh" / "cache.sqlite"
    first = _tag(liner_in_process, stub, tmp_path, cache, "a.jsonl")
    second = _tag(liner_in_process, stub, tmp_path, cache, "b.jsonl")
    assert first.returncode == second.returncode == 0
    assert NOTE not in first.stdout + first.stderr + second.stdout + second.stderr
    assert "all LLM answers came from the cache" in " ".join((second.stdout + second.stderr).split())


def test_cache_problem_says_why_and_leaves_a_good_cache_usable(tmp_path: Path) -> None:
    assert "file is not a database" in cache_problem(_not_a_database(tmp_path))
    assert cache_problem(_a_folder(tmp_path)).startswith(str(tmp_path / "folder.sqlite") + ": ")
    good = tmp_path / "good.sqlite"
    ResponseCache(good).put("k", {"v": 1})
    assert cache_problem(good) is None
    assert ResponseCache(good).get("k") == {"v": 1}
