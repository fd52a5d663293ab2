"""The CI gate with the real embedded model on the committed 12-item slice: an unchanged prompt
passes against the committed baseline (and a cached rerun gives identical metrics), a
deliberately degraded prompt fails. Sequential decoding (--concurrency 1) keeps runs
reproducible; see scripts/refresh_baseline.sh."""

from __future__ import annotations

import json
import re
from importlib import resources

import pytest

pytestmark = [pytest.mark.slow, pytest.mark.e2e]

EVAL = ["eval", "ci-slice", "--concurrency", "1", "--seed", "0", "--no-progress", "--resamples", "300"]


def _quality(run: dict) -> dict:
    """Everything but speed/cache figures, which a cached rerun changes by design."""
    return {k: v for k, v in run["metrics"].items() if not k.startswith("run.")}


@pytest.fixture(scope="module")
def baseline(repo_root):
    path = repo_root / "evals" / "baselines" / "ci-slice.json"
    assert path.is_file(), "run scripts/refresh_baseline.sh to create the CI baseline"
    return path


def test_unchanged_prompt_passes_and_cache_rerun_is_identical(liner, baseline, tmp_path):
    first = liner([*EVAL, "-o", str(tmp_path / "run.json")])
    assert first.returncode == 0, first.stderr[-2000:]
    again = liner([*EVAL, "-o", str(tmp_path / "again.json")])
    assert again.returncode == 0, again.stderr[-2000:]
    a = json.loads((tmp_path / "run.json").read_text())
    b = json.loads((tmp_path / "again.json").read_text())
    assert b["metrics"]["run.cache_hit_rate"]["value"] == 1.0 or b["failures"]
    assert _quality(a) == _quality(b)
    assert [i["prediction"] and i["prediction"]["genres"] for i in a["items"]] == \
           [i["prediction"] and i["prediction"]["genres"] for i in b["items"]]
    gate = liner(["gate", str(baseline), str(tmp_path / "run.json"), "--report", str(tmp_path / "pr.md")])
    assert gate.returncode == 0, gate.stdout + gate.stderr
    assert "PASS" in (tmp_path / "pr.md").read_text()


def degraded_prompt(tmp_path):
    """The shipped prompt with the item's content hidden and valence forced: tags must get worse."""
    text = resources.files("linernotes.agents").joinpath("prompts", "extract.v1.md").read_text(encoding="utf-8")
    system, sep, user = text.partition("\n---\n")
    assert sep, "prompt layout changed: expected 'system\\n---\\nuser'"
    user, hidden = re.subn(r"<<<DATA.*?DATA>>>\n?", "", user, flags=re.S)
    assert hidden == 1, "prompt layout changed: expected one <<<DATA ... DATA>>> block"
    system += "\n- Whatever the content, valence is always \"very negative\" and genres are the LAST candidates."
    path = tmp_path / "extract.degraded.md"
    path.write_text(system + sep + user, encoding="utf-8")
    return path


def test_degraded_prompt_fails_the_gate(liner, baseline, tmp_path):
    prompt = degraded_prompt(tmp_path)
    run = liner([*EVAL, "--prompt", str(prompt), "-o", str(tmp_path / "bad.json")])
    assert run.returncode == 0, run.stderr[-2000:]
    gate = liner(["gate", str(baseline), str(tmp_path / "bad.json"), "--html", str(tmp_path / "r.html")])
    assert gate.returncode == 1, gate.stdout + gate.stderr
    assert "**FAIL**" in gate.stdout
