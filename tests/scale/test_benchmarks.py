"""The benchmark harness itself: every module plugs in, and one real run writes JSON + markdown.
(The figures are the benchmarks' business; this only proves the command that produces them runs.)"""

from __future__ import annotations

import importlib
import json
import subprocess
import sys
from pathlib import Path

import pytest

from benchmarks.__main__ import discover


def test_every_benchmark_module_exposes_run_and_its_command() -> None:
    names = discover()
    assert {"overhead", "concurrency", "embedded", "audio", "retrieval", "eval", "memory"} <= set(names)
    for name in names:
        mod = importlib.import_module(f"benchmarks.bench_{name}")
        assert callable(mod.run), name
        assert mod.COMMAND.startswith("python -m benchmarks"), name


@pytest.mark.slow
def test_overhead_benchmark_runs_and_writes_json_and_markdown(tmp_path: Path, repo_root: Path) -> None:
    out = tmp_path / "results.json"
    r = subprocess.run([sys.executable, "-m", "benchmarks", "overhead", "--quick", "-o", str(out)],
                       cwd=repo_root, capture_output=True, text=True, timeout=600)
    assert r.returncode == 0, r.stderr[-2000:]
    figures = json.loads(out.read_text())["overhead"]
    assert "error" not in figures, figures.get("error")
    assert figures["items"] == 100
    for key in ("toolkit_cpu_ms_per_item", "toolkit_fast_path_cpu_ms_per_item", "tools_cpu_ms", "client_cpu_ms"):
        assert figures[key] > 0, key
    # the fast path skips LiteLLM + Instructor, so it must cost less CPU than the default path
    assert figures["client_fast_path_cpu_ms"] < figures["client_cpu_ms"]
    table = out.with_suffix(".md").read_text()
    assert "| overhead | toolkit_cpu_ms_per_item |" in table
