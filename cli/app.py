"""``liner``: parse arguments, call the library, print. No business logic lives here."""

from __future__ import annotations

import asyncio
import gc
import json
import os
import sys
from pathlib import Path
from typing import Annotated


def _quiet_litellm_warnings() -> None:
    """LiteLLM's internal warnings are nothing a liner user can act on: pydantic serializer and
    deprecation warnings raised from litellm's modules (filtered by that module, so warnings from
    linernotes and every other package still show), and pydantic's "protected namespace" warning
    for ``model_*`` fields, which pydantic < 2.10 prints once per litellm class at import (raised
    from pydantic's own module, so it is matched by its text; linernotes models have no such field),
    and pydantic >= 2.11's "TypedDict ... using the `ReadOnly` qualifier" warning, which LiteLLM's
    provider payload types (``_CopilotUserPayload``, ...) raise once each, also from pydantic's own
    module, on the first call that builds their schema (linernotes declares no ReadOnly items)."""
    import warnings

    warnings.filterwarnings("ignore", module=r"litellm(\.|$)")
    warnings.filterwarnings("ignore", category=UserWarning, module=r"pydantic\._internal\._fields$",
                            message=r'Field "model_\w+" (in \w+ )?has conflict with protected namespace')
    warnings.filterwarnings("ignore", category=UserWarning, module=r"pydantic\._internal\._generate_schema$",
                            message=r".*TypedDict class '\w+' (is|are) using the `ReadOnly` qualifier")


_quiet_litellm_warnings()

import typer  # noqa: E402

from linernotes.cli import options as opt  # noqa: E402
from linernotes.numbers import strict_click_numbers  # noqa: E402

strict_click_numbers()  # '--threshold 0.2_5' was 0.25 (Python's float() reads '_'); refused with the reason
from linernotes.cli.render import print_dry_run, print_summary, progress_reporter  # noqa: E402

app = typer.Typer(add_completion=False, no_args_is_help=True, pretty_exceptions_enable=False,
                  help="Tag and enrich a streaming catalog with an agent graph, and prove the tags are right.")


def _register_subcommands() -> None:
    """Each command group lives in its own module; eval/gate register as top-level commands."""
    from importlib import import_module

    from linernotes.cli.eval_cmd import eval_app
    from linernotes.cli.index_cmd import index_app
    from linernotes.cli.review_cmd import review_app
    from linernotes.cli.tools_cmd import tools_app

    app.add_typer(tools_app, name="tools")
    app.add_typer(review_app, name="review")
    app.add_typer(index_app, name="index")
    app.command("export")(import_module("linernotes.cli.export_cmd").export)
    app.command("serve")(import_module("linernotes.cli.serve_cmd").serve)
    app.command("monitor")(import_module("linernotes.cli.monitor_cmd").monitor)
    app.command("fit")(import_module("linernotes.cli.fit_cmd").fit)
    for cmd in eval_app.registered_commands:
        app.registered_commands.append(cmd)
    _attach_examples()


def _command_name(info: typer.models.CommandInfo) -> str:
    return info.name or info.callback.__name__.replace("_", "-")


def _command_paths() -> list[tuple[str, typer.models.CommandInfo]]:
    """Every registered command as (path after ``liner``, its CommandInfo)."""
    out = [(_command_name(c), c) for c in app.registered_commands]
    for group in app.registered_groups:
        out += [(f"{group.name} {_command_name(c)}", c) for c in group.typer_instance.registered_commands]
    return out


def _attach_examples() -> None:
    from linernotes.cli.examples import epilog, group_epilog

    for path, info in _command_paths():
        info.epilog = info.epilog or epilog(path)
    for group in app.registered_groups:
        commands = [_command_name(c) for c in group.typer_instance.registered_commands]
        group.epilog = group.epilog or group_epilog(group.name, commands)


def _print_version(value: bool) -> None:
    if value:
        from linernotes import __version__

        typer.echo(f"liner (linernotes) {__version__}")
        raise typer.Exit(0)


@app.callback()
def _root(
    version: Annotated[bool, typer.Option("--version", callback=_print_version, is_eager=True,
                                          help="Print the version and exit")] = False,
) -> None:
    """Tag and enrich a streaming catalog with an agent graph, and prove the tags are right."""


def _fail(msg: str, code: int = 2) -> None:
    typer.echo(f"liner: error: {msg}", err=True)
    raise typer.Exit(code)


# TagConfig / LLMConfig field -> the `liner tag` option that sets it (an option's value that fails the
# config's validation is reported under the option's name, not pydantic's "1 validation error for ...")
_OPTION_OF = {"llm_mode": "--llm", "audio_max_seconds": "--max-audio-seconds", "audio_root": "--audio-root",
              "timeout_s": "--timeout", "max_retries": "--retries", "use_cache": "--cache",
              "cache_path": "--cache-path", "genre_taxonomy": "--taxonomy", "pool_sizes": "--pool-size",
              "runs": "--run", "specs": "SPEC"}  # SPEC: `liner fit`'s positional argument, not an option


def _error_line(e: BaseException) -> str:
    """One line for an error raised while setting up a run: a pydantic ValidationError names the
    option and pydantic's reason (``--llm: Input should be 'auto', 'always' or 'never'``)."""
    from pydantic import ValidationError

    if isinstance(e, ValidationError) and e.errors():
        err = e.errors()[0]
        field = str(err["loc"][0]) if err["loc"] else ""
        opt = _OPTION_OF.get(field, "--" + field.replace("_", "-")) if field else e.title
        if err["type"] == "value_error":  # our own validator's message, which names what it got
            return f"{opt}: {err['ctx']['error']}"
        return f"{opt}: {err['msg']} (got {err.get('input')!r})"
    return str(e).splitlines()[0] if str(e) else type(e).__name__


@app.command()
def tag(
    input: Annotated[Path, typer.Argument(help="Catalog: .jsonl, .csv, .parquet, .json/.arrow, or a datasets folder")],
    output: Annotated[str, typer.Option("--output", "-o", help="Output JSONL (appended; rerun to resume), "
                                        "X.parquet, or DIR/ for Parquet part files")],
    model: opt.Model = "embedded",
    api_base: opt.ApiBase = None,
    mapping: Annotated[str | None, typer.Option("--map", help="Rename columns: dst=src,... e.g. title=track")] = None,
    drop: Annotated[str | None, typer.Option(help="Columns never shown to the tagger: a,b,...")] = None,
    no_extra: Annotated[bool, typer.Option("--no-extra", help="Ignore unknown columns")] = False,
    limit: Annotated[int | None, typer.Option(min=1, help="Only the first N input rows")] = None,
    concurrency: Annotated[int, typer.Option(min=1, help=(
        "LLM calls in flight at once, all workers together (retries keep their call's slot); up "
        "to N + 2 micro-batches of items are worked on meanwhile (tools, records): 1 -> 3, 8 -> 12, "
        "64 -> 96; with --llm never, N items"))] = 4,
    threads: opt.Threads = 1,
    timeout: opt.Timeout = 120.0,
    retries: opt.Retries = 4,
    cache: opt.Cache = True,
    cache_path: opt.CachePath = None,
    taxonomy: opt.Taxonomy = None,
    exemplars: opt.Exemplars = None,
    audio_root: Annotated[Path | None, typer.Option(
        help="Audio paths must resolve inside this folder (default: the catalog's folder)")] = None,
    max_audio_seconds: opt.MaxAudioSeconds = 180.0,
    prompt: opt.Prompt = "extract.v2",
    llm_mode: opt.LlmMode = "auto",
    fusion: opt.Fusion = "default",
    rationale: opt.Rationale = False,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Count items, estimate tokens and cost, show a prompt")] = False,
    progress: Annotated[bool, typer.Option("--progress/--no-progress", help="A live bar on a terminal, a log line "
                                           "every --progress-every seconds otherwise")] = True,
    # at most an hour: inf or 1e308 ended a finished run in a traceback (the reporter thread's join timeout)
    progress_every: Annotated[float, typer.Option(min=0.1, max=3600, help="Seconds between progress log lines "
                                                  "(when stderr is not a terminal)")] = 5.0,
    runner: Annotated[str, typer.Option(help="local (asyncio, resumable) or beam (Apache Beam pipeline)")] = "local",
    pipeline_option: Annotated[list[str] | None, typer.Option(
        "--pipeline-option", help="Beam pipeline flag, repeatable: --pipeline-option=--runner=DataflowRunner")] = None,
    workers: Annotated[int | None, typer.Option(min=1, help="Local runner: run the graph in N processes "
                                                "(default: chosen from cores, memory and the run; printed)")] = None,
    transport: opt.Transport = "auto",
    signals: opt.Signals = None,
    sort: Annotated[bool, typer.Option("--sorted", help=(
        "When the run completes, rewrite the JSONL output in input order (records are written as "
        "they are done, so two runs' files differ in order; one rewrite of the file at the end)"))] = False,
    overwrite_shipped: opt.OverwriteShipped = False,
) -> None:
    """Enrich every item of INPUT into one JSON line each in OUTPUT."""
    from linernotes.config import config_from_options
    from linernotes.llm.embedded import EmbeddedModelError
    from linernotes.llm.errors import LLMError
    from linernotes.run.runner import RunOptions
    from linernotes.store.catalog import CatalogError, parse_mapping
    from linernotes.store.records import OutputError

    try:
        config = config_from_options(
            model=model, api_base=api_base, threads=threads, transport=transport, timeout_s=timeout, retries=retries,
            use_cache=cache, cache_path=str(cache_path) if cache_path else None, prompt=prompt, llm_mode=llm_mode,
            fusion=fusion, rationale=rationale, audio_max_seconds=max_audio_seconds,
            audio_root=str(audio_root) if audio_root else None, exemplars=str(exemplars) if exemplars else None,
            taxonomy=taxonomy, signals=signals)
        from linernotes.sinks import output_target

        opts = RunOptions(input=input, output=output_target(output, create=not dry_run,
                                                                    overwrite_shipped=overwrite_shipped), mapping=parse_mapping(mapping),
                          drop=[d.strip() for d in (drop or "").split(",") if d.strip()], keep_extra=not no_extra,
                          limit=limit, concurrency=concurrency, sorted=sort)
        if dry_run:
            from linernotes.run.plan import dry_run as plan

            print_dry_run(asyncio.run(plan(config, opts)))
            return
        if runner == "beam":
            from linernotes.beam import run_beam

            summary = run_beam(config, opts, pipeline_option or [])
        elif runner != "local":
            _fail(f"--runner {runner!r}: choose local or beam")
        else:
            from linernotes.run.parallel import WorkerDied, run_parallel
            from linernotes.store.catalog import estimate_rows

            total = estimate_rows(input)
            total = min(total, limit) if total is not None and limit else total
            if workers is None:
                from linernotes.run.workers import auto_workers

                choice = auto_workers(config, total, concurrency)
                workers = choice.workers
                if workers > 1:  # one process is what a run always was: no line for it (nor before an input error)
                    typer.echo(f"liner: --workers {workers} ({choice.reason}); --workers N to choose", err=True)
            try:
                with progress_reporter(progress, total, progress_every) as bar:
                    summary = asyncio.run(run_parallel(config, opts, workers, on_record=bar.update))
            except WorkerDied as e:  # not bad input (exit 1, not 2); the records written so far stay
                _fail(str(e), code=1)
    except (CatalogError, OutputError, EmbeddedModelError, LLMError, OSError, ValueError) as e:
        _fail(_error_line(e))
    print_summary(summary, output)
    raise typer.Exit(summary.exit_code)


def _json(obj: object) -> None:
    typer.echo(json.dumps(obj, indent=2, ensure_ascii=False, default=str))


_register_subcommands()


# Commands whose output a rerun resumes (their records, predictions and fits keep a lock and a
# manifest); the others start again when rerun
RESUMABLE = frozenset({"tag", "eval", "fit"})


def _after_stop() -> str:
    command = next((a for a in sys.argv[1:] if not a.startswith("-")), "")
    return "rerun the same command to resume" if command in RESUMABLE else "rerun the same command to start it again"


def main() -> None:
    try:
        _main()
    finally:
        # The process ends here: the interpreter's exit would run the cycle collector over all a run
        # built (~2,900 modules, ~330,000 objects: ~0.9 s of CPU after the last record of an 8-item
        # tag). Frozen objects are skipped; every output is closed (records are fsynced) by now.
        gc.freeze()


def _main() -> None:
    # litellm's bundled price table, never a download (linernotes.llm.transports.import_litellm sets
    # it too, where litellm is imported; here it also covers libraries that import litellm themselves)
    os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")
    import signal

    from linernotes.run.stopping import restore, stop_like_ctrl_c, stopped_by

    replaced = stop_like_ctrl_c()  # SIGTERM and SIGHUP stop a run as Ctrl-C does: records flushed, lock released
    try:
        app()
    except (KeyboardInterrupt, SystemExit) as e:
        restore(replaced)
        # Typer turns Ctrl-C into a silent SystemExit(130) before a KeyboardInterrupt could get here
        if isinstance(e, SystemExit) and e.code != 130:
            raise
        signum = stopped_by()
        if signum is None:
            typer.echo(f"liner: interrupted; {_after_stop()}", err=True)
            sys.exit(130)
        typer.echo(f"liner: stopped by {signal.Signals(signum).name}; {_after_stop()}", err=True)
        sys.exit(128 + signum)


if __name__ == "__main__":
    main()
