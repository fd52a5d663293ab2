"""``liner serve``: parse arguments, call ``linernotes.service.server.serve``."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer


def serve(
    host: Annotated[str, typer.Option(help="Address to bind; non-loopback needs --token")] = "127.0.0.1",
    port: Annotated[int, typer.Option(min=1, max=65535)] = 8780,
    token: Annotated[str | None, typer.Option(envvar="LINER_SERVICE_TOKEN",
                                              help="Bearer token for /v1 and /metrics (required off loopback)")] = None,
    model: Annotated[str, typer.Option("--model", "-m", help="LiteLLM model string, 'embedded' or local:/x.gguf")] = "embedded",
    api_base: Annotated[str | None, typer.Option(help="Base URL for the provider")] = None,
    concurrency: Annotated[int, typer.Option(min=1, help="Items enriched at once")] = 8,
    max_queue: Annotated[int, typer.Option(min=0, help="Items that may wait; beyond it requests get 429")] = 64,
    max_batch: Annotated[int, typer.Option(min=1, help="Items per request")] = 256,
    max_body_mb: Annotated[float, typer.Option(min=0.001, help="Request body size; beyond it requests get 413")] = 64.0,
    threads: Annotated[int, typer.Option(min=1, help="CPU threads of the embedded model")] = 1,
    timeout: Annotated[float, typer.Option(help="Seconds per LLM call")] = 120.0,
    retries: Annotated[int, typer.Option(min=0, help="Transport retries per call")] = 4,
    cache: Annotated[bool, typer.Option("--cache/--no-cache", help="Use the response cache")] = True,
    cache_path: Annotated[Path | None, typer.Option(help="Response cache file (default ~/.cache/linernotes)")] = None,
    taxonomy: Annotated[str | None, typer.Option(help="Genre taxonomy pack name or YAML path")] = None,
    exemplars: Annotated[Path | None, typer.Option(help="Exemplar index folder for few-shot examples")] = None,
    prompt: Annotated[str, typer.Option(help="Prompt template name")] = "extract.v2",
    llm_mode: Annotated[str, typer.Option("--llm", help="auto: the LLM only for fields the evidence leaves "
                                          "undecided; always: every field of every item; never: tools and "
                                          "fusion only (as liner tag --llm)")] = "auto",
    audio_root: Annotated[Path | None, typer.Option(help="audio_path values resolve inside this folder (default: cwd)")] = None,
    max_audio_seconds: Annotated[float, typer.Option(help="Analyse at most this much of each file")] = 180.0,
    log_dir: Annotated[Path | None, typer.Option(help="Write every record to rolling JSONL files here")] = None,
    log_max_mb: Annotated[float, typer.Option(min=0.001, help="Start a new log file past this size")] = 64.0,
) -> None:
    """Serve the enrichment graph over HTTP: POST /v1/enrich, GET /healthz, GET /metrics, /docs."""
    from linernotes.cli.app import _error_line
    from linernotes.config import config_from_options
    from linernotes.service.app import ServiceOptions
    from linernotes.service.server import BindError
    from linernotes.service.server import serve as run_service

    try:
        config = config_from_options(model=model, api_base=api_base, threads=threads, timeout_s=timeout,
                                     retries=retries, use_cache=cache, cache_path=str(cache_path) if cache_path else None,
                                     prompt=prompt, llm_mode=llm_mode, audio_max_seconds=max_audio_seconds,
                                     exemplars=str(exemplars) if exemplars else None, taxonomy=taxonomy)
        options = ServiceOptions(concurrency=concurrency, max_queue=max_queue, max_batch=max_batch, token=token,
                                 max_body_bytes=int(max_body_mb * 1024 * 1024),
                                 log_dir=log_dir, log_max_bytes=int(log_max_mb * 1024 * 1024), audio_root=audio_root)
        typer.echo(f"liner serve: http://{host}:{port}/ (docs at /docs, Ctrl-C to stop)", err=True)
        run_service(config, host=host, port=port, options=options)
    except (BindError, ValueError, OSError) as e:
        typer.echo(f"liner serve: error: {_error_line(e)}", err=True)
        raise typer.Exit(2) from None
