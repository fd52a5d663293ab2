"""Which gold specs one ``liner fit`` (without ``--signals``) can take, checked before anything is tagged.

A fusion artifact holds one combiner per built-in field (genres, valence, policy). The fit
loops over the specs' tasks and stores each task's combiner under its field, so:

- a task scoring a declared signal (``signal: NAME``) has no built-in field: a single-label or
  scalar one ended the fit in a traceback (``KeyError: 'single_label'``, exit 1), and a multilabel
  one was fitted as the genres combiner on the signal's labels;
- two valence or policy tasks (two specs, or one spec) each fitted a combiner, and the second
  replaced the first without a word, exit 0, while the first spec's cross-fitted record stayed
  in ``cv/``. Multilabel tasks of several specs are fitted as one pooled combiner; two in one
  spec are not;
- a ``--negatives`` spec with a policy task of its own (``--negatives policy-prompts``) added
  every labelled unsafe prompt as a clean ``none`` item too: contradictory rows, and a policy
  combiner with out-of-fold accuracy 0.25 (0.44 without them), exit 0;
- a ``--negatives`` spec whose gold data is not there (a fresh clone: the shipped specs' data lives
  in ``../shared/data``, outside the repository) said "pass --data PATH", but ``--data`` replaces
  the fitted spec's gold, not the negatives';
- a ``--limit`` below two items per fold tagged the whole sample with the LLM and was then
  refused ("only 4 answered items carry valence gold; fitting needs at least 10").
"""

from __future__ import annotations

from linernotes.evals.spec import GoldSpec, SpecError, resolve_data
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


def check_negatives(negatives: list[str]) -> None:
    """Raise SpecError for a ``--negatives`` source whose spec has a policy task: its items carry
    policy categories of their own, so they are not clean text (its ``none`` items already are
    negatives when it is fitted as a spec); or whose gold data is missing, naming the file, where
    it was looked for and how to give clean items instead."""
    from linernotes.evals.fit import NegativesSource
    from linernotes.evals.spec import load_spec

    for text in negatives:
        spec = load_spec(NegativesSource.parse(text).spec)
        task = next((t for t in spec.tasks if t.kind == "policy"), None)
        if task is not None:
            raise SpecError(f"--negatives {text}: spec {spec.name} has a policy task ({task.name}, gold column "
                            f"{task.gold_field!r}): its items are labelled prompts, not clean text, and each would "
                            "also be a 'none' item; fit it as a spec (its 'none' items are negatives already), or "
                            "give a spec of clean items such as bandcamp-genres")
        where = f"{spec.origin}" if spec.origin else f"the spec {spec.name}"
        try:
            resolve_data(spec, remedy="the negatives are read from that file"
                         f"{' (' + spec.attribution + ')' if spec.attribution else ''}: put it there, or give "
                         f"--negatives a spec YAML of your own whose data: is a catalog of clean items you have "
                         f"(a copy of {where} with data: changed)")
        except SpecError as e:
            raise SpecError(f"--negatives {text}: {e}") from None


def check_sample_size(limit: int | None, folds: int, runs: list[object]) -> None:
    """Raise SpecError when ``--limit`` LLM-tagged items cannot reach the two per fold each combiner
    needs (``evals.fit``), so nothing is tagged for a fit that must be refused afterwards. With
    ``--run`` records the sample is theirs (read, not tagged), and its size is checked by the fit."""
    if runs or limit is None or limit >= 2 * folds:
        return
    raise SpecError(f"--limit {limit}: each combiner is fitted on at least {2 * folds} LLM-tagged items of the "
                    f"sample (two per fold, --folds {folds}), so the sample would be tagged and the fit then "
                    f"refused; give --limit {2 * folds} or more, or fewer --folds")
