"""A ``--workers`` pool's startup: what its workers inherit from the forkserver instead of
building again (the shipped fusion artifact and prompt, parsed once per process; a heap the
forkserver froze, so a worker's own collection before its ``gc.freeze`` walks only what it built)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from linernotes.agents.runtime import load_prompt, open_fusion
from linernotes.fusion.artifact import default_fusion_dir


def test_a_second_runtime_shares_the_loaded_fusion_artifact() -> None:
    if not (default_fusion_dir() / "fusion.json").is_file():
        pytest.skip("no shipped fusion artifact in this checkout")
    first = open_fusion("default")
    assert first is not None
    assert open_fusion("default") is first


def test_a_rewritten_fusion_file_is_loaded_again(tmp_path: Path) -> None:
    if not (default_fusion_dir() / "fusion.json").is_file():
        pytest.skip("no shipped fusion artifact in this checkout")
    folder = tmp_path / "fusion"
    folder.mkdir()
    shutil.copy(default_fusion_dir() / "fusion.json", folder / "fusion.json")
    first = open_fusion(str(folder))
    assert open_fusion(str(folder)) is first
    st = (folder / "fusion.json").stat()
    os.utime(folder / "fusion.json", ns=(st.st_atime_ns, st.st_mtime_ns + 1_000_000_000))
    again = open_fusion(str(folder))
    assert again is not first
    assert again.content_hash == first.content_hash


def test_a_prompt_is_parsed_once_per_text(tmp_path: Path) -> None:
    assert load_prompt("extract.v2") is load_prompt("extract.v2")
    p = tmp_path / "mine.md"
    p.write_text(Path(load_prompt.__code__.co_filename).parent.joinpath("prompts", "extract.v2.md").read_text())
    mine = load_prompt(str(p))
    assert mine is load_prompt(str(p))
    p.write_text(p.read_text() + "\nONE MORE LINE {{ item.type }}\n")
    edited = load_prompt(str(p))
    assert edited is not mine and edited.hash != mine.hash


def test_a_bad_prompt_is_refused_every_time(tmp_path: Path) -> None:
    from linernotes.agents.runtime import PromptError

    p = tmp_path / "bad.md"
    p.write_text("system\n---\nno item here\n")
    for _ in range(2):
        with pytest.raises(PromptError, match="never shows the item"):
            load_prompt(str(p))


@pytest.mark.slow
def test_the_forkserver_heap_is_frozen_after_the_warm_up() -> None:
    """``run.warm`` (the forkserver's last preload) leaves its heap frozen: a forked worker's
    ``gc.collect()`` then skips the imports, indexes and models (0.18 s of CPU per worker)."""
    code = "import gc, linernotes.run.warm; print(gc.get_freeze_count())"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120,
                         env={**os.environ, "LITELLM_LOCAL_MODEL_COST_MAP": "True"})
    assert out.returncode == 0, out.stderr
    assert int(out.stdout.split()[-1]) > 100_000


@pytest.mark.slow
def test_the_forkserver_warm_up_builds_what_a_first_call_would() -> None:
    """``run.warm`` also builds what a worker's first LLM call builds before its request (the
    HTTP transport's aiohttp import, LiteLLM's price table, the answer's class), so each worker
    inherits them instead of paying ~0.15 s of CPU on its first items."""
    code = ("import sys, linernotes.run.warm; from linernotes.llm import prices; "
            "from linernotes.agents.nodes import extract; "
            "print('aiohttp' in sys.modules, prices._table.cache_info().currsize, "
            "extract.compact_model.cache_info().currsize)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120,
                         env={**os.environ, "LITELLM_LOCAL_MODEL_COST_MAP": "True"})
    assert out.returncode == 0, out.stderr
    assert out.stdout.split()[-3:] == ["True", "1", "1"]
