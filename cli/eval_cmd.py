"""``liner eval`` and ``liner gate``: parse, call ``linernotes.evals``, print. No logic here."""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path
from typing import Annotated

import typer

from linernotes.cli import options as opt
from linernotes.files import write_output_text

# evals.spec.SEED_MAX (numpy's and scikit-learn's seed range), spelt here so parsing options imports
# no evals code: a negative --seed failed after the whole eval with "liner: error: expected
# non-negative integer" (gate: a traceback), one above it in fit's folds
SEED_MAX = 2**32 - 1
# evals.bootstrap.MAX_RESAMPLES, spelt here for the same reason (tests/evals/test_resamples_bound.py
# checks the two agree)
MAX_RESAMPLES = 100_000

eval_app = typer.Typer(no_args_is_help=True, help="Score runs against gold sets and gate regressions.")


def _fail(msg: str, code: int = 2) -> None:
    typer.echo(f"liner: error: {msg}", err=True)
    raise typer.Exit(code)


@eval_app.command("eval")
def eval_cmd(
    spec: Annotated[str, typer.Argument(help="Gold spec: shipped name (bandcamp-genres, vader-valence, "
                                        "policy-prompts, ci-slice) or a YAML path")],
    output: Annotated[Path, typer.Option("--output", "-o", help="Run record JSON (predictions in RUN.json.d/)")],
    data: Annotated[Path | None, typer.Option(help="Gold file/folder instead of the spec's default")] = None,
    model: Annotated[str, typer.Option("--model", "-m", help="'embedded', local:/x.gguf or a LiteLLM model")] = "embedded",
    api_base: Annotated[str | None, typer.Option(help="Base URL for the provider")] = None,
    prompt: Annotated[str, typer.Option(help="Prompt template name or a .md file path")] = "extract.v2",
    limit: Annotated[int | None, typer.Option(min=1, help="Score a seeded random sample of N gold items")] = None,
    seed: Annotated[int, typer.Option(min=0, max=SEED_MAX, help="Seed for the sample, the LLM and the bootstrap")] = 0,
    concurrency: Annotated[int, typer.Option(min=1, help="In-flight LLM calls")] = 4,
    threads: Annotated[int, typer.Option(min=1, help="CPU threads of the embedded model")] = 1,
    cache: Annotated[bool, typer.Option("--cache/--no-cache", help="Use the response cache")] = True,
    repeat: Annotated[int, typer.Option(min=1, max=20, help="Run N times without cache; report the spread")] = 1,
    judge: Annotated[str | None, typer.Option(help="Faithfulness judge: 'embedded' or an OpenAI-compatible "
                                              "model (with --judge-api-base); default: skipped")] = None,
    judge_items: Annotated[int | None, typer.Option(min=1, help="Judge at most N items")] = None,
    judge_api_base: Annotated[str | None, typer.Option(help="OpenAI-compatible base URL of the judge")] = None,
    resamples: Annotated[int, typer.Option(min=0, max=MAX_RESAMPLES, help="Bootstrap resamples")] = 1000,
    fresh: Annotated[bool, typer.Option("--fresh", help="Discard the run folder instead of resuming")] = False,
    llm_mode: Annotated[str, typer.Option("--llm", help="auto: the LLM only for fields the evidence leaves "
                                          "undecided; always: every field of every item; never: tools and "
                                          "fusion only")] = "auto",
    fusion: Annotated[str, typer.Option(help="Fusion artifact folder, 'default' (shipped) or 'none'")] = "default",
    rationale: Annotated[bool, typer.Option("--rationale", help="Ask the LLM for a rationale")] = False,
    progress: Annotated[bool, typer.Option("--progress/--no-progress")] = True,
    report: Annotated[Path | None, typer.Option("--report", help="Also write the markdown summary here")] = None,
    html: Annotated[Path | None, typer.Option("--html", help="Write an HTML report (metrics, record vs "
                                              "baselines, risk-coverage) here")] = None,
    signals: Annotated[list[Path] | None, typer.Option(
        "--signals", help="Declared signal spec YAML (repeatable), scored by the gold spec's signal tasks")] = None,
    overwrite_shipped: opt.OverwriteShipped = False,
) -> None:
    """Tag a gold set with the tagging graph (resumable, cached) and score it with 95% CIs, next to
    evidence-only baselines (record minus baseline, paired CI) and a risk-coverage table."""
    from linernotes.cli.render import Progress
    from linernotes.config import TagConfig
    from linernotes.evals.record import check_report_targets
    from linernotes.evals.report import summary_markdown
    from linernotes.evals.run import EvalOptions, evaluate
    from linernotes.evals.spec import SpecError
    from linernotes.llm.client import LLMConfig
    from linernotes.llm.embedded import EmbeddedModelError
    from linernotes.llm.errors import LLMError
    from linernotes.store.catalog import CatalogError
    from linernotes.store.records import OutputError

    try:
        check_report_targets({"--report": report, "--html": html},
                             {"-o": output, "--data": data, "spec": Path(spec) if Path(spec).is_file() else None},
                             overwrite_shipped)
        llm = LLMConfig(model=model, api_base=api_base, threads=threads,
                        use_cache=cache, seed=seed)
        from linernotes.signals.spec import load_signals

        config = TagConfig(llm=llm, prompt=prompt, llm_mode=llm_mode, fusion=fusion, rationale=rationale,
                           signals=load_signals(signals or []))
        opts = EvalOptions(spec=spec, output=output, data=data, limit=limit, seed=seed, concurrency=concurrency,
                           repeat=repeat, judge=judge, judge_items=judge_items, judge_api_base=judge_api_base,
                           resamples=resamples, fresh=fresh, overwrite_shipped=overwrite_shipped)
        with Progress(enabled=progress and sys.stderr.isatty()) as bar:
            record = asyncio.run(evaluate(opts, config, on_record=bar.update))
        record.save(output)
    except (SpecError, CatalogError, OutputError, EmbeddedModelError, LLMError, FileNotFoundError, ValueError) as e:
        _fail(str(e).splitlines()[0] if str(e) else type(e).__name__)
    typer.echo(summary_markdown(record, plain=True))  # the terminal gets text; the .md report markdown
    try:
        if report:
            write_output_text(report, summary_markdown(record), OSError)
        if html:
            from linernotes.evals.report import render_run_html

            write_output_text(html, render_run_html(record), OSError)
    except OSError as e:
        _fail(f"cannot write report: {e}")
    typer.echo(f"run record: {output}", err=True)


@eval_app.command("gate")
def gate_cmd(
    baseline: Annotated[Path, typer.Argument(help="Baseline run record (RUN.json)")],
    candidate: Annotated[Path, typer.Argument(help="Candidate run record")],
    config: Annotated[Path | None, typer.Option("--config", help="Gate rules YAML (default: shipped gates.yaml)")] = None,
    report: Annotated[Path | None, typer.Option("--report", help="Write the markdown summary here")] = None,
    html: Annotated[Path | None, typer.Option("--html", help="Write the HTML report with plots here")] = None,
    resamples: Annotated[int, typer.Option(min=100, max=MAX_RESAMPLES, help="Paired bootstrap resamples")] = 1000,
    seed: Annotated[int, typer.Option(min=0, max=SEED_MAX, help="Bootstrap seed")] = 0,
    overwrite_shipped: opt.OverwriteShipped = False,
) -> None:
    """Re-score BASELINE and CANDIDATE from the baseline's gold and tasks, compare them item by item
    (paired bootstrap); exit 0 pass, 1 regression, 2 unusable or incomparable input."""
    from linernotes.evals.gate import GateError, load_rules, run_gate
    from linernotes.evals.record import check_report_targets
    from linernotes.evals.report import gate_markdown, write_html

    try:
        check_report_targets({"--report": report, "--html": html},
                             {"BASELINE": baseline, "CANDIDATE": candidate, "--config": config}, overwrite_shipped)
        rules = load_rules(config)
        result = run_gate(baseline, candidate, rules, resamples=resamples, seed=seed)
    except (GateError, ValueError) as e:
        _fail(str(e))
    typer.echo(gate_markdown(result, plain=True))  # the terminal gets text; the .md report markdown
    try:
        if report:
            write_output_text(report, gate_markdown(result), OSError)
        if html:
            write_html(result, html)
    except OSError as e:
        _fail(f"cannot write report: {e}")
    raise typer.Exit(0 if result.passed else 1)
