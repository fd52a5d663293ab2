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
    failed = [line for line in r.stdout.splitlines() if "| FAIL: " in line]  # plain text in a terminal
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


def _signal_record(path):
    """A run scoring a declared single_label signal and genres with a taxonomy (hier_f1 exists)."""
    from linernotes.evals.record import ItemResult

    tasks = [{"name": "subject", "kind": "single_label", "gold_field": "subject", "signal": "subject"},
             {"name": "genres", "kind": "multilabel", "gold_field": "gold_genres", "taxonomy": "music-genres"}]
    items = [ItemResult(id=f"i{n}", group=f"g{n % 5}", gold={"subject": "love" if n % 2 else "loss",
                                                              "genres": ["rock"]},
                        prediction={"signals": {"subject": {"value": "love", "confidence": 0.8}}, "genres": ["rock"],
                                    "confidence": {"genres": 0.7}, "provenance": {"latency_s": 1.0}})
             for n in range(20)]
    score_record(RunRecord(spec="signal", gold_fingerprint="f", tasks=tasks, items=items), resamples=100).save(path)
    return path


def test_a_misspelt_metric_is_an_error_naming_the_rule_and_the_known_names(liner, tmp_path):
    run = _signal_record(tmp_path / "run.json")
    rules = tmp_path / "gates.yaml"
    rules.write_text("rules:\n  - metric: subject.accuracy\n  - metric: subject.acuracy\n    max_drop: 0.05\n")
    r = liner(["gate", str(run), str(run), "--config", str(rules)])
    assert r.returncode == 2, r.stdout
    assert f"{rules}: rule 2 (metric: subject.acuracy): task subject (single_label, signal subject) has no metric " \
           "'subject.acuracy'; known: " in r.stderr
    assert "subject.accuracy" in r.stderr and "subject.coverage" in r.stderr and "subject.macro_f1" in r.stderr
    # every metric the scoring code can give passes the check: hierarchical F1 (only with a
    # taxonomy), baselines' metrics, run-wide ones; a rule for a task this run lacks is n/a, and says so
    rules.write_text("rules:\n  - metric: genres.hier_f1\n  - metric: subject.coverage\n  - metric: run.failure_rate\n"
                     "    direction: lower\n  - metric: baseline.shortlist_top1.subject.accuracy\n"
                     "  - metric: valence.pearson\n")
    r = liner(["gate", str(run), str(run), "--config", str(rules)])
    assert r.returncode == 0, r.stdout + r.stderr
    assert "this run has no task 'valence' (its tasks: subject, genres)" in r.stdout  # plain text
    for bad in ("run.failure_rte", "genres.hier_f2", "baseline.vote.genres.micro_f2"):
        rules.write_text(f"rules:\n  - metric: {bad}\n")
        r = liner(["gate", str(run), str(run), "--config", str(rules)])
        assert r.returncode == 2 and f"{rules}: rule 1 (metric: {bad}):" in r.stderr, (bad, r.stdout, r.stderr)


@pytest.mark.parametrize("text", ["rules:\n  - metric: topic.accuracy\n  - metric: valence.pearson\n",
                                  "rules: []\n"])
def test_a_gate_where_no_rule_applies_is_an_error_not_a_pass(liner, tmp_path, text):
    """A task name the run lacks makes its rule not applicable; when no rule applies at all the
    gate checked nothing and must not pass (it printed PASS, exit 0). (A near-miss of a task of the
    run, 'subjct', is refused by name first: test_gate_rule_task_spelling.py.)"""
    run = _signal_record(tmp_path / "run.json")
    rules = tmp_path / "gates.yaml"
    rules.write_text(text)
    r = liner(["gate", str(run), str(run), "--config", str(rules)])
    assert r.returncode == 2, r.stdout + r.stderr
    assert f"{rules}: no rule applies to this run (its tasks: subject, genres)" in r.stderr
    assert "PASS" not in r.stdout


def test_terminal_output_is_plain_text_and_the_report_file_markdown(liner, runs, tmp_path):
    """The terminal shows what the record says (no ``\\_`` or ``\\(``, no ``**``/``##``/HTML); the
    --report file keeps the escaped markdown a PR comment needs; control characters are inert in both."""
    rec = RunRecord.load(runs / "base.json")
    hostile = rec.model_copy(update={"model": "my_model (v2)\x1b[31m", "spec": "synthetic"})
    hostile.save(tmp_path / "h.json")
    r = liner(["gate", str(runs / "base.json"), str(runs / "worse.json"), "--report", str(tmp_path / "r.md")])
    assert r.returncode == 1
    for marker in ("\\_", "\\(", "**", "<details>", "## "):
        assert marker not in r.stdout, marker
    assert "liner gate: ❌ REGRESSION" in r.stdout.splitlines()[0]
    md = (tmp_path / "r.md").read_text()
    assert md.startswith("## liner gate") and "**FAIL**" in md and "<details>" in md
    rules = tmp_path / "g.yaml"
    rules.write_text("rules:\n  - metric: run.failure_rate\n    direction: lower\n")
    r = liner(["gate", str(runs / "base.json"), str(tmp_path / "h.json"), "--config", str(rules),
               "--report", str(tmp_path / "h.md")])
    assert "my_model (v2)U+001B[31m" in r.stdout and "\x1b" not in r.stdout
    assert "my_model \\(v2\\)U+001B\\[31m" in (tmp_path / "h.md").read_text()  # escaped for markdown


@pytest.mark.parametrize("spec", ["bandcamp-genres", "vader-valence", "policy-prompts"])
def test_every_metric_of_a_shipped_dev_report_is_a_known_name(spec):
    """The derived names cover what real runs produce (hier_f1, human_*, raters_alpha, baselines)."""
    from pathlib import Path

    from linernotes.evals.metric_names import unknown_metric
    from linernotes.evals.spec import load_spec

    report = Path(__file__).resolve().parents[2] / "evals" / "reports" / f"{spec}.dev.seed0.n300.metrics.json"
    names = json.loads(report.read_text(encoding="utf-8"))["metrics"]
    assert any(".hier_f1" in n or ".human_" in n or ".flag_recall" in n for n in names)
    assert [n for n in names if unknown_metric(n, load_spec(spec).tasks)] == []


def test_per_item_regressions_are_listed_for_a_declared_signal_too(liner, tmp_path):
    run = _signal_record(tmp_path / "run.json")
    worse = RunRecord.load(run)
    for it in worse.items:
        it.prediction["signals"]["subject"]["value"] = "other"
    worse.save(tmp_path / "worse.json")
    rules = tmp_path / "g.yaml"
    rules.write_text("rules:\n  - metric: subject.accuracy\n    max_drop: 0.05\n")
    r = liner(["gate", str(run), str(tmp_path / "worse.json"), "--config", str(rules)])
    assert r.returncode == 1, r.stdout + r.stderr
    rows = r.stdout.split("biggest per-item regressions:")[1]
    assert "| subject.correct | 1.000 → 0.000 |" in rows
