"""``liner fit SPEC --signals S.yaml``: fit declared signals' models from a gold spec's signal tasks.

The sample is an eval run of the spec (``--run RUN.json``, or tagged here exactly as ``liner eval``
would); each fittable signal task (``linernotes.signals.fit``) gets a cross-fitted model in
``FUSION_DIR/signals/<name>.json``, and the out-of-fold decisions are scored as a run record
``FUSION_DIR/cv/<spec>.signals.json`` (metrics with CIs, calibration, risk-coverage), so the
fitted signal is gated like any other (``liner gate``).
"""

from __future__ import annotations

import shlex
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from linernotes.config import TagConfig
from linernotes.evals.fit import MIN_DRAFTS, check_fusion_folder, check_run_gold
from linernotes.evals.gold import GoldItem, canonical_signal_gold, load_gold, to_tagger_item
from linernotes.evals.model_card import write_card
from linernotes.evals.record import RunRecord
from linernotes.evals.run import EvalOptions, evaluate, warn_signal_gold
from linernotes.evals.scoring import score_record
from linernotes.evals.signal_verdict import baseline_rows, losing_verdict, no_baseline_reason
from linernotes.evals.spec import GoldSpec, SpecError, check_signal_tasks, load_spec, resolve_data
from linernotes.files import refuse_shipped
from linernotes.fusion.artifact import id_digest
from linernotes.signals.fit import FITTABLE, FUSED, fit_fused, fit_signal, gold_problem, save_model


class SignalFitSummary(BaseModel):
    output: str
    models: dict[str, str]
    cv_record: str
    figures: dict[str, dict[str, Any]]
    skipped: dict[str, str]
    warnings: dict[str, list[str]] = {}  # signal name -> what the fit output must say about its model
    baselines: dict[str, list[str]] = {}  # signal name -> its out-of-fold figures beside each evidence-only baseline
    withheld: dict[str, str] = {}  # signal name -> why its model was not written (worse than its evidence)


def check_signal_versions(record: RunRecord, spec: GoldSpec, signals: list[Any], run: Path) -> None:
    """Refuse (SpecError) a ``--run`` record whose predictions of a signal the spec's tasks score
    were made under another definition of it than ``--signals`` gives now (the ``spec_hash`` in
    each value's provenance): the model learned from evidence of the old labels/instructions and
    was stamped with the new hash, so ``liner tag`` applied it to the new signal, exit 0."""
    now = {s.name: s.content_hash for s in signals}
    for task in spec.tasks:
        if task.signal is None or task.signal not in now:
            continue
        made = sorted({str(h) for it in record.items if it.prediction
                       for h in [(((it.prediction.get("signals") or {}).get(task.signal) or {}).get("provenance")
                                  or {}).get("spec_hash")] if h is not None} - {now[task.signal]})
        if made:
            raise SpecError(f"--run {run}: its values of signal {task.signal} were made with signal spec "
                            f"{', '.join(made)}; --signals defines it as {now[task.signal]} now (changed since the "
                            "eval?): evaluate the spec again with these --signals, then fit on that run")


def check_fittable_gold(spec: GoldSpec, items: list[Any], signals: list[Any], source: Path) -> None:
    """Refuse (SpecError naming ``source``, the gold file or ``--run`` record, and the task) a
    fittable signal task whose gold leaves nothing to learn (``signals.fit.gold_problem``: a scalar
    gold no wider than twice the task's tolerance, a boolean / single_label gold of one class). Run
    on the gold before anything is tagged: found after the sample, the LLM's work was for nothing,
    and a narrow scalar gold was fitted with exit 0 into a constant answered at calibrated 0.999.
    ``items``: objects with ``gold`` (GoldItem, ItemResult), their labels canonical."""
    declared = {s.name: s for s in signals}
    for task in spec.tasks:
        sig = declared.get(task.signal) if task.signal else None
        if sig is None or sig.kind not in FITTABLE:
            continue
        golds = [it.gold[task.name] for it in items if task.name in it.gold]
        if (why := gold_problem(sig, golds, task.tolerance)) is not None:
            raise SpecError(f"spec {spec.name}: {source}: task {task.name} (signal {sig.name}): {why}")


async def fit_signals(spec_name: str, config: TagConfig, output: Path, run: Path | None = None, folds: int = 5,
                      seed: int = 0, resamples: int = 1000, concurrency: int = 4,
                      overwrite_shipped: bool = False, command: str = "", data: Path | None = None,
                      limit: int | None = None, keep_worse: bool = False) -> SignalFitSummary:
    """Fit every fittable signal task of one gold spec (raises SpecError when none can be, when a
    task's gold leaves nothing to learn: ``check_fittable_gold``, or for an ``output`` that is not
    a fusion folder: ``evals.fit.check_fusion_folder``, or is inside a folder the package ships
    without ``overwrite_shipped``: ``files.refuse_shipped``). The sample is ``run``'s items, else
    ``limit`` items (None: all) of ``data`` (None: the spec's ``data:``) drawn with ``seed`` and
    tagged here; with both ``run`` and ``data``, the run must have been scored on that gold
    (``evals.fit.check_run_gold``). Writes ``output/signals/<name>.json``,
    ``output/cv/<spec>.signals.json`` and ``output/MODEL_CARD.md`` (``evals.model_card``;
    ``command``, default this process's arguments, is named in it).

    Each fitted model is judged against its evidence-only baselines on the cross-fitted record
    (``evals.signal_verdict``): one whose paired CI is entirely on the worse side of some baseline
    is not written (an older ``signals/<name>.json`` is removed), so the signal keeps its unfitted
    behaviour, marked uncalibrated; the reason goes to ``withheld``, the record and the card.
    ``keep_worse`` writes it anyway (the warning stays)."""
    refuse_shipped(output, SpecError, "-o", overwrite_shipped)
    try:
        check_fusion_folder(output)
    except ValueError as e:
        raise SpecError(f"-o {e}") from None
    spec = load_spec(spec_name)
    check_signal_tasks(spec, config.signals)
    if run is not None:
        record = RunRecord.load(run)
        if record.spec != spec.name:
            raise SpecError(f"--run {run} is a run of spec {record.spec!r}, not {spec.name!r}")
        if data is not None:  # --data then names the gold the run must have been scored on
            check_run_gold(record, run, spec, resolve_data(spec, data))
        check_signal_versions(record, spec, config.signals, run)
        warn_signal_gold(spec, record.items, config.signals, run)  # evaluate() warns for a fresh sample
        check_fittable_gold(spec, [it for it in record.items if it.prediction], config.signals, run)
    else:
        path = resolve_data(spec, data)
        gold = load_gold(spec, path, limit, seed)
        canonical_signal_gold(spec, gold.items, config.signals)
        check_fittable_gold(spec, gold.items, config.signals, path)
        sample = output / "cv" / f"{spec.name}.sample.json"
        record = await evaluate(EvalOptions(spec=spec_name, output=sample, data=data, limit=limit, seed=seed,
                                            concurrency=concurrency, resamples=resamples), config)
        record.save(sample)
    specs = {s.name: s for s in config.signals}
    patched = {it.id: dict(it.prediction) if it.prediction else None for it in record.items}
    models: dict[str, str] = {}
    skipped: dict[str, str] = {}
    warnings: dict[str, list[str]] = {}
    fitted: dict[str, tuple[str, Any]] = {}  # signal -> (task name, model), written once judged
    for task in spec.tasks:
        if task.signal is None:
            continue
        sig = specs[task.signal]
        if sig.kind not in FITTABLE:
            skipped[task.name] = f"{sig.kind} signals are not fittable yet"
            continue
        items = [it for it in record.items if it.prediction and task.name in it.gold]
        rows = []
        for it in items:
            val = ((it.prediction or {}).get("signals") or {}).get(task.signal) or {}
            answer = val.get("value") if (val.get("provenance") or {}).get("source") == "llm" else None
            rows.append((val.get("evidence") or {}, answer, it.gold[task.name], it.group or it.id))
        try:
            if sig.kind in FUSED:  # the built-ins' per-kind combiner, on the tagger's view of each item
                tagged = [(to_tagger_item(spec, GoldItem(id=it.id, group=it.group, inputs=it.inputs)), *row)
                          for it, row in zip(items, rows, strict=True)]
                drafts = sum(ans is not None for _, ans, _, _ in rows)
                model, oof = fit_fused(sig, tagged, task.tolerance, uses_draft=drafts >= MIN_DRAFTS, folds=folds,
                                       seed=seed)
            else:
                model, oof = fit_signal(sig, rows, folds=folds, seed=seed)
        except ValueError as e:
            skipped[task.name] = str(e)
            continue
        model.trained_on = [id_digest(it.id) for it in items]  # a later eval on them is in-sample: it says so
        if not model.is_calibrated():
            warnings.setdefault(task.signal, []).append(
                f"confidence uncalibrated ({model.uncalibrated_note()}); no review threshold was fitted: the spec's "
                "review_threshold routes its values")
        fitted[task.signal] = (task.name, model)
        models[task.signal] = str(output / "signals" / f"{task.signal}.json")
        for it, o in zip(items, oof, strict=True):
            if o is None:
                continue
            pred = patched[it.id]
            sigs = dict(pred.get("signals") or {})
            value: Any = (o[0] == "true") if sig.kind == "boolean" else o[0]
            calibrated = model.is_calibrated()  # too little gold: the raw probability, said so
            note = {} if calibrated else {"uncalibrated": model.uncalibrated_note()}
            sigs[task.signal] = {**sigs[task.signal], "value": value, "confidence": round(o[1], 4),
                                 "provenance": {**sigs[task.signal].get("provenance", {}), "calibrated": calibrated,
                                                "source": "fitted (out of fold)", **note}}
            patched[it.id] = {**pred, "signals": sigs}
    if not models:
        raise SpecError(f"spec {spec.name}: no signal task could be fitted ({skipped or 'none has a signal'})")
    items = [it.model_copy(update={"prediction": patched[it.id]}) for it in record.items]
    fit_info = {"models": models, "folds": folds, "command": command or " ".join(shlex.quote(a) for a in sys.argv),
                "created": datetime.now(UTC).isoformat(timespec="seconds")}
    cv = score_record(record.model_copy(update={"items": items, "metrics": {}, "extras": {"signal_fit": fit_info}}),
                      seed=seed, resamples=resamples)
    baselines: dict[str, list[str]] = {}
    withheld: dict[str, str] = {}
    for name, (task_name, model) in fitted.items():
        rows = baseline_rows(cv.extras, task_name)
        baselines[name] = [r.line() for r in rows] or [f"no evidence-only baseline ({no_baseline_reason(cv.extras, task_name)})"]
        if (why := losing_verdict(rows)) is None:
            save_model(model, output)
            continue
        if keep_worse:
            save_model(model, output)
            warnings.setdefault(name, []).append(f"{why}; written anyway (--keep-worse-signals)")
            continue
        withheld[name] = (f"{why}; the model was NOT written: {name} keeps its unfitted behaviour (uncalibrated) "
                          "under this fusion folder (pass --keep-worse-signals to write it anyway)")
        Path(models.pop(name)).unlink(missing_ok=True)  # an older fit's model must not ship in its place
    fit_info = {**fit_info, "models": models, "withheld": withheld}
    cv = cv.model_copy(update={"extras": {**cv.extras, "signal_fit": fit_info}})
    cv_path = output / "cv" / f"{spec.name}.signals.json"
    cv_path.parent.mkdir(parents=True, exist_ok=True)
    cv.save(cv_path)
    write_card(output)  # every fit output carries its card: a signals-only folder had none
    figures = {name: {k: v.value for k, v in cv.metrics.items() if k.startswith(f"{name}.")} for name in fitted}
    return SignalFitSummary(output=str(output), models=models, cv_record=str(cv_path), figures=figures,
                            skipped=skipped, warnings=warnings, baselines=baselines, withheld=withheld)
