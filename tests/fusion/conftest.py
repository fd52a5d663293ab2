"""Fixtures shared by the fusion tests."""

from __future__ import annotations

import pytest

from linernotes.fusion.artifact import FusionArtifact, default_fusion_dir, load_fusion


@pytest.fixture(scope="module")
def artifact() -> FusionArtifact:
    """The shipped default fusion artifact (skips in a checkout without one)."""
    folder = default_fusion_dir()
    if not (folder / "fusion.json").is_file():
        pytest.skip("no shipped fusion artifact in this checkout")
    return load_fusion(folder)
