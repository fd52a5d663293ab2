"""Run the benchmark modules and write one JSON document plus a markdown table.

Each ``benchmarks/bench_<name>.py`` exposes ``run(quick: bool) -> dict`` returning flat figures
(numbers, with their units in the key names) and a ``command`` that reproduces them.
"""

from __future__ import annotations

import argparse
import importlib
import json
import platform
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent


def discover() -> list[str]:
    return sorted(p.stem.removeprefix("bench_") for p in HERE.glob("bench_*.py"))


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m benchmarks")
    ap.add_argument("names", nargs="*", help=f"subset of {discover()}")
    ap.add_argument("-o", "--output", type=Path, default=Path("benchmarks/results.json"))
    ap.add_argument("--quick", action="store_true", help="smaller sizes, for a smoke run")
    args = ap.parse_args(argv)
    names = args.names or discover()
    results: dict[str, object] = {"machine": {"python": platform.python_version(), "platform": platform.platform()},
                                  "started": time.strftime("%Y-%m-%dT%H:%M:%S")}
    for name in names:
        mod = importlib.import_module(f"benchmarks.bench_{name}")
        t = time.perf_counter()
        try:
            figures = mod.run(quick=args.quick)
        except Exception as e:  # noqa: BLE001 (one broken benchmark must not hide the others)
            figures = {"error": f"{type(e).__name__}: {e}"}
        figures["wall_s"] = round(time.perf_counter() - t, 2)
        results[name] = figures
        print(f"[{name}] {json.dumps(figures)}", file=sys.stderr)
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(results, indent=2))
    md = ["| benchmark | figure | value |", "|---|---|---|"]
    for name in names:
        for k, v in results[name].items():
            md.append(f"| {name} | {k} | {v} |")
    args.output.with_suffix(".md").write_text("\n".join(md) + "\n")
    print("\n".join(md))
    return 0


if __name__ == "__main__":
    sys.exit(main())
