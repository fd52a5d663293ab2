"""Cold start: `liner tag examples/catalog.jsonl --llm never` (8 items) as a new process, and a
forkserver's warm-up (``run.warm``), which every worker pool pays once.

Figures (medians of N runs): time to the first record in the output file and to exit, and the
child's CPU (user + system), with the build caches (``tools.disk_cache``: the policy trie's
compiled code, the decompressed language model) already written (``warm_cache``: every run after
the first) and empty (``empty_cache``: the first run on a machine, or after a pack changed).
CPU is the steadier figure on a shared machine: wall counts time other processes take.

To compare another checkout, lay its namespace out and put it first on the path:
``python scripts/namespace_tree.py /tmp/ns --source CHECKOUT; PYTHONPATH=/tmp/ns python -m benchmarks startup``.
"""

from __future__ import annotations

import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

COMMAND = "python -m benchmarks startup"
REPO = Path(__file__).resolve().parents[1]
CATALOG = REPO / "examples" / "catalog.jsonl"


def _child_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _timed(argv: list[str], env: dict[str, str], first_line: Path | None) -> dict[str, float]:
    """Seconds to the first line of ``first_line`` (polled every 5 ms) and to exit; child CPU s."""
    cpu, start = _child_cpu(), time.perf_counter()
    proc = subprocess.Popen(argv, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    first = None
    while proc.poll() is None:
        if first is None and first_line is not None and first_line.exists() and b"\n" in first_line.read_bytes():
            first = time.perf_counter() - start
        time.sleep(0.005)
    total = time.perf_counter() - start
    err = proc.stderr.read() if proc.stderr else ""
    if proc.returncode != 0:
        raise RuntimeError(f"{' '.join(argv)} exited {proc.returncode}: {err[-800:]}")
    return {"first_s": first if first is not None else total, "exit_s": total, "cpu_s": _child_cpu() - cpu}


def _tag(env: dict[str, str], work: Path) -> dict[str, float]:
    out = work / "out.jsonl"
    for p in work.glob("out.jsonl*"):
        p.unlink()
    return _timed([sys.executable, "-m", "linernotes.cli.app", "tag", str(CATALOG), "-o", str(out), "--llm", "never"],
                  env, out)


def _warm(env: dict[str, str]) -> dict[str, float]:
    """A new interpreter importing ``run.warm`` (what the forkserver does): to exit, and CPU."""
    timed = _timed([sys.executable, "-c", "import linernotes.run.warm"], env, None)
    return {"exit_s": timed["exit_s"], "cpu_s": timed["cpu_s"]}


def _median(runs: list[dict[str, float]], prefix: str) -> dict[str, float]:
    return {f"{prefix}_{k}": round(statistics.median(r[k] for r in runs), 3) for k in runs[0]}


def run(quick: bool = False) -> dict[str, Any]:
    n = 3 if quick else 5
    with tempfile.TemporaryDirectory(prefix="bench-startup-") as tmp:
        work = Path(tmp)
        base = {**os.environ, "LITELLM_LOCAL_MODEL_COST_MAP": "True", "OMP_NUM_THREADS": "1",
                "LINER_CACHE_DIR": str(work / "cache")}
        warm_env = {**base, "LINER_BUILD_CACHE_DIR": str(work / "build")}
        _tag(warm_env, work)  # writes the build caches
        figures: dict[str, Any] = {}
        figures.update(_median([_tag(warm_env, work) for _ in range(n)], "tag_warm_cache"))
        empty = []
        for i in range(n):
            empty.append(_tag({**base, "LINER_BUILD_CACHE_DIR": str(work / f"empty{i}")}, work))
        figures.update(_median(empty, "tag_empty_cache"))
        figures.update(_median([_warm(warm_env) for _ in range(n)], "run_warm_warm_cache"))
        figures.update({"items": sum(1 for _ in CATALOG.open()), "runs": n, "command": COMMAND})
        return figures


if __name__ == "__main__":
    import json

    print(json.dumps(run(quick="--quick" in sys.argv), indent=2))
