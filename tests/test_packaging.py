"""The package's build metadata: the license is an SPDX expression (PEP 639), not the TOML table
``license = { text = "MIT" }`` that setuptools >= 77 deprecates with a warning at every build and
install (it stops being supported on 2027-02-18)."""

from __future__ import annotations

import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]


@pytest.mark.slow  # pip builds a wheel in an isolated environment (setuptools from the package index)
def test_the_wheel_names_its_license_as_spdx_without_a_deprecation_warning(tmp_path: Path) -> None:
    # the build configuration alone (setup.py skips the package folders it does not find): the
    # metadata is the same as the whole tree's, built in seconds and without writing build/ into the repo
    src = tmp_path / "src"
    src.mkdir()
    for name in ("pyproject.toml", "setup.py", "README.md"):
        shutil.copy(REPO / name, src / name)
    r = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "-w", str(tmp_path / "whl"), str(src)],
                       capture_output=True, text=True, timeout=600)
    assert r.returncode == 0, r.stdout + r.stderr
    log = r.stdout + r.stderr
    assert "project.license` as a TOML table is deprecated" not in log
    (wheel,) = (tmp_path / "whl").glob("linernotes-*.whl")
    with zipfile.ZipFile(wheel) as z:
        (meta,) = [n for n in z.namelist() if n.endswith(".dist-info/METADATA")]
        headers = z.read(meta).decode().split("\n\n", 1)[0].splitlines()
    assert "License-Expression: MIT" in headers
    assert not any(h.startswith("License:") for h in headers)  # the deprecated field is not written too


# the folders that hold only data, each a package of its own (setup.py); before, setuptools warned
# at every build that each was "absent from the `packages` configuration" (Package would be ignored)
DATA_FOLDERS = ["agents/prompts", "evals/baselines", "evals/reports", "evals/slices", "evals/specs", "fusion/default",
                "review/web/static", "review/web/templates", "signals/builtin"]
DATA_SUFFIXES = {".yaml", ".json", ".jsonl", ".md", ".html", ".css", ".js"}  # what they hold (a stray file is no data)


@pytest.mark.slow  # pip builds a wheel of the whole tree in an isolated environment (~20 s)
def test_the_wheel_ships_the_data_folders_as_packages_without_a_warning(tmp_path: Path) -> None:
    sys.path.insert(0, str(REPO / "scripts"))
    from namespace_tree import roots

    src = tmp_path / "src"
    src.mkdir()
    for name in ("pyproject.toml", "setup.py", "README.md"):
        shutil.copy(REPO / name, src / name)
    for folder in roots(REPO).values():  # the package folders alone: no build/ or egg-info in the repo
        shutil.copytree(REPO / folder, src / folder, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    r = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "-w", str(tmp_path / "whl"), str(src)],
                       capture_output=True, text=True, timeout=600)
    assert r.returncode == 0, r.stdout + r.stderr
    log = r.stdout + r.stderr
    assert "is absent from the `packages` configuration" not in log, log[-3000:]
    (wheel,) = (tmp_path / "whl").glob("linernotes-*.whl")
    with zipfile.ZipFile(wheel) as z:
        shipped = set(z.namelist())
    for folder in DATA_FOLDERS:
        files = {f"linernotes/{p.relative_to(REPO).as_posix()}" for p in (REPO / folder).iterdir()
                 if p.is_file() and p.suffix in DATA_SUFFIXES}
        if folder == "evals/slices":  # the CI slice's rows were never shipped (setup.py); the clean texts are
            files = {f for f in files if not f.endswith(("ci-slice.jsonl", "ci-exemplars.jsonl"))}
            assert "linernotes/evals/slices/policy-clean.jsonl" in files
        assert files and {f for f in shipped if f.rpartition("/")[0] == f"linernotes/{folder}"} == files, folder
    # signals/builtin is a module and a data folder of the same name: both ship
    assert {"linernotes/signals/builtin.py", "linernotes/signals/builtin/genres.yaml"} <= shipped
    assert "linernotes/cli/app.py" in shipped and not any("__pycache__" in f for f in shipped)
