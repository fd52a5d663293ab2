"""``liner gate`` on stored run records (no model): exit 0 unchanged, 1 regression, 2 unusable.
The CLI runs in-process (typer's CliRunner): the same code path without a subprocess start."""

from __future__ import annotations

import json
import re
from types import SimpleNamespace

import pytest
from typer.testing import CliRunner

from linernotes.evals.gate import GateError, Rule, decide, load_rules
from linernotes.evals.record import RunRecord
from linernotes.evals.scoring import score_record
from linernotes.evals.synthetic import synthetic_record


@pytest.fixture
def liner():
    from linernotes.cli.app import app

    def run(args):
        r = CliRunner().invoke(app, args)
        return SimpleNamespace(returncode=r.exit_code, stdout=r.stdout, stderr=r.stderr)
    return run


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    d = tmp_path_factory.mktemp("runs")
    base = score_record(synthetic_record(300, seed=0), resamples=200)
    base.save(d / "base.json")
    worse = base.model_copy(deep=True)
    for it in worse.items[::2]:  # half the items lose their genres and their flags
        if it.prediction:
            it.prediction["genres"] = []
            it.prediction["policy_flags"] = []
    score_record(worse, resamples=200).save(d / "worse.json")
    other = base.model_copy(update={"gold_fingerprint": "something-else"})
    other.save(d / "other.json")
    (d / "garbage.json").write_text("{not json")
    return d


def test_unchanged_run_passes(liner, runs, tmp_path):
    r = liner(["gate", str(runs / "base.json"), str(runs / "base.json"), "--report", str(tmp_path / "r.md"),
               "--html", str(tmp_path / "r.html")])
    assert r.returncode == 0, r.stderr
    assert "PASS" in r.stdout and "genres.micro_f1" in r.stdout
    assert "PASS" in (tmp_path / "r.md").read_text()
    html = (tmp_path / "r.html").read_text()
    assert html.count("<svg") >= 3 and "http" not in html.split("<body>")[0]


def test_degraded_run_fails_with_the_broken_rules(liner, runs, tmp_path):
    r = liner(["gate", str(runs / "base.json"), str(runs / "worse.json"), "--html", str(tmp_path / "r.html")])
    assert r.returncode == 1, r.stderr
    assert "REGRESSION" in r.stdout
    failed = [line for line in r.stdout.splitlines() if "**FAIL**" in line]
    assert any("genres.micro_f1" in line for line in failed)
    assert any("policy.flag_recall" in line for line in failed)
    assert "biggest per-item regressions" in r.stdout
    assert "Biggest per-item regressions" in (tmp_path / "r.html").read_text()


def test_different_gold_or_unreadable_records_are_refused(liner, runs):
    r = liner(["gate", str(runs / "base.json"), str(runs / "other.json")])
    assert r.returncode == 2 and "gold fingerprint differs" in r.stderr and len(r.stderr.strip().splitlines()) == 1
    assert liner(["gate", str(runs / "base.json"), str(runs / "garbage.json")]).returncode == 2
    assert liner(["gate", str(runs / "base.json"), str(runs / "missing.json")]).returncode == 2


def test_custom_rules_file(liner, runs, tmp_path):
    lenient = tmp_path / "gates.yaml"
    lenient.write_text("rules:\n  - metric: valence.pearson\n    max_drop: 0.5\n")
    assert liner(["gate", str(runs / "base.json"), str(runs / "worse.json"), "--config", str(lenient)]).returncode == 0
    bad = tmp_path / "bad.yaml"
    bad.write_text("rules:\n  - metric: x\n    max_drop: -1\n")
    assert liner(["gate", str(runs / "base.json"), str(runs / "base.json"), "--config", str(bad)]).returncode == 2


@pytest.mark.parametrize(("text", "expected"), [
    ("rules:\n  - metric: energy.mae\n    max_drop: 0.5\n    directon: lower\n",
     "rules.0.directon: Extra inputs are not permitted"),
    ("rules:\n  - metric: x\n    max_drop: -1\n", "rules.0.max_drop: Input should be greater than or equal to 0"),
])
def test_bad_rules_file_names_rule_and_key(tmp_path, text, expected):
    """A misspelt key is refused (it fell back to the default: direction higher for an MAE), and
    the error names the rule and key, not pydantic's "1 validation error for Rules"."""
    path = tmp_path / "gates.yaml"
    path.write_text(text)
    with pytest.raises(GateError, match=re.escape(expected)):
        load_rules(path)


def test_rule_modes():
    noisy = [0.0] * 50 + [-0.1] * 50  # the change could be 0 or a 0.1 drop
    import numpy as np

    s = np.array(noisy)
    strict = decide(Rule(metric="m", max_drop=0.02), 0.5, 0.45, s)
    lenient = decide(Rule(metric="m", max_drop=0.02, mode="significant"), 0.5, 0.45, s)
    assert strict.status == "fail" and lenient.status == "pass"
    lower = decide(Rule(metric="mae", max_drop=0.01, direction="lower"), 0.2, 0.3, np.full(10, 0.1))
    assert lower.status == "fail"
    missing = decide(Rule(metric="m"), 0.5, None, None)
    assert missing.status == "fail"


def test_record_json_is_stable_for_consumers(runs):
    data = json.loads((runs / "base.json").read_text())
    item = data["items"][0]
    assert {"id", "group", "inputs", "gold", "prediction", "status", "error", "scores"} <= set(item)
    assert RunRecord.model_validate(data).gold_fingerprint == data["gold_fingerprint"]
