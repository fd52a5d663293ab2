"""The bootstrap's memory does not grow with the resamples' chunk: a chunk's totals are (b, columns),
and with few clusters and many columns (per-label statistics) one chunk of 20,000 resamples held
2.1 GB in ``liner eval bandcamp-genres --limit 40`` (100,000: an OOM kill of a 2-core box). Chunks
are now bounded by ``CHUNK_CELLS`` in both shapes (562 MB at 20,000 and 592 MB at 100,000 on the
same run), with the same draws (the run's metrics and CIs came out equal); and --resamples is bounded by one constant in eval, fit and gate."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from scipy import sparse
from typer.testing import CliRunner

import linernotes.evals.bootstrap as bs
from linernotes.cli import eval_cmd
from linernotes.cli.app import app
from linernotes.evals.fit import FitOptions
from linernotes.evals.gate import GateError, load_rules, run_gate
from linernotes.evals.run import EvalOptions

BASELINE = Path(__file__).resolve().parents[2] / "evals" / "baselines" / "ci-slice.json"


def _stats(n_items: int, columns: int) -> dict[str, bs.SumStat]:
    rng = np.random.default_rng(0)
    x = sparse.random(n_items, columns, density=0.2, random_state=1, format="csr")
    return {"m": bs.SumStat(x, lambda t: t.sum(axis=1), False), "n": bs.SumStat(rng.random((n_items, 3)),
                                                                              lambda t: t[:, 0] / (1 + t[:, 1]), False)}


def test_a_chunk_is_bounded_by_its_columns_too_and_the_values_do_not_depend_on_it(monkeypatch) -> None:
    stats, codes = _stats(12, 500), np.arange(12) % 6
    whole = [np.concatenate(v) for v in zip(*[(c["m"], c["n"]) for c in bs.resample_totals(stats, codes, 900, 3)],
                                            strict=True)]
    monkeypatch.setattr(bs, "CHUNK_CELLS", 50_000)  # 100 resamples of 503 columns per chunk
    chunks = list(bs.resample_totals(stats, codes, 900, 3))
    assert max(len(c["m"]) for c in chunks) * 503 <= 50_000 and len(chunks) >= 9
    # the same draws; the totals' matrix product may round differently by its shape (BLAS blocking)
    np.testing.assert_allclose(np.concatenate([c["m"] for c in chunks]), whole[0], rtol=1e-12, atol=0)
    np.testing.assert_allclose(np.concatenate([c["n"] for c in chunks]), whole[1], rtol=1e-12, atol=0)


def test_one_bound_for_every_command_and_the_options_models() -> None:
    assert eval_cmd.MAX_RESAMPLES == bs.MAX_RESAMPLES  # the CLI spells it to keep numpy out of option parsing
    runner = CliRunner()
    for args in (["eval", "ci-slice", "-o", "x.json"], ["fit", "ci-slice", "-o", "fit-x"],
                 ["gate", str(BASELINE), str(BASELINE)]):
        r = runner.invoke(app, [*args, "--resamples", str(bs.MAX_RESAMPLES + 1)])
        assert r.exit_code == 2 and "--resamples" in r.output, (args, r.output)
    for model, extra in ((EvalOptions, {"spec": "x", "output": Path("r.json")}),
                         (FitOptions, {"specs": ["x"], "output": Path("f")})):
        with pytest.raises(ValueError, match="less than or equal to 100000"):
            model(**extra, resamples=bs.MAX_RESAMPLES + 1)
    with pytest.raises(GateError, match="at most 100,000"):
        run_gate(BASELINE, BASELINE, load_rules(None), resamples=bs.MAX_RESAMPLES + 1)
