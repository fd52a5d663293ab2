"""``liner fit``: parse, call ``linernotes.evals.fit``, print. No logic here."""

from __future__ import annotations

import asyncio
import shlex
from pathlib import Path
from typing import Annotated

import typer

from linernotes.cli.eval_cmd import MAX_RESAMPLES, SEED_MAX


def _command(specs, output, limit, seed, pool, negatives, run, folds, model, pool_size=None, data=None,
             api_base=None, resamples=1000) -> str:
    """The fit as a command a reader can rerun (goes into the model card): every option that
    changes what is fitted or reported (--data: another gold file; --resamples: the CIs)."""
    parts = ["liner", "fit", *specs, "-o", str(output), "--limit", str(limit), "--seed", str(seed),
             "--folds", str(folds), "--model", model]
    parts += ["--data", str(data)] if data is not None else []
    parts += ["--api-base", api_base] if api_base else []
    parts += ["--resamples", str(resamples)] if resamples != 1000 else []
    parts += ["--pool", str(pool)] if pool is not None else []
    for size in pool_size or []:
        parts += ["--pool-size", f"{size:g}"]
    for n in negatives or []:
        parts += ["--negatives", n]
    for r in run or []:
        parts += ["--run", str(r)]
    return " ".join(shlex.quote(p) for p in parts)


def _signals_command(specs, output, signals, run, folds, seed, resamples, model, api_base, data=None,
                     limit=None) -> str:
    """A signals fit as a command a reader can rerun (goes into the model card)."""
    parts = ["liner", "fit", *specs, "-o", str(output), "--folds", str(folds), "--seed", str(seed)]
    for s in signals:
        parts += ["--signals", str(s)]
    for r in run or []:
        parts += ["--run", str(r)]
    parts += ["--data", str(data)] if data is not None else []
    if not run:  # the sample is tagged by the fit: the model tags it, --limit items of the gold
        parts += ["--limit", str(limit)] if limit is not None else []
        parts += ["--model", model] + (["--api-base", api_base] if api_base else [])
    parts += ["--resamples", str(resamples)] if resamples != 1000 else []
    return " ".join(shlex.quote(p) for p in parts)


def _fit_signals(specs, output, signals, run, folds, seed, resamples, model, api_base, concurrency, threads,
                 overwrite_shipped=False, data=None, limit=None, unused=(), keep_worse=False) -> None:
    from linernotes.config import TagConfig
    from linernotes.evals.signal_fit import fit_signals
    from linernotes.evals.spec import SpecError
    from linernotes.llm.client import LLMConfig
    from linernotes.signals.spec import load_signals

    try:
        if len(specs) != 1 or len(run or []) > 1:
            raise SpecError("--signals fits one gold spec (and at most one --run record) at a time")
        if unused:  # they were ignored without a word: a fit the user did not ask for
            raise SpecError(f"{', '.join(unused)} do not apply to --signals (the built-in fusion's options): a "
                            "signal is fitted on its gold spec's items (--data, --limit, --seed) or on --run")
        llm = LLMConfig(model=model, api_base=api_base, threads=threads, parallel=min(concurrency, 8), seed=seed)
        config = TagConfig(llm=llm, fusion=None, signals=load_signals(signals))
        summary = asyncio.run(fit_signals(specs[0], config, output, (run or [None])[0], folds, seed, resamples,
                                          concurrency, overwrite_shipped,
                                          command=_signals_command(specs, output, signals, run, folds, seed,
                                                                   resamples, model, api_base, data, limit),
                                          data=data, limit=limit, keep_worse=keep_worse))
    except (SpecError, FileNotFoundError, ValueError) as e:
        typer.echo(f"liner: error: {str(e).splitlines()[0] if str(e) else type(e).__name__}", err=True)
        raise typer.Exit(2) from None
    from linernotes.evals.scoring import HEADLINE

    kinds = {s.name: s.kind for s in config.signals}
    for name in summary.figures:  # every fitted signal, shipped or withheld
        path = summary.models.get(name, "not written (see below)")
        wanted = (*HEADLINE[kinds[name]], "ece")  # the kind's headline metrics (scalar: pearson, mae, ...)
        shown = ", ".join(f"{k} {v:.3f}" for k, v in sorted(summary.figures.get(name, {}).items())
                          if k.removeprefix(f"{name}.") in wanted)
        typer.echo(f"signal {name} -> {path}; out of fold: {shown}")
        for line in summary.baselines.get(name, []):
            typer.echo(f"  vs evidence-only baseline: {line}")
        for line in summary.warnings.get(name, []):
            typer.echo(f"  WARNING signal {name}: {line}", err=True)
    for name, why in summary.withheld.items():
        typer.echo(f"liner: WARNING: signal {name} NOT SHIPPED: {why}", err=True)
    for name, why in summary.skipped.items():
        typer.echo(f"  skipped {name}: {why}")
    typer.echo(f"cross-fitted record: {summary.cv_record} (liner gate / --report read it like any eval run)")


def fit(
    specs: Annotated[list[str], typer.Argument(help="Gold spec names or YAML paths (one combiner per task kind)")],
    output: Annotated[Path, typer.Option("--output", "-o", help="Fusion folder (fusion.json, MODEL_CARD.md, cv/)")],
    data: Annotated[Path | None, typer.Option(help="Gold file instead of the spec's default (one spec only)")] = None,
    limit: Annotated[int, typer.Option(min=1, help="Items tagged with the LLM per spec (a seeded sample)")] = 300,
    seed: Annotated[int, typer.Option(min=0, max=SEED_MAX, help="Seed for the sample, the folds and the "
                                      "bootstrap")] = 0,
    pool: Annotated[int | None, typer.Option(min=0, help="Extra gold items tagged without the LLM for "
                                             "scalar/single-label tasks, exemplar items for multilabel "
                                             "ones (default: all)")] = None,
    pool_size: Annotated[list[float] | None, typer.Option(
        "--pool-size", help="Multilabel exemplar pool: a fraction of each pool round's index to tag the pool "
        "items against, one training row per size, repeatable (default: 1, 1/3, 1/9)")] = None,
    negatives: Annotated[list[str] | None, typer.Option(help="Spec of clean items (class 'none' for policy), "
                                                        "repeatable")] = None,
    run: Annotated[list[Path] | None, typer.Option("--run", help="Existing `liner eval` run records to read "
                                                   "instead of tagging the sample again, repeatable")] = None,
    folds: Annotated[int, typer.Option(min=2, max=20, help="Cross-fitting folds")] = 5,
    model: Annotated[str, typer.Option("--model", "-m", help="'embedded', local:/x.gguf or a LiteLLM model")] = "embedded",
    api_base: Annotated[str | None, typer.Option(help="Base URL for the provider")] = None,
    concurrency: Annotated[int, typer.Option(min=1, help="In-flight LLM calls")] = 4,
    threads: Annotated[int, typer.Option(min=1, help="CPU threads of the embedded model")] = 1,
    resamples: Annotated[int, typer.Option(min=0, max=MAX_RESAMPLES, help="Bootstrap resamples for the cross-fitted report")] = 1000,
    signals: Annotated[list[Path] | None, typer.Option(
        "--signals", help="Declared signal spec YAML (repeatable): fit the spec's signal tasks instead of the "
        "built-in fusion (one spec; --run: its eval record)")] = None,
    overwrite_shipped: Annotated[bool, typer.Option(
        "--overwrite-shipped", help="Allow -o to be the fusion folder linernotes ships (replaces it for this install)")] = False,
    keep_worse_signals: Annotated[bool, typer.Option(
        "--keep-worse-signals", help="--signals: write a fitted signal model even when out of fold it is worse than "
        "its evidence alone (paired CI below 0; by default it is not written)")] = False,
) -> None:
    """Fit the fusion (evidence + LLM draft -> value, calibrated confidence) on gold, cross-fitted.

    Example: liner fit bandcamp-genres vader-valence policy-prompts --negatives bandcamp-genres -o fusion/
    """
    from linernotes.config import TagConfig
    from linernotes.evals.fit import FitOptions
    from linernotes.evals.fit import fit as run_fit
    from linernotes.evals.spec import SpecError
    from linernotes.llm.client import LLMConfig
    from linernotes.llm.embedded import EmbeddedModelError
    from linernotes.llm.errors import LLMError
    from linernotes.store.catalog import CatalogError
    from linernotes.store.records import OutputError

    if keep_worse_signals and not signals:  # ignored without a word otherwise
        typer.echo("liner: error: --keep-worse-signals applies to --signals fits only", err=True)
        raise typer.Exit(2)
    if signals:
        unused = [name for name, given in (("--pool", pool is not None), ("--pool-size", bool(pool_size)),
                                           ("--negatives", bool(negatives))) if given]
        _fit_signals(specs, output, signals, run, folds, seed, resamples, model, api_base, concurrency, threads,
                     overwrite_shipped, data=data, limit=limit, unused=unused, keep_worse=keep_worse_signals)
        return
    try:
        llm = LLMConfig(model=model, api_base=api_base, threads=threads, seed=seed)
        config = TagConfig(llm=llm, fusion=None, llm_mode="always")  # drafts of every field to learn from
        sizes = {"pool_sizes": pool_size} if pool_size else {}
        opts = FitOptions(specs=specs, output=output, data=data, limit=limit, seed=seed, pool=pool,
                          negatives=negatives or [], runs=run or [], folds=folds, concurrency=concurrency,
                          resamples=resamples, command=_command(specs, output, limit, seed, pool, negatives, run,
                                                                folds, model, pool_size, data, api_base,
                                                                resamples),
                          overwrite_shipped=overwrite_shipped, **sizes)
        summary = asyncio.run(run_fit(opts, config))
    except (SpecError, CatalogError, OutputError, EmbeddedModelError, LLMError, FileNotFoundError, ValueError) as e:
        # a bad option's value under its name, not pydantic's "1 validation error for FitOptions"
        from linernotes.cli.app import _error_line

        typer.echo(f"liner: error: {_error_line(e)}", err=True)
        raise typer.Exit(2) from None
    typer.echo(f"fusion {summary.content_hash} -> {summary.output} ({summary.seconds:.0f} s)")
    for field, figures in summary.fields.items():
        shown = ", ".join(f"{k} {v}" for k, v in figures.items() if v is not None)
        typer.echo(f"  {field}: {shown}")
    for path in summary.cv_records:
        typer.echo(f"  cross-fitted record: {path} (liner gate / --report read it like any eval run)")
