"""A gates rule whose task is a misspelling of one of the run's tasks is refused, not skipped.

A rule naming no task of the run is not applicable (one gates file may serve several specs), so
'genre.micro_f1' (a letter short), 'Genres.Micro_F1', ' genres.micro_f1' or a fullwidth 'ｇenres'
beside any rule that did apply (run.failure_rate) let a run whose genres fell from 0.95 to 0
pass with exit 0 (found by QA). Now: exit 2 naming the rule and the task it reads as; a rule for
another spec's task (examples/signals/gates.yaml's 'subject' on the CI slice) still does not apply.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from linernotes.evals.gate import GateError, load_rules, misspelt_task, run_gate
from tests.conftest import run_liner_in_process

REPO = Path(__file__).resolve().parents[2]
BASELINE = REPO / "evals" / "baselines" / "ci-slice.json"


@pytest.fixture(scope="module")
def degraded(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The committed baseline with every genre answer wrong and every valence negated."""
    record = json.loads(BASELINE.read_text(encoding="utf-8"))
    for it in record["items"]:
        if it.get("prediction"):
            it["prediction"]["genres"] = ["polka"]
            if it["prediction"].get("valence") is not None:
                it["prediction"]["valence"] = -it["prediction"]["valence"]
    path = tmp_path_factory.mktemp("gate-spelling") / "candidate.json"
    path.write_text(json.dumps(record), encoding="utf-8")
    return path


def _rules(tmp_path: Path, metric: str) -> Path:
    path = tmp_path / "gates.yaml"
    path.write_text(f"rules:\n  - metric: {json.dumps(metric)}\n  - metric: run.failure_rate\n", encoding="utf-8")
    return path


@pytest.mark.parametrize(("metric", "task"), [
    ("genre.micro_f1", "genre"), ("Genres.Micro_F1", "Genres"), (" genres.micro_f1", " genres"),
    ("\uff47enres.micro_f1", "\uff47enres"), ("vaelnce.mae", "vaelnce"), ("polcy.accuracy", "polcy"),
    ("baseline.exemplar_vote.genre.micro_f1", "genre"),
])
def test_a_misspelt_task_is_refused_naming_the_rule(tmp_path: Path, degraded: Path, metric: str, task: str) -> None:
    path = _rules(tmp_path, metric)
    with pytest.raises(GateError) as err:
        run_gate(BASELINE, degraded, load_rules(path), resamples=200)
    msg = str(err.value)
    assert msg.startswith(f"{path}: rule 1 (metric: {metric!r}): task {task!r} is no task of this run"), msg


def test_the_cli_exits_2_instead_of_passing(tmp_path: Path, degraded: Path) -> None:
    r = run_liner_in_process(["gate", BASELINE, degraded, "--config", _rules(tmp_path, "genre.micro_f1"),
                              "--resamples", "200"])
    assert r.returncode == 2, r.stdout + r.stderr
    assert "reads as its task 'genres'" in r.stderr


def test_another_specs_task_still_does_not_apply(tmp_path: Path) -> None:
    result = run_gate(BASELINE, BASELINE, load_rules(_rules(tmp_path, "subject.accuracy")), resamples=200)
    assert result.passed and result.outcomes[0].status == "not_applicable"


@pytest.mark.parametrize(("prefix", "near"), [
    ("genre", "genres"), ("genress", "genres"), ("gnere", None), ("gneres", "genres"), ("RUN", "run"),
    ("subject", None), ("mood", None), ("ru", None), ("rationale ", "rationale"),
])
def test_what_counts_as_a_misspelling(prefix: str, near: str | None) -> None:
    assert misspelt_task(prefix, ["genres", "valence", "policy"]) == near
