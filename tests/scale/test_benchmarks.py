"""The benchmark harness itself: every module plugs in, and one real run writes JSON + markdown
whose figures are consistent with each other (a part never costs more than the whole that contains
it, derived figures are what they are derived from, goal flags match the figures) and with the
markdown table, so a harness that measured the wrong thing or copied the wrong number fails."""

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
    whole, fast = figures["toolkit_cpu_ms_per_item"], figures["toolkit_fast_path_cpu_ms_per_item"]
    for key in ("toolkit_cpu_ms_per_item", "toolkit_fast_path_cpu_ms_per_item", "tools_cpu_ms", "client_cpu_ms"):
        assert 0 < figures[key] < 1000, (key, figures[key])  # CPU ms per item: positive and not seconds
    # parts of an item cost less than the whole item they are part of
    assert figures["tools_cpu_ms"] < whole and figures["client_cpu_ms"] < whole
    assert figures["langgraph_floor_cpu_ms"] < figures["graph_total_cpu_ms"] < whole * 1.5
    # the fast path skips LiteLLM + Instructor, so it must cost less CPU than the default path
    assert figures["client_fast_path_cpu_ms"] < figures["client_cpu_ms"] and fast < whole
    assert figures["raw_aiohttp_cpu_ms"] < figures["litellm_alone_cpu_ms"]  # one HTTP post vs LiteLLM's whole call
    # derived figures are derived from the figures they name
    assert figures["graph_minus_client_minus_tools_cpu_ms"] == pytest.approx(
        figures["graph_total_cpu_ms"] - figures["client_cpu_ms"] - figures["tools_cpu_ms"], abs=0.03)
    assert figures["goal_met_cpu"] == (whole <= figures["goal_ms"])
    assert figures["goal_met_cpu_fast_path"] == (fast <= figures["goal_ms"])
    # the markdown table shows the JSON's numbers, not some other run's
    table = out.with_suffix(".md").read_text()
    for key in ("toolkit_cpu_ms_per_item", "tools_cpu_ms", "client_cpu_ms", "goal_met_cpu"):
        assert f"| overhead | {key} | {figures[key]} |" in table, key
