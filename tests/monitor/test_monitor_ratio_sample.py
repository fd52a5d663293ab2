"""The monitor's per-item ratios (tokens, cost, LLM latency p95) alert only when both runs have at
least ``min_items`` items behind them, as its label and confidence shifts do: a window of 1 or 2
paid items makes a ratio of nothing. Before, a current run whose one paid item used 3x the tokens
of 40 paid baseline items paged (exit 1): 'tokens per item (ratio) 3.000 > 1.5'."""

from __future__ import annotations

from linernotes.monitor.compare import compare
from linernotes.monitor.thresholds import Thresholds, load_thresholds
from linernotes.schema import OutputRecord
from linernotes.sinks.table import to_table

CONF = dict.fromkeys(("genres", "moods", "valence", "language", "explicit", "policy"), 0.9)
RATIOS = ("tokens per item (ratio)", "cost per item (ratio)", "LLM latency p95 (ratio)")


def _rec(i: int, tokens: int, cost: float, latency: float, cache_hit: bool = False) -> dict:
    enrichment = {"genres": ["house"], "moods": ["happy"], "valence": 0.1, "language": "en",
                  "explicit": {"value": False, "evidence": []}, "confidence": CONF,
                  "review": {"routed": False, "reasons": []},
                  "provenance": {"model": "m", "prompt_hash": "h", "tokens_in": tokens, "tokens_out": 0,
                                 "cost_usd": cost, "latency_s": latency, "llm_calls": 1, "cache_hit": cache_hit}}
    return OutputRecord.model_validate({"id": f"r{i}", "status": "ok", "enrichment": enrichment}).model_dump(mode="json")


def _run(paid: int, tokens: int, cost: float, latency: float, cached: int = 0):
    """``paid`` items that called the LLM, then ``cached`` served from the cache (no tokens, no time)."""
    recs = [_rec(i, tokens, cost, latency) for i in range(paid)]
    recs += [_rec(paid + i, 0, 0.0, 0.0, cache_hit=True) for i in range(cached)]
    return to_table(recs)


def _ratios(base, cur, th: Thresholds | None = None) -> dict:
    return {c.name: c for c in compare(base, cur, th or load_thresholds()).checks if c.name in RATIOS}


def test_a_ratio_over_too_few_items_is_reported_not_alerted() -> None:
    base = _run(40, tokens=100, cost=0.001, latency=1.0)
    for paid in (1, 2):
        # 40 ok items in the current run too (the label checks' count), but only 1 or 2 called the LLM
        got = _ratios(base, _run(paid, tokens=300, cost=0.003, latency=5.0, cached=40 - paid))
        for name in RATIOS:
            assert got[name].value > got[name].threshold, (name, "the ratio crosses its threshold...")
            assert not got[name].crossed, got[name]
            assert got[name].note == f"fewer than 20 items on a side (40, {paid}): reported, not alerted"


def test_a_ratio_over_enough_items_still_alerts() -> None:
    base = _run(40, tokens=100, cost=0.001, latency=1.0)
    got = _ratios(base, _run(20, tokens=300, cost=0.003, latency=5.0))
    assert all(got[name].crossed for name in RATIOS), got
    # the count is the thresholds file's min_items
    lenient = load_thresholds().model_copy(update={"min_items": 2})
    got = _ratios(base, _run(2, tokens=300, cost=0.003, latency=5.0, cached=38), lenient)
    assert all(got[name].crossed for name in RATIOS), got


def test_the_runs_table_says_how_many_items_the_figures_are_over() -> None:
    cmp = compare(_run(40, 100, 0.001, 1.0), _run(2, 300, 0.003, 5.0, cached=38), load_thresholds())
    assert (cmp.baseline.paid, cmp.current.paid) == (40, 2)
    assert (cmp.baseline.timed, cmp.current.timed) == (40, 2)
