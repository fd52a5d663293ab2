"""``liner fit -o <the fusion folder linernotes ships>`` is refused unless ``--overwrite-shipped``:
the fit replaced ``fusion/default`` (the default ``--fusion`` of tag, eval and serve) without a
word. The same for ``liner fit --signals -o`` and ``liner index build -o`` inside shipped data.
Compared as real paths (a symlink or ``..`` to the folder is caught). The CLI tests point the
check at a copy of the layout in tmp_path: nothing here may write into the real shipped folder."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tests.conftest import REPO, run_liner_in_process

pytestmark = pytest.mark.timeout(120)

ARTIFACT = b'{"not": "read by these tests"}\n'


@pytest.fixture
def shipped(tmp_path, monkeypatch) -> Path:
    """A stand-in for the package's fusion/default (and its other shipped folders) in tmp_path,
    reached through a symlink ``tmp_path/link``; returns the symlink."""
    import linernotes.files

    real = tmp_path / "site" / "linernotes" / "fusion" / "default"
    real.mkdir(parents=True)
    (real / "fusion.json").write_bytes(ARTIFACT)
    (tmp_path / "link").symlink_to(real)
    monkeypatch.setattr(linernotes.files, "shipped_dirs", lambda: [real.resolve()])
    return tmp_path / "link"


def _unchanged(link: Path) -> None:
    assert sorted(p.name for p in link.resolve().iterdir()) == ["fusion.json"]
    assert (link / "fusion.json").read_bytes() == ARTIFACT


def test_the_real_shipped_fusion_folder_is_found_through_a_symlink_and_dotdot(tmp_path):
    """The check alone, on the real install (it only resolves paths; nothing is written)."""
    from linernotes.files import refuse_shipped
    from linernotes.fusion.artifact import default_fusion_dir

    default = default_fusion_dir()
    (tmp_path / "alias").symlink_to(default)
    for target in (default, tmp_path / "alias", tmp_path / "alias" / "cv", default / ".." / "default"):
        with pytest.raises(ValueError, match="which linernotes ships with the package.*--overwrite-shipped"):
            refuse_shipped(target, ValueError)
        refuse_shipped(target, ValueError, overwrite=True)  # the explicit flag allows it
    refuse_shipped(default.parent, ValueError)  # the package folder itself holds no shipped artifact
    refuse_shipped(tmp_path / "fit", ValueError)


def test_fit_into_the_shipped_fusion_folder_exits_2_and_writes_nothing(shipped, tmp_path):
    r = run_liner_in_process(["fit", "vader-valence", "-o", shipped, "--limit", "1"], cwd=tmp_path)
    assert r.returncode == 2, r.stderr[-2000:]
    assert f"-o {shipped}: is inside {shipped.resolve()}" in r.stderr and "--overwrite-shipped" in r.stderr
    _unchanged(shipped)


def test_fit_signals_into_the_shipped_fusion_folder_exits_2(shipped, tmp_path):
    signals = REPO / "examples" / "signals"
    r = run_liner_in_process(["fit", signals / "beat_driven.gold.yaml", "--signals", signals / "beat_driven.yaml",
                              "-o", shipped], cwd=tmp_path)
    assert r.returncode == 2, r.stderr[-2000:]
    assert f"-o {shipped}: is inside" in r.stderr
    _unchanged(shipped)


def test_index_build_inside_shipped_data_exits_2(shipped, tmp_path):
    gold = tmp_path / "gold.jsonl"
    gold.write_text('{"id": "a", "title": "Song", "gold_genres": ["ambient"]}\n')
    r = run_liner_in_process(["index", "build", "-o", shipped / "idx", "--gold", gold], cwd=tmp_path)
    assert r.returncode == 2, r.stderr[-2000:]
    assert f"-o {shipped / 'idx'}: is inside" in r.stderr
    _unchanged(shipped)


def test_overwrite_shipped_lets_the_fit_options_through(shipped):
    from linernotes.evals.fit import FitOptions

    with pytest.raises(ValueError, match="--overwrite-shipped"):
        FitOptions(specs=["vader-valence"], output=shipped)
    assert FitOptions(specs=["vader-valence"], output=shipped, overwrite_shipped=True).output == shipped


def test_a_fit_elsewhere_is_not_refused(shipped, tmp_path):
    from linernotes.evals.fit import FitOptions

    shutil.copytree(shipped, tmp_path / "copy")
    assert FitOptions(specs=["vader-valence"], output=tmp_path / "copy").output == tmp_path / "copy"
