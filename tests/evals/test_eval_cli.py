"""``liner eval`` end to end against the STUB OpenAI-compatible endpoint (no model): the record,
resume without new calls, uncached repeats with their spread, refusal to mix taggers."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from linernotes.evals.gold import load_gold
from linernotes.evals.record import RunRecord
from linernotes.evals.spec import load_spec, resolve_data


@pytest.fixture(scope="module")
def stub():
    from linernotes.testing.openai_stub import StubServer

    with StubServer(latency_ms=0) as s:
        yield s


@pytest.fixture(autouse=True)
def _stub_key(monkeypatch):
    monkeypatch.setenv("OPENAI_API_KEY", "sk-stub-not-a-key")  # LiteLLM's openai/ route wants one


def quality(rec: RunRecord) -> dict:
    return {k: v for k, v in rec.metrics.items() if not k.startswith("run.")}


def run(*args: str):
    from linernotes.cli.app import app

    return CliRunner().invoke(app, list(args))


@pytest.mark.slow  # builds the real tool runtime three times
def test_eval_writes_a_complete_record_and_resumes_without_calls(stub, tmp_path, caplog):
    out = tmp_path / "run.json"
    # --llm always: every item calls the model, so the resume and the response cache are exercised
    args = ["eval", "ci-slice", "--model", "openai/stub", "--api-base", stub.base_url, "--resamples", "200",
            "--llm", "always", "--no-progress", "-o", str(out)]
    r = run(*args)
    assert r.exit_code == 0, r.output
    rec = RunRecord.load(out)
    spec = load_spec("ci-slice")
    assert rec.gold_fingerprint == load_gold(spec, resolve_data(spec)).fingerprint
    assert rec.model == "openai/stub" and rec.prompt_hash and rec.packages["linernotes"]
    assert len(rec.items) == 20 and all(it.status == "ok" for it in rec.items)
    assert {"genres.micro_f1", "valence.mae", "valence.human_pearson", "policy.accuracy",
            "policy.flag_recall"} <= set(rec.metrics)
    assert (tmp_path / "run.json.d" / "predictions.jsonl").exists()
    calls = stub.count
    again = run(*args)
    assert again.exit_code == 0, again.output
    assert stub.count == calls  # resumed from the run folder: no new calls
    # and says so, as liner tag's summary does (a resume that prints nothing looks like a new run)
    assert "20 of 20 items were already tagged there, 0 tagged now" in caplog.text, caplog.text
    assert RunRecord.load(out).metrics == rec.metrics
    fresh_folder = run(*args[:-1], str(tmp_path / "again.json"))  # same inputs, same cache, new folder
    assert fresh_folder.exit_code == 0, fresh_folder.output
    assert stub.count == calls  # served by the response cache
    cached = RunRecord.load(tmp_path / "again.json")
    assert cached.metrics["run.cache_hit_rate"].value == 1.0
    assert quality(cached) == quality(rec)  # identical metrics; only speed/cache figures differ
    other_prompt = tmp_path / "p.md"
    other_prompt.write_text("system\n---\n{{ item.type }}\n")
    refused = run(*args, "--prompt", str(other_prompt))
    said = " ".join(refused.output.split())
    assert refused.exit_code == 2 and "started with a different configuration: prompt: " in said, said
    assert '"extract.v2" (then) -> "/' in said and "prompt_hash: " in said and "--fresh to start over" in said


@pytest.mark.slow
def test_repeat_without_cache_reports_spread(stub, tmp_path):
    before = stub.count
    r = run("eval", "ci-slice", "--model", "openai/stub", "--api-base", stub.base_url, "--repeat", "2",
            "--resamples", "100", "--llm", "always", "--no-progress", "-o", str(tmp_path / "rep.json"))
    assert r.exit_code == 0, r.output
    rec = json.loads((tmp_path / "rep.json").read_text())
    assert stub.count - before >= 24  # both repeats called the model
    assert rec["repeat_spread"]["valence.mae"]["n"] == 2
    assert rec["repeat_spread"]["valence.mae"]["sd"] == 0.0  # the stub answers the same every time


def test_bad_spec_or_data_is_a_usage_error(tmp_path):
    assert run("eval", "no-such-spec", "-o", str(tmp_path / "x.json")).exit_code == 2
    r = run("eval", "vader-valence", "--data", str(tmp_path / "missing.jsonl"), "-o", str(tmp_path / "x.json"))
    assert r.exit_code == 2 and "--data" in r.output
