"""``liner export RUN.jsonl -o out.parquet``: parse, call ``linernotes.sinks.export``, print."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from linernotes.cli import options as opt


def export(
    source: Annotated[Path, typer.Argument(help="A liner tag (or liner serve log) JSONL output, .jsonl.gz too")],
    output: Annotated[str, typer.Option("--output", "-o", help="out.parquet, or DIR/ (a folder) for part files")],
    overwrite_shipped: opt.OverwriteShipped = False,
) -> None:
    """Convert a JSONL output to Parquet (exit 0 all lines, 1 some lines were not records, 2 unreadable or not an output)."""
    from linernotes.sinks import output_target
    from linernotes.sinks.export import export_parquet
    from linernotes.store.records import OutputError

    try:
        result = export_parquet(source, output_target(output, overwrite_shipped=overwrite_shipped))
    except OutputError as e:
        typer.echo(f"liner export: error: {e}", err=True)
        raise typer.Exit(2) from None
    for line in result.problem_lines():
        typer.echo(f"liner export: {line}", err=True)
    typer.echo(f"wrote {result.rows} rows from {result.lines} lines -> {output}")
    raise typer.Exit(result.exit_code)
