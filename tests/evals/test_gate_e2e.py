"""The CI gate with the real embedded model on the committed 12-item slice: an unchanged tagger
passes against the committed baseline (and a cached rerun gives identical metrics); a degraded
one — the prompt hides the content and forces answers, and the fusion is switched off so the
draft is the record — fails. (With the shipped fusion, a genre draft is only a feature: a worse
prompt alone need not move the fused genres, which is the point of the fusion.) Sequential
decoding (--concurrency 1) keeps runs reproducible; see scripts/refresh_baseline.sh.

The two model runs are independent real ``liner eval`` processes, each with its own one-thread
embedded server, so they run side by side (one per core) in a module fixture; each test then
checks its own run."""

from __future__ import annotations

import json
import re
from concurrent.futures import ThreadPoolExecutor
from importlib import resources

import pytest

pytestmark = [pytest.mark.slow, pytest.mark.e2e, pytest.mark.timeout(2400)]  # two real runs; slow on a busy machine

EVAL = ["eval", "ci-slice", "--concurrency", "1", "--seed", "0", "--no-progress", "--resamples", "300"]


@pytest.fixture(scope="module")
def baseline(repo_root):
    path = repo_root / "evals" / "baselines" / "ci-slice.json"
    assert path.is_file(), "run scripts/refresh_baseline.sh to create the CI baseline"
    return path


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


@pytest.fixture(scope="module")
def runs(tmp_path_factory, liner):
    """Both model runs, side by side; each with its own response cache (the unchanged run's cache
    is reused by its rerun). Returns {name: (folder, cache env, CompletedProcess)}."""
    d = tmp_path_factory.mktemp("gate-e2e")
    prompt = degraded_prompt(d)
    jobs = {"unchanged": [*EVAL, "-o", str(d / "run.json")],
            "degraded": [*EVAL, "--prompt", str(prompt), "--fusion", "none", "-o", str(d / "bad.json")]}
    envs = {name: {"LINER_CACHE_DIR": str(d / f"cache-{name}")} for name in jobs}
    with ThreadPoolExecutor(len(jobs)) as pool:
        done = {name: pool.submit(liner, args, env=envs[name], timeout=1800) for name, args in jobs.items()}
        return {name: (d, envs[name], f.result()) for name, f in done.items()}


def test_unchanged_prompt_passes_and_cache_serves_the_rerun(runs, liner_in_process, baseline):
    d, env, first = runs["unchanged"]
    assert first.returncode == 0, first.stderr[-2000:]
    gate = liner_in_process(["gate", str(baseline), str(d / "run.json"), "--report", str(d / "pr.md")])
    assert gate.returncode == 0, gate.stdout + gate.stderr
    assert "PASS" in (d / "pr.md").read_text()
    # same inputs, new run folder, same cache: every answered item comes from the cache unchanged.
    # (Failed calls are not cached by the LLM client, so a failed item is asked again; with
    # llama.cpp's prompt-prefix reuse that retry may decode differently. See the closing note.)
    # in process: the real `liner eval` process is the first run
    again = liner_in_process([*EVAL, "-o", str(d / "again.json")], env=env)
    assert again.returncode == 0, again.stderr[-2000:]
    a = {i["id"]: i for i in json.loads((d / "run.json").read_text())["items"]}
    b = {i["id"]: i for i in json.loads((d / "again.json").read_text())["items"]}
    ok = [k for k, v in a.items() if v["status"] == "ok"]
    assert ok
    assert sum(b[k]["prediction"]["provenance"]["llm_calls"] for k in ok) == 0, "the rerun sent no request"
    for k in ok:
        # an item the cascade decided without the LLM makes no call either time; one that called
        # it is served from the cache
        called = a[k]["prediction"]["provenance"]["llm_calls"] > 0
        assert b[k]["status"] == "ok" and b[k]["prediction"]["provenance"]["cache_hit"] == called, k
        for field in ("genres", "valence", "policy_flags", "moods", "rationale"):
            assert a[k]["prediction"][field] == b[k]["prediction"][field], (k, field)
        assert a[k]["scores"] == b[k]["scores"]


def test_degraded_tagger_fails_the_gate(runs, liner, baseline):
    d, _, run = runs["degraded"]
    assert run.returncode == 0, run.stderr[-2000:]
    gate = liner(["gate", str(baseline), str(d / "bad.json"), "--html", str(d / "r.html")])
    assert gate.returncode == 1, gate.stdout + gate.stderr
    assert "| FAIL: " in gate.stdout
