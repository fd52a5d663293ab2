"""A refit into the same fusion folder is a new artifact: ``liner eval --fusion DIR`` rerun on a run
folder tagged with the old one is refused naming both content hashes (exit 2), not resumed. Before,
the resume check compared the setting (the folder's path): every item was "already tagged", and the
record scored the old artifact's decisions under the new one's name (a degraded refit scored 0.5
accuracy where it scores 0.0). Real tools and fusion, ``--llm never``."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from linernotes.fusion.artifact import default_fusion_dir, load_fusion, save_fusion
from tests.conftest import run_liner_in_process
from tests.evals.vader_slice import vader_spec


def test_a_refitted_artifact_does_not_resume_the_old_ones_predictions(tmp_path: Path, shared_data: Path) -> None:
    spec = vader_spec(tmp_path, shared_data, 30)
    fus = tmp_path / "fus"
    shutil.copytree(default_fusion_dir(), fus)
    old = load_fusion(fus).content_hash
    args = ["eval", spec, "-o", tmp_path / "run.json", "--llm", "never", "--limit", "8", "--fusion", fus,
            "--resamples", "0", "--no-progress"]
    assert run_liner_in_process(args).returncode == 0
    art = load_fusion(fus)  # a refit: same folder, another artifact
    art.fields["valence"].threshold = 0.99
    new = save_fusion(art, fus)
    assert new != old
    r = run_liner_in_process(args)
    assert r.returncode == 2, r.stdout
    assert (f"run.json.d holds predictions made with fusion artifact {old}; --fusion {fus} is {new} now "
            "(refitted?)") in r.stderr
    r = run_liner_in_process([*args, "--fresh"])
    assert r.returncode == 0, r.stderr
    made = {it["prediction"]["provenance"]["fusion"] for it in json.loads((tmp_path / "run.json").read_text())["items"]}
    assert made == {new}
    assert run_liner_in_process(args).returncode == 0  # the same artifact resumes as before
