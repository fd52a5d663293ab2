"""Which record field a built-in gold task scores and ``liner fit`` fits is read from ONE place,
``signals.builtin`` (``TASK_FIELD`` / ``field_for_task``); scoring and fitting each had their own
copy of the map (``CONFIDENCE_FIELD``, ``KIND_FIELD``)."""

from __future__ import annotations

from linernotes.evals import fit
from linernotes.evals.record import ItemResult
from linernotes.evals.scoring import task_scores
from linernotes.evals.spec import TaskSpec
from linernotes.signals import builtin


def _items() -> list[ItemResult]:
    # genres right on every item; its confidence says so, the moods confidence says the opposite
    return [ItemResult(id=f"i{n}", gold={"genres": ["techno"]},
                       prediction={"genres": ["techno"], "confidence": {"genres": 1.0, "moods": 0.0}})
            for n in range(4)]


def test_a_builtin_tasks_confidence_and_fitted_field_follow_signals_builtin(monkeypatch) -> None:
    task = TaskSpec(name="genres", kind="multilabel", gold_field="gold_genres")
    assert builtin.field_for_task("multilabel") == "genres" and fit.KIND_FIELD["multilabel"] == "genres"
    assert task_scores(task, _items()).stats["genres.ece"].point() == 0.0  # confident and right

    monkeypatch.setitem(builtin.TASK_FIELD, "multilabel", "moods")  # the one map changes ...
    assert fit.KIND_FIELD["multilabel"] == "moods"  # ... and fitting ...
    assert task_scores(task, _items()).stats["genres.ece"].point() == 1.0  # ... and scoring follow it
