"""The architecture rules CI checks (docs/architecture.md): dependencies point one way (the
import-linter contracts in pyproject.toml), the product never imports the test doubles, and no
module changes the environment when it is imported."""

from __future__ import annotations

import ast
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "scripts"))
from namespace_tree import build  # noqa: E402


@pytest.fixture(scope="module")
def tree(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The installed namespace as one folder tree (grimp walks folders, not import hooks)."""
    return build(tmp_path_factory.mktemp("ns"))


def _python(tree: Path, code: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(tree)}
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, cwd=tree,
                          timeout=600)


def test_import_linter_contracts_are_kept(tree: Path) -> None:
    r = subprocess.run([str(Path(sys.executable).parent / "lint-imports"), str(REPO / "pyproject.toml")],
                       capture_output=True, text=True, env={**os.environ, "PYTHONPATH": str(tree)}, cwd=tree,
                       timeout=600)
    assert r.returncode == 0, r.stdout[-4000:] + r.stderr[-2000:]
    assert "0 broken" in r.stdout
    # the contracts saw the whole namespace, not just the root folder
    seen = _python(tree, "import grimp, json; g = grimp.build_graph('linernotes', include_external_packages=False);"
                         "print(json.dumps(sorted(g.modules)))")
    assert seen.returncode == 0, seen.stderr[-2000:]
    modules = set(json.loads(seen.stdout))
    for name in ("linernotes.agents.graph", "linernotes.llm.client", "linernotes.llm.transports",
                 "linernotes.tools", "linernotes.evals.run", "linernotes.cli.app", "linernotes.run.prepare",
                 "linernotes.testing.openai_stub"):
        assert name in modules, name


def test_every_graph_node_is_in_the_independence_contract() -> None:
    """A node added later is covered too: shared logic must go to agents/ modules, not be
    imported from another node."""
    import tomllib

    contracts = tomllib.loads((REPO / "pyproject.toml").read_text())["tool"]["importlinter"]["contracts"]
    listed = set(next(c for c in contracts if c["id"] == "nodes")["modules"])
    nodes = {f"linernotes.agents.nodes.{p.stem}" for p in (REPO / "agents" / "nodes").glob("*.py")
             if p.stem != "__init__"}
    assert nodes == listed, f"not in the contract: {sorted(nodes - listed)}; gone: {sorted(listed - nodes)}"


def _module_level(tree: ast.Module):
    """Statements that run at import: the module body, descending into if/try/with/for blocks
    but not into function or class bodies... except class bodies, which also run at import."""
    todo = list(tree.body)
    while todo:
        node = todo.pop()
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda):
            continue
        yield node
        todo.extend(ast.iter_child_nodes(node))


def _changes_environ(node: ast.AST) -> bool:
    """``os.environ[k] = v``, ``del os.environ[k]``, ``os.environ.setdefault/update/pop/clear(...)``, ``os.putenv``."""
    def is_environ(n: ast.AST) -> bool:
        return isinstance(n, ast.Attribute) and n.attr == "environ"

    if isinstance(node, ast.Assign | ast.AugAssign | ast.Delete):
        targets = node.targets if isinstance(node, ast.Assign | ast.Delete) else [node.target]
        return any(isinstance(t, ast.Subscript) and is_environ(t.value) for t in targets)
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
        f = node.func
        if is_environ(f.value) and f.attr in ("setdefault", "update", "pop", "clear", "popitem", "__setitem__"):
            return True
        return f.attr in ("putenv", "unsetenv")
    return False


def test_no_module_changes_the_environment_at_import(tree: Path) -> None:
    """No product module (nor test double) changes ``os.environ`` in code that runs at import:
    settings a library needs are set where that library is imported (``llm.transports.import_litellm``)."""
    offenders = []
    paths = sorted(Path(d) / f for d, _, files in os.walk(tree / "linernotes", followlinks=True)
                   for f in files if f.endswith(".py"))
    assert len(paths) > 100  # the whole namespace, through its symlinks
    for path in paths:
        module = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        for node in _module_level(module):
            if _changes_environ(node):
                offenders.append(f"{path.relative_to(tree)}:{node.lineno}")
    assert offenders == []
