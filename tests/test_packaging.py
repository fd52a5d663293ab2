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
