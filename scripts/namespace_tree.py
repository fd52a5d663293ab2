"""Lay the ``linernotes`` namespace out as one real folder tree of symlinks, from setup.py ROOTS.

Why: setup.py maps several top-level folders (``core/``, ``agents/``, ``tools/`` ...) into one
``linernotes`` package. Python finds them through the editable install's import hook, but tools
that walk the package folder (import-linter's grimp) see only ``core/``. This builds
``DEST/linernotes/`` where every mapped folder appears at its import path, so putting ``DEST``
first on ``PYTHONPATH`` gives such tools — or a run of another checkout — the whole namespace.

    python scripts/namespace_tree.py DEST [--source CHECKOUT]
"""

from __future__ import annotations

import argparse
import ast
import shutil
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def roots(source: Path) -> dict[str, str]:
    """The ``ROOTS`` mapping of ``source``'s setup.py (read, not executed)."""
    tree = ast.parse((source / "setup.py").read_text(encoding="utf-8"))
    for node in tree.body:
        if isinstance(node, ast.Assign) and any(getattr(t, "id", None) == "ROOTS" for t in node.targets):
            return ast.literal_eval(node.value)
    raise SystemExit(f"{source}/setup.py: no ROOTS mapping")


def build(dest: Path, source: Path = REPO) -> Path:
    """``dest/linernotes`` with the root package's files and one symlink per mapped subpackage.
    Returns ``dest``. Rebuilds from scratch each call."""
    mapping = roots(source)
    pkg = dest / "linernotes"
    if pkg.exists():
        shutil.rmtree(pkg)
    pkg.mkdir(parents=True)
    base = source / mapping["linernotes"]
    for entry in base.iterdir():  # the root package's own modules and folders
        if entry.name != "__pycache__":
            (pkg / entry.name).symlink_to(entry.resolve())
    for name, folder in sorted(mapping.items()):
        if name == "linernotes" or not (source / folder).is_dir():
            continue
        parts = name.split(".")[1:]
        link = pkg.joinpath(*parts)
        if link.is_symlink() or link.exists():  # a mapped folder wins over a same-named root entry
            link.unlink() if link.is_symlink() else shutil.rmtree(link)
        link.parent.mkdir(parents=True, exist_ok=True)
        link.symlink_to((source / folder).resolve())
    return dest


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("dest", type=Path)
    ap.add_argument("--source", type=Path, default=REPO)
    args = ap.parse_args(argv)
    print(build(args.dest, args.source))
    return 0


if __name__ == "__main__":
    sys.exit(main())
