"""``liner review stats``: agreement over a gold set (its raters, plus the model if a run is given) or a store."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from linernotes.review.agreement import AgreementReport, gold_agreement, store_agreement
from linernotes.review.fields import signal_field
from linernotes.review.sources import SourceError, load_source
from linernotes.review.store import ReviewStore


def agreement_stats(gold: str | Path | None = None, run: str | Path | None = None,
                    store: str | Path | None = None, signals: list[Any] | None = None) -> list[AgreementReport]:
    """One report per source given: the gold set's raters (with the model as annotator), the store.
    ``signals`` (declared ``SignalSpec``s): the gold set's fields are those signals' columns (a
    gold set exported from a labelling store has no built-in field review would find)."""
    if gold is None and run is None and store is None:
        raise SourceError("give --gold, --run or --store")
    reports = []
    if gold is not None or run is not None:
        source = load_source(run=run, gold=gold, signal_fields=[signal_field(s) for s in signals] if signals else None)
        predictions = {i.id: i.prediction for i in source.items if i.prediction}
        report = gold_agreement([i.gold_row for i in source.items], source.fields, predictions,
                                source=str(gold or run))
        report.notes = source.notes + report.notes  # rows left out (unreadable, repeated ids) are named, not dropped unseen
        reports.append(report)
    if store is not None:
        reports.append(store_agreement(ReviewStore(store)))
    return reports
