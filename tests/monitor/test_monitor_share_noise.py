"""The monitor's share checks (routed share, error rate, a new error kind) alert only beyond
sampling noise, as its label and confidence checks do. A current run of 1 item paged (exit 1):
'routed share (abs. change) 0.125 > 0.100' from 0 of 1 routed against 1 of 8."""

from __future__ import annotations

import pytest

from linernotes.monitor.compare import compare, share_p_value
from linernotes.monitor.thresholds import load_thresholds
from linernotes.schema import OutputRecord
from linernotes.sinks.table import to_table

CONF = dict.fromkeys(("genres", "moods", "valence", "language", "explicit", "policy"), 0.9)


def _rec(i: int, routed: bool = False, error: str | None = None) -> dict:
    if error:
        return {"id": f"r{i}", "status": "error", "enrichment": None,
                "error": {"kind": error, "message": "x", "line": i + 1, "source": None}}
    enrichment = {"genres": ["house"], "moods": ["happy"], "valence": 0.1, "language": "en",
                  "explicit": {"value": False, "evidence": []}, "confidence": CONF,
                  "review": {"routed": routed, "reasons": ["low confidence"] if routed else []},
                  "provenance": {"model": "m", "prompt_hash": "h"}}
    return OutputRecord.model_validate({"id": f"r{i}", "status": "ok", "enrichment": enrichment}).model_dump(mode="json")


def _run(n: int, routed: int = 0, errors: int = 0, kind: str = "llm.rate_limit"):
    return to_table([_rec(i, routed=i < routed, error=kind if i >= n - errors else None) for i in range(n)])


def _check(base, cur, prefix: str):
    return next(c for c in compare(base, cur, load_thresholds()).checks if c.name.startswith(prefix))


@pytest.mark.parametrize(("base", "cur"), [((8, 1), (1, 0)), ((8, 0), (1, 1)), ((40, 4), (3, 2)), ((5, 0), (5, 2))])
def test_a_routed_share_change_within_sampling_noise_is_reported_not_alerted(base, cur):
    check = _check(_run(base[0], routed=base[1]), _run(cur[0], routed=cur[1]), "routed share")
    assert check.value > 0.10, "the change crosses the threshold..."
    assert not check.crossed and "within sampling noise" in check.note, check


@pytest.mark.parametrize(("base", "cur"), [((8, 0), (1, 1)), ((50, 1), (4, 1))])
def test_errors_within_sampling_noise_are_reported_not_alerted(base, cur):
    b, c = _run(base[0], errors=base[1], kind="llm.timeout"), _run(cur[0], errors=cur[1])
    cmp = compare(b, c, load_thresholds())
    assert [ch.name for ch in cmp.alerts] == [], cmp.checks
    assert next(ch for ch in cmp.checks if ch.name == "error rate (abs. change)").value > 0.05


def test_real_shifts_still_alert():
    assert _check(_run(200, routed=20), _run(100, routed=40), "routed share").crossed  # 10% -> 40%
    cmp = compare(_run(8), _run(5, errors=5), load_thresholds())  # an outage: every record an error
    assert {"error rate (abs. change)", "new error kind: llm.rate_limit"} <= {c.name for c in cmp.alerts}
    cmp = compare(_run(200), _run(200, errors=50), load_thresholds())
    assert {"error rate (abs. change)", "new error kind: llm.rate_limit"} <= {c.name for c in cmp.alerts}


def test_the_share_p_value_is_fishers_exact_test():
    # hypergeometric by hand: 0 of 8 vs 1 of 1 -> only the observed table is as extreme: 1/9
    assert share_p_value((0, 8), (1, 1)) == pytest.approx(1 / 9)
    assert share_p_value((3, 10), (3, 10)) == pytest.approx(1.0)
    assert share_p_value((0, 0), (1, 1)) == 1.0
