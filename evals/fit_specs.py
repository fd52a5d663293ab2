"""Which gold specs one ``liner fit`` (without ``--signals``) can take, checked before anything is tagged.

A fusion artifact holds one combiner per built-in field (genres, valence, policy). The fit
loops over the specs' tasks and stores each task's combiner under its field, so:

- a task scoring a declared signal (``signal: NAME``) has no built-in field: a single-label or
  scalar one ended the fit in a traceback (``KeyError: 'single_label'``, exit 1), and a multilabel
  one was fitted as the genres combiner on the signal's labels;
- two valence or policy tasks (two specs, or one spec) each fitted a combiner, and the second
  replaced the first without a word, exit 0, while the first spec's cross-fitted record stayed
  in ``cv/``. Multilabel tasks of several specs are fitted as one pooled combiner; two in one
  spec are not.
"""

from __future__ import annotations

from linernotes.evals.spec import GoldSpec, SpecError
from linernotes.signals.builtin import TASK_FIELD


def check_fit_specs(specs: list[GoldSpec]) -> None:
    """Raise SpecError naming the spec file and task when the specs cannot be fitted together."""
    owner: dict[str, tuple[str, str]] = {}  # field -> (spec, task) fitting it
    for spec in specs:
        where = spec.origin or spec.name
        for i, task in enumerate(spec.tasks):
            if task.signal is not None:
                raise SpecError(f"{where}: tasks[{i}] ({task.name}) scores the declared signal {task.signal!r}; "
                                "liner fit without --signals fits the built-in fields (genres, valence, policy); "
                                "fit its spec alone with --signals SIGNALS.yaml")
            field = TASK_FIELD[task.kind]
            first = owner.setdefault(field, (spec.name, task.name))
            if first == (spec.name, task.name):
                continue
            if task.kind == "multilabel" and first[0] != spec.name:
                continue  # pooled into one combiner across specs
            raise SpecError(f"{where}: tasks[{i}] ({task.name}) is a second {task.kind} task of this fit (spec "
                            f"{first[0]} task {first[1]} is the first): an artifact holds one {field} combiner, "
                            "and the second would replace the first; fit them into separate -o folders, or "
                            "merge their gold into one spec")
