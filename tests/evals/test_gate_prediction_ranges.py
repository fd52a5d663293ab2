"""A candidate's self-reported numbers that the tagger never writes are refused by the gate.

Usage figures (latency, tokens, cost) come from the candidate's own records; a hand-edited
negative latency or token count moved the run's p50 latency or mean tokens below the baseline's,
so a run whose latency rose fivefold passed a ``run.latency_p50_s`` rule (exit 0, found by QA);
confidences and review levels above 1 or below 0 were scored as given. Now such a record is
exit 2 naming the item and the key, and records ``liner eval`` writes pass as before.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from linernotes.evals.gate import GateError, load_rules, run_gate

REPO = Path(__file__).resolve().parents[2]
BASELINE = REPO / "evals" / "baselines" / "ci-slice.json"


def _record(tmp: Path, name: str, edit: Any) -> Path:
    record = json.loads(BASELINE.read_text(encoding="utf-8"))
    for n, it in enumerate(record["items"]):
        if it.get("prediction"):
            edit(n, it["prediction"])
    path = tmp / name
    path.write_text(json.dumps(record), encoding="utf-8")
    return path


def _rules(tmp: Path, metric: str) -> Any:
    path = tmp / "gates.yaml"
    path.write_text(f"rules:\n  - metric: {metric}\n    direction: lower\n", encoding="utf-8")
    return load_rules(path)


def _latency(n: int, pred: dict, slow: float) -> None:
    pred["provenance"]["latency_s"] = slow if n % 2 else -100.0  # the edit: half the items "took" -100 s


def _tokens(n: int, pred: dict) -> None:
    pred["provenance"]["tokens_in"] = 5000 if n % 2 else -10**6


def test_a_negative_latency_no_longer_hides_a_slower_run(tmp_path: Path) -> None:
    base = _record(tmp_path, "base.json", lambda n, p: p["provenance"].update(latency_s=1.0))
    honest = _record(tmp_path, "honest.json", lambda n, p: p["provenance"].update(latency_s=5.0))
    forged = _record(tmp_path, "forged.json", lambda n, p: _latency(n, p, 5.0))
    rules = _rules(tmp_path, "run.latency_p50_s")
    assert not run_gate(base, honest, rules, resamples=200).passed  # the regression the forgery hid
    with pytest.raises(GateError, match=r"forged.json: not a run record of `liner eval`: item '[^']+': "
                                        r"prediction.provenance.latency_s: Input should be greater than or equal to 0"):
        run_gate(base, forged, rules, resamples=200)


@pytest.mark.parametrize(("edit", "key"), [
    (_tokens, "prediction.provenance.tokens_in: Input should be greater than or equal to 0"),
    (lambda n, p: p["provenance"].update(cost_usd=-1.0), "prediction.provenance.cost_usd"),
    (lambda n, p: p["confidence"].update(genres=5.0), "prediction.confidence.genres: Input should be less than or "
                                                      "equal to 1"),
    (lambda n, p: p["confidence"].update(valence=-0.2), "prediction.confidence.valence"),
    (lambda n, p: p["confidence"].update(thresholds={"genres": -0.5}), "prediction.confidence.thresholds.genres"),
])
def test_numbers_the_tagger_never_writes_are_refused(tmp_path: Path, edit: Any, key: str) -> None:
    cand = _record(tmp_path, "cand.json", edit)
    with pytest.raises(GateError) as err:
        run_gate(BASELINE, cand, load_rules(), resamples=200)
    assert key in str(err.value), str(err.value)


def test_a_record_liner_eval_wrote_still_passes_against_itself() -> None:
    assert run_gate(BASELINE, BASELINE, load_rules(), resamples=200).passed
