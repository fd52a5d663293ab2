"""``liner serve``: parse arguments, call ``linernotes.service.server.serve``."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from linernotes.cli import options as opt

# sizes in MB become whole bytes: 'inf' or 1e308 ended in 'OverflowError: cannot convert float
# infinity to integer' (a traceback); 1 PiB is past any request body or log file
MAX_MB = 1024.0 ** 3


def serve(
    host: Annotated[str, typer.Option(help="Address to bind; non-loopback needs --token")] = "127.0.0.1",
    port: Annotated[int, typer.Option(min=0, max=65535, help="Port to listen on; 0: a free port the OS "
                                      "chooses, printed on the startup line")] = 8780,
    token: Annotated[str | None, typer.Option(envvar="LINER_SERVICE_TOKEN",
                                              help="Bearer token for /v1 and /metrics (required off loopback)")] = None,
    model: opt.Model = "embedded",
    api_base: opt.ApiBase = None,
    concurrency: Annotated[int, typer.Option(min=1, help="Items enriched at once")] = 8,
    max_queue: Annotated[int, typer.Option(min=0, help="Items that may wait; beyond it requests get 429")] = 64,
    max_batch: Annotated[int | None, typer.Option(min=1, help=(
        "Items per request (default: --concurrency + --max-queue, at most 256; more is refused: a batch is "
        "admitted whole)"))] = None,
    max_body_mb: Annotated[float, typer.Option(min=0.001, max=MAX_MB, help="Request body size; beyond it requests get 413")] = 64.0,
    body_timeout: Annotated[float, typer.Option(min=0.1, max=3600, help="Seconds a request body may pause; "
                                                "beyond it requests get 408")] = 30.0,
    body_deadline: Annotated[float, typer.Option(min=0.1, max=86400, help="Seconds the whole request body may "
                                                 "take; beyond it requests get 408")] = 120.0,
    threads: opt.Threads = 1,
    timeout: opt.Timeout = 120.0,
    retries: opt.Retries = 4,
    cache: opt.Cache = True,
    cache_path: opt.CachePath = None,
    taxonomy: opt.Taxonomy = None,
    exemplars: opt.Exemplars = None,
    prompt: opt.Prompt = "extract.v2",
    llm_mode: opt.LlmMode = "auto",
    fusion: opt.Fusion = "default",
    rationale: opt.Rationale = False,
    transport: opt.Transport = "auto",
    signals: opt.Signals = None,
    audio_root: Annotated[Path | None, typer.Option(help="audio_path values resolve inside this folder (default: cwd)")] = None,
    max_audio_seconds: opt.MaxAudioSeconds = 180.0,
    log_dir: Annotated[Path | None, typer.Option(help="Write every record to rolling JSONL files here")] = None,
    log_max_mb: Annotated[float, typer.Option(min=0.001, max=MAX_MB, help="Start a new log file past this size")] = 64.0,
    overwrite_shipped: opt.OverwriteShipped = False,
) -> None:
    """Serve the enrichment graph over HTTP: POST /v1/enrich, GET /healthz, GET /metrics, /docs."""
    from linernotes.cli.app import _error_line
    from linernotes.config import config_from_options
    from linernotes.service.app import ServiceOptions
    from linernotes.service.server import BindError, base_url
    from linernotes.service.server import serve as run_service
    from linernotes.store.records import OutputError

    try:
        config = config_from_options(model=model, api_base=api_base, threads=threads, transport=transport,
                                     timeout_s=timeout, retries=retries, use_cache=cache,
                                     cache_path=str(cache_path) if cache_path else None, prompt=prompt,
                                     llm_mode=llm_mode, fusion=fusion, rationale=rationale,
                                     audio_max_seconds=max_audio_seconds,
                                     exemplars=str(exemplars) if exemplars else None, taxonomy=taxonomy,
                                     signals=signals, audio_root=str(audio_root) if audio_root else None)
        options = ServiceOptions(concurrency=concurrency, max_queue=max_queue, max_batch=max_batch, token=token,
                                 max_body_bytes=int(max_body_mb * 1024 * 1024), body_timeout_s=body_timeout,
                                 body_deadline_s=body_deadline,
                                 log_dir=log_dir, log_max_bytes=int(log_max_mb * 1024 * 1024), audio_root=audio_root,
                                 overwrite_shipped=overwrite_shipped)
        run_service(config, host=host, port=port, options=options, announce=lambda bound: typer.echo(
            f"liner serve: {base_url(host, bound)} (docs at /docs, Ctrl-C to stop)", err=True))
    except (BindError, OutputError, ValueError, OSError) as e:
        typer.echo(f"liner serve: error: {_error_line(e)}", err=True)
        raise typer.Exit(2) from None
