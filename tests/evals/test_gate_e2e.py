"""The CI gate with the real embedded model on the committed 12-item slice: an unchanged tagger
passes against the committed baseline (and a cached rerun gives identical metrics); a degraded
one — the prompt hides the content and forces answers, and the fusion is switched off so the
draft is the record — fails. (With the shipped fusion, a genre draft is only a feature: a worse
prompt alone need not move the fused genres, which is the point of the fusion.) Sequential
decoding (--concurrency 1) keeps runs reproducible; see scripts/refresh_baseline.sh."""

from __future__ import annotations

import json
import re
from importlib import resources

import pytest

pytestmark = [pytest.mark.slow, pytest.mark.e2e, pytest.mark.timeout(2400)]  # two real runs; slow on a busy machine

EVAL = ["eval", "ci-slice", "--concurrency", "1", "--seed", "0", "--no-progress", "--resamples", "300"]


@pytest.fixture(scope="module")
def baseline(repo_root):
    path = repo_root / "evals" / "baselines" / "ci-slice.json"
    assert path.is_file(), "run scripts/refresh_baseline.sh to create the CI baseline"
    return path


def test_unchanged_prompt_passes_and_cache_serves_the_rerun(liner, baseline, tmp_path):
    first = liner([*EVAL, "-o", str(tmp_path / "run.json")])
    assert first.returncode == 0, first.stderr[-2000:]
    gate = liner(["gate", str(baseline), str(tmp_path / "run.json"), "--report", str(tmp_path / "pr.md")])
    assert gate.returncode == 0, gate.stdout + gate.stderr
    assert "PASS" in (tmp_path / "pr.md").read_text()
    # same inputs, new run folder, same cache: every answered item comes from the cache unchanged.
    # (Failed calls are not cached by the LLM client, so a failed item is asked again; with
    # llama.cpp's prompt-prefix reuse that retry may decode differently. See the closing note.)
    again = liner([*EVAL, "-o", str(tmp_path / "again.json")])
    assert again.returncode == 0, again.stderr[-2000:]
    a = {i["id"]: i for i in json.loads((tmp_path / "run.json").read_text())["items"]}
    b = {i["id"]: i for i in json.loads((tmp_path / "again.json").read_text())["items"]}
    ok = [k for k, v in a.items() if v["status"] == "ok"]
    assert ok
    for k in ok:
        assert b[k]["status"] == "ok" and b[k]["prediction"]["provenance"]["cache_hit"], k
        for field in ("genres", "valence", "policy_flags", "moods", "rationale"):
            assert a[k]["prediction"][field] == b[k]["prediction"][field], (k, field)
        assert a[k]["scores"] == b[k]["scores"]


def degraded_prompt(tmp_path):
    """The shipped prompt with the item's content hidden and valence forced: tags must get worse."""
    text = resources.files("linernotes.agents").joinpath("prompts", "extract.v2.md").read_text(encoding="utf-8")
    system, sep, user = text.partition("\n---\n")
    assert sep, "prompt layout changed: expected 'system\\n---\\nuser'"
    user, hidden = re.subn(r"<<<DATA.*?DATA>>>\n?", "", user, flags=re.S)
    assert hidden == 1, "prompt layout changed: expected one <<<DATA ... DATA>>> block"
    system += "\n- Whatever the content, valence is always -2 and genres are the LAST candidates."
    path = tmp_path / "extract.degraded.md"
    path.write_text(system + sep + user, encoding="utf-8")
    return path


def test_degraded_tagger_fails_the_gate(liner, baseline, tmp_path):
    prompt = degraded_prompt(tmp_path)
    run = liner([*EVAL, "--prompt", str(prompt), "--fusion", "none", "-o", str(tmp_path / "bad.json")])
    assert run.returncode == 0, run.stderr[-2000:]
    gate = liner(["gate", str(baseline), str(tmp_path / "bad.json"), "--html", str(tmp_path / "r.html")])
    assert gate.returncode == 1, gate.stdout + gate.stderr
    assert "**FAIL**" in gate.stdout
