"""Shared fixtures: paths, an isolated response cache, and a way to run the real CLI."""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared" / "data"
EXAMPLE = REPO / "examples" / "catalog.jsonl"

os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")
# The fits under test are tiny: scikit-learn's boosted trees (the genres combiner) spend more on
# OpenMP's per-iteration sync across the 2 cores than on the work (tests/fusion/test_album_folds.py:
# 36 s on 2 threads, 18 s on one). Set before any test imports scikit-learn; CLI subprocesses
# inherit it; threadpoolctl covers an OpenMP runtime a plugin may have loaded already.
os.environ.setdefault("OMP_NUM_THREADS", "1")
try:
    from threadpoolctl import threadpool_limits

    threadpool_limits(limits=int(os.environ["OMP_NUM_THREADS"]), user_api="openmp")
except ImportError:  # threadpoolctl comes with scikit-learn; without it the env variable does the work
    pass


@pytest.fixture(scope="session")
def repo_root() -> Path:
    return REPO


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """Reference data from outside the project (tests may read it; the product never does).

    Missing data is a failure, never a skip: a CI run without it would otherwise pass while
    proving nothing about the tests that need it."""
    if not SHARED.is_dir():
        pytest.fail(f"reference data not found at {SHARED}: this test needs ../shared/data", pytrace=False)
    return SHARED


@pytest.fixture(scope="session", autouse=True)
def shared_build_cache(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """One folder per session for the content-keyed build caches (``tools.disk_cache``: compiled
    regexes, the decompressed language model): safe to share, and 70 MB a copy per test is not."""
    d = tmp_path_factory.mktemp("build-cache")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("LINER_BUILD_CACHE_DIR", str(d))
        yield d


@pytest.fixture(autouse=True)
def isolated_cache(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Every test gets its own response cache so no test is served by another's answers."""
    d = tmp_path_factory.mktemp("llm-cache")
    monkeypatch.setenv("LINER_CACHE_DIR", str(d))
    return d


def run_liner(args: list[str], env: dict[str, str] | None = None, timeout: float = 600,
              cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    """Run the real ``liner`` CLI in a subprocess (same interpreter), capturing output."""
    full_env = {**os.environ, **(env or {})}
    return subprocess.run([sys.executable, "-m", "linernotes.cli.app", *args], capture_output=True, text=True,
                          env=full_env, timeout=timeout, cwd=cwd)


def run_liner_in_process(args: list[str], env: dict[str, str] | None = None, timeout: float | None = None,
                         cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    """Run ``liner ARGS`` in this interpreter (typer's CliRunner), same result shape as ``run_liner``.

    The same commands, options, exit codes and stdout/stderr text, without a new interpreter:
    a subprocess ``liner tag`` pays ~8 s CPU of imports (LiteLLM alone ~6 s) before it does
    anything. Use it where the test is about what a command does; keep one real subprocess test
    per command so the ``liner`` entry point itself stays proven. An exception that escapes the
    command is appended to stderr as a traceback (rc 1), as a real process would show it.
    ``timeout`` is accepted for call compatibility; pytest-timeout bounds an in-process run."""
    import contextlib
    import traceback

    from typer.testing import CliRunner

    from linernotes.cli.app import app

    with contextlib.chdir(cwd) if cwd else contextlib.nullcontext():
        r = CliRunner().invoke(app, [str(a) for a in args], env=env)
    stderr = r.stderr
    if r.exception is not None and not isinstance(r.exception, SystemExit):
        stderr += "Traceback (most recent call last):\n" + "".join(traceback.format_exception(r.exception))
    return subprocess.CompletedProcess(["liner", *map(str, args)], r.exit_code, r.stdout, stderr)


@pytest.fixture(scope="session")
def forkcli():
    """One warm fork server (tests/reliability/forkcli.py) for the whole session: every run is
    still a real forked ``liner`` process, and the interpreter that forks them imports LiteLLM,
    langgraph and the tools once, not once per directory that uses it."""
    import importlib.util

    path = REPO / "tests" / "reliability" / "conftest.py"
    spec = importlib.util.spec_from_file_location("reliability_conftest", path)
    mod = importlib.util.module_from_spec(spec)
    sys.modules.setdefault(spec.name, mod)  # dataclasses look their module up there
    spec.loader.exec_module(mod)
    cli = mod.ForkCli()
    yield cli
    cli.close()


@pytest.fixture(scope="session")  # a plain function: session scope lets module fixtures run the CLI too
def liner():
    return run_liner


@pytest.fixture(scope="session")
def liner_in_process():
    return run_liner_in_process


@contextlib.contextmanager
def address_space_capped(headroom: int) -> Iterator[None]:
    """This process's address space capped at its size now + ``headroom`` bytes while inside: a
    reader of /dev/zero or of a huge file that regresses dies of MemoryError instead of taking
    the shared box's memory."""
    import resource

    soft, hard = resource.getrlimit(resource.RLIMIT_AS)
    size = int(next(line.split()[1] for line in Path("/proc/self/status").read_text().splitlines()
                    if line.startswith("VmSize:"))) * 1024
    resource.setrlimit(resource.RLIMIT_AS, (size + headroom, hard))
    try:
        yield
    finally:
        resource.setrlimit(resource.RLIMIT_AS, (soft, hard))
