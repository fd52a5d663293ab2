"""--seed outside numpy's and scikit-learn's range (0 .. 2**32 - 1) is refused as a bad option
before any work (exit 2, naming --seed), in eval, fit and gate. Before: ``liner eval --seed -5``
tagged the whole gold set, then said "liner: error: expected non-negative integer"; ``liner gate
--seed -1`` printed a Python traceback; ``liner fit --seed 4294967296`` failed in its folds."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError

from linernotes.evals.fit import FitOptions
from linernotes.evals.run import EvalOptions
from linernotes.evals.spec import SEED_MAX
from tests.conftest import run_liner_in_process


@pytest.mark.parametrize("args", [["eval", "vader-valence", "-o", "{d}/run.json", "--llm", "never", "--limit", "5"],
                                  ["fit", "vader-valence", "-o", "{d}/fus", "--limit", "5"],
                                  ["gate", "{d}/a.json", "{d}/b.json"]])
@pytest.mark.parametrize("seed", ["-1", str(SEED_MAX + 1)])
def test_a_seed_out_of_range_is_a_bad_option(tmp_path: Path, args: list[str], seed: str) -> None:
    r = run_liner_in_process([a.format(d=tmp_path) for a in args] + ["--seed", seed])
    assert r.returncode == 2, r.stdout + r.stderr
    assert "--seed" in r.stderr and "Traceback" not in r.stderr + r.stdout
    assert list(tmp_path.iterdir()) == []  # nothing tagged, nothing written


def test_the_options_models_bound_the_seed_too(tmp_path: Path) -> None:
    for bad in (-1, SEED_MAX + 1):
        with pytest.raises(ValidationError):
            EvalOptions(spec="x", output=tmp_path / "r.json", seed=bad)
        with pytest.raises(ValidationError):
            FitOptions(specs=["x"], output=tmp_path / "f", seed=bad)
    assert EvalOptions(spec="x", output=tmp_path / "r.json", seed=SEED_MAX).seed == SEED_MAX
