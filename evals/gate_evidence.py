"""Does the candidate carry the evidence the ``beats_baseline`` rule's baselines are built from?

The evidence-only baselines (``evals.metrics.baselines``) are built from each record's own
``prediction.evidence``. A candidate whose evidence was stripped (or whose tagger stopped
collecting it) had those baselines skipped or scored as empty, so it was compared with the label
prior alone and a worse tagger passed. The gate therefore checks, per baseline the rule needs,
that every item on which the BASELINE run carried that baseline's evidence still carries it in
the candidate.

``evidence_gaps(metric, tasks, base_items, cand_items)`` returns one ``EvidenceGap`` per
baseline with items lacking evidence (empty when none do). Items are aligned (same order, same
ids; ``gate.align``); only items with gold for the rule's task count. An item the candidate failed on (no prediction) is not counted: the record
and every baseline score it as empty alike, and ``run.failure_rate`` guards failures.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from pydantic import BaseModel

from linernotes.evals.metric_names import metric_task

Getter = Callable[[dict[str, Any]], Any]


def _evidence(key: str) -> Getter:
    return lambda pred: (pred.get("evidence") or {}).get(key)


def _signal_shortlist(name: str) -> Getter:
    return lambda pred: ((((pred.get("signals") or {}).get(name) or {}).get("evidence")) or {}).get("shortlist")


# per task kind: {baseline: the evidence key it is built from} (label_prior reads gold data, no evidence)
NEEDS = {"multilabel": {"exemplar_vote": "exemplars", "shortlist_top1": "genres", "shortlist_top3": "genres"},
         "valence": {"lexical": "lexical_valence"}, "policy": {"lexicon": "policy_hits"}}


class EvidenceGap(BaseModel):
    baseline: str
    task: str
    evidence: str = ""  # the key path the baseline is built from
    lacking: int  # candidate items (with a prediction) that lack it where the baseline run had it
    of: int  # items on which the baseline run carried it


def needed(task: dict[str, Any]) -> dict[str, tuple[str, Getter]]:
    """{baseline: (evidence path, getter)} for one of a record's task dicts."""
    if task.get("signal"):
        name = str(task["signal"])
        return {"shortlist_top1": (f"signals.{name}.evidence.shortlist", _signal_shortlist(name))}
    return {b: (f"evidence.{k}", _evidence(k)) for b, k in NEEDS.get(str(task.get("kind")), {}).items()}


def _present(value: Any) -> bool:
    # an empty list builds the same (empty) baseline prediction as a missing one
    return value is not None and not (isinstance(value, list | dict) and not value)


def evidence_gaps(metric: str, tasks: list[dict[str, Any]], base_items: list[Any],
                  cand_items: list[Any]) -> list[EvidenceGap]:
    """The baselines of ``metric``'s task the candidate cannot be compared with on every item."""
    task = next((t for t in tasks if t.get("name") == metric_task(metric)), None)
    if task is None:
        return []
    gaps = []
    for baseline, (path, get) in needed(task).items():
        # only items with gold for the task: the baseline is scored on no other
        had = [(b, c) for b, c in zip(base_items, cand_items, strict=True)
               if b.gold.get(task.get("name")) is not None and b.prediction is not None
               and _present(get(b.prediction))]
        lacking = sum(1 for _, c in had if c.prediction is not None and not _present(get(c.prediction)))
        if lacking:
            gaps.append(EvidenceGap(baseline=baseline, task=str(task.get("name")), evidence=path, lacking=lacking,
                                    of=len(had)))
    return gaps


def gap_reason(gaps: list[EvidenceGap]) -> str:
    """One line naming each baseline, its task and how many items lack its evidence."""
    parts = [f"{g.baseline} (task {g.task}): {g.lacking} of the {g.of} items that carry {g.evidence} in the "
             f"baseline run lack it in the candidate" for g in gaps]
    return ("cannot build the evidence-only baseline(s) the rule compares with from the candidate: "
            + "; ".join(parts) + "; the candidate must record the evidence its tools returned (a record without "
            "it would be compared with fewer baselines than the baseline run)")
