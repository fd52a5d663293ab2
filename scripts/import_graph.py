"""Print the package-level import graph of a checkout: one line per package (the second part of
a module name: ``linernotes.agents.nodes.fuse`` -> ``agents``; the root package's own modules
each count as one) with what it imports, and the import cycles between packages.

    python scripts/import_graph.py [--source CHECKOUT]

Used for the before/after figure of issue 14; grimp (import-linter's graph builder) reads the
namespace laid out by ``namespace_tree.py``.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from namespace_tree import REPO, build  # noqa: E402

EDGES = """
import grimp, json
g = grimp.build_graph("linernotes", include_external_packages=False)
unit = lambda m: m.split(".")[1] if m.count(".") >= 1 else m
edges = set()
for m in g.modules:
    for d in g.find_modules_directly_imported_by(m):
        a, b = unit(m), unit(d)
        if a != b:
            edges.add((a, b))
print(json.dumps(sorted(edges)))
"""


def package_edges(source: Path) -> list[tuple[str, str]]:
    """(importer, imported) package pairs of ``source``'s namespace."""
    with tempfile.TemporaryDirectory() as tmp:
        tree = build(Path(tmp), source)
        r = subprocess.run([sys.executable, "-c", EDGES], capture_output=True, text=True, cwd=tree,
                           env={**os.environ, "PYTHONPATH": str(tree), "LITELLM_LOCAL_MODEL_COST_MAP": "True"})
        if r.returncode:
            raise SystemExit(r.stderr[-2000:])
        return [tuple(e) for e in json.loads(r.stdout)]


def cycles(edges: list[tuple[str, str]]) -> list[list[str]]:
    """Groups of packages that import each other, directly or through others (mutual
    reachability over the edges; a few dozen packages, so the quadratic closure is fine)."""
    nodes = {a for e in edges for a in e}
    reach = {n: {b for a, b in edges if a == n} for n in nodes}
    changed = True
    while changed:
        changed = False
        for n in nodes:
            more = set().union(*(reach[m] for m in reach[n])) - reach[n]
            if more:
                reach[n] |= more
                changed = True
    comps: list[list[str]] = []
    for n in sorted(nodes):
        comp = sorted(m for m in nodes if m in reach[n] and n in reach[m])
        if len(comp) > 1 and comp not in comps:
            comps.append(comp)
    return comps


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--source", type=Path, default=REPO)
    args = ap.parse_args()
    edges = package_edges(args.source.resolve())
    for a in sorted({a for a, _ in edges}):
        print(f"{a:<12} -> {', '.join(sorted(b for x, b in edges if x == a))}")
    found = cycles(edges)
    print("cycles: " + ("; ".join(" <-> ".join(c) for c in found) if found else "none"))


if __name__ == "__main__":
    main()
