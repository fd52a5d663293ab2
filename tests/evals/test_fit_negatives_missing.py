"""``liner fit ci-slice`` in a fresh clone: the slice has no clean ('none') policy item, so the fit
asks for ``--negatives SPEC``; the shipped negatives specs read their gold from ``../shared/data``,
which is not in the repository. Before, a missing negatives file said "spec bandcamp-genres: gold
data ... not found (...); pass --data PATH", but ``--data`` replaces the fitted spec's gold, not the
negatives'. Now one line names the option value, the file and where it was looked for, and how to
give clean items instead; nothing is tagged and no output folder is made. The fresh clone is stood
for by a copy of the shipped spec in tmp_path, whose relative data path then leads nowhere."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.conftest import REPO, run_liner_in_process

pytestmark = pytest.mark.timeout(120)

SHIPPED_SPEC = REPO / "evals" / "specs" / "bandcamp-genres.yaml"


def _spec_copy(folder: Path, data: str | None = None) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    text = SHIPPED_SPEC.read_text(encoding="utf-8")
    if data is not None:
        old = next(line for line in text.splitlines() if line.startswith("data:"))
        text = text.replace(old, f"data: {data}")
    (folder / "bandcamp-genres.yaml").write_text(text, encoding="utf-8")
    return folder / "bandcamp-genres.yaml"


def test_fit_with_a_negatives_set_that_is_not_there_says_which_and_how(tmp_path):
    spec = _spec_copy(tmp_path / "clone" / "evals" / "specs")
    value = f"{spec}@100"
    out = tmp_path / "fit"
    r = run_liner_in_process(["fit", "ci-slice", "--negatives", value, "-o", str(out)], cwd=tmp_path / "clone")
    assert r.returncode == 2, r.stderr[-2000:]
    lines = [line for line in r.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and "Traceback" not in r.stderr, r.stderr
    line = lines[0]
    assert line.startswith(f"liner: error: --negatives {value}: spec bandcamp-genres: gold data "
                           "'../shared/data/gold/bandcamp-tracks.dev.jsonl' not found (looked in "), line
    assert "the negatives are read from that file" in line and "give --negatives a spec YAML" in line
    assert f"a copy of {spec} with data: changed" in line
    assert "--data" not in line  # the fitted spec's option, not the negatives'
    assert not out.exists()


def test_a_negatives_spec_whose_data_is_there_passes_the_check(tmp_path):
    from linernotes.evals.fit_specs import check_negatives

    clean = tmp_path / "clean.jsonl"
    clean.write_text("".join(json.dumps({"id": f"c{i}", "track": f"Song {i}", "artist": "A", "album": "B",
                                         "year": "2020", "labelname": "L", "gold_genres": ["ambient"]}) + "\n"
                             for i in range(3)), encoding="utf-8")
    spec = _spec_copy(tmp_path / "specs", data=str(clean))
    check_negatives([str(spec), f"{spec}@2"])  # no SpecError
