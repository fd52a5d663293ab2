"""A declared signal's drift checks count the items that hold the signal, not every ok item (a new
user's monitor run): its ``applies_to`` may cover a few of the items, and 40 ok items of which 8
tracks held it alerted on those 8 (p 0.0005); a signal only one run was tagged with read 'n/a', no note."""

from __future__ import annotations

import json
from typing import Any

from linernotes.monitor.compare import compare
from linernotes.monitor.thresholds import load_thresholds
from linernotes.sinks.table import to_table
from linernotes.testing.stub_enricher import sample_enrichment


def _run(prefix: str, n: int, holders: int, label: str | None) -> Any:
    """``n`` ok records; the first ``holders`` hold signal ``decade`` = ``label`` (none when None)."""
    recs = []
    for i in range(n):
        e = json.loads(sample_enrichment().model_dump_json())
        if label is not None and i < holders:
            e["signals"] = {"decade": {"value": label, "confidence": 0.6, "evidence": {},
                                       "provenance": {"kind": "single_label", "spec_hash": "ab"}}}
        recs.append({"id": f"{prefix}{i}", "status": "ok", "enrichment": e})
    return to_table(recs)


def _checks(base: Any, cur: Any) -> dict[str, Any]:
    return {c.name: c for c in compare(base, cur, load_thresholds()).checks}


def test_a_signal_few_items_hold_is_reported_not_alerted():
    checks = _checks(_run("a", 40, 8, "1980s"), _run("b", 40, 8, "2010s"))
    shift = checks["label shift: signals.decade (JS divergence)"]
    assert shift.value == 1.0 and not shift.crossed  # every label moved, on 8 items a side
    assert shift.note == "fewer than 20 items hold it on a side (8, 8): reported, not alerted"
    held = _checks(_run("a", 40, 30, "1980s"), _run("b", 40, 30, "2010s"))
    assert held["label shift: signals.decade (JS divergence)"].crossed


def test_a_signal_only_one_run_holds_says_so():
    checks = _checks(_run("a", 40, 0, None), _run("b", 40, 40, "1980s"))
    check = checks["label shift: signals.decade (JS divergence)"]
    assert not check.crossed
    assert check.note == "no item of the baseline holds signals.decade (tagged without its --signals spec?)"
