"""``liner monitor BASELINE CURRENT``: parse, call ``linernotes.monitor.run.monitor``, print."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from linernotes.cli import options as opt


def monitor(
    baseline: Annotated[Path, typer.Argument(help="Baseline run: JSONL or Parquet output, or a folder of logs/parts")],
    current: Annotated[Path, typer.Argument(help="Current run, same forms")],
    thresholds: Annotated[Path | None, typer.Option(help="YAML overriding the shipped thresholds")] = None,
    report: Annotated[Path | None, typer.Option(help="Write the markdown summary here")] = None,
    html: Annotated[Path | None, typer.Option(help="Write the HTML page with plots here")] = None,
    overwrite_shipped: opt.OverwriteShipped = False,
) -> None:
    """Compare two runs without gold: exit 0 within thresholds, 1 a threshold crossed, 2 bad input."""
    from linernotes.monitor.load import MonitorInputError
    from linernotes.monitor.run import monitor as run_monitor

    try:
        result = run_monitor(baseline, current, thresholds, html_out=html, markdown_out=report,
                             overwrite_shipped=overwrite_shipped)
    except (MonitorInputError, OSError) as e:
        typer.echo(f"liner monitor: error: {e}", err=True)
        raise typer.Exit(2) from None
    for line in result.problem_lines():
        typer.echo(f"liner monitor: {line}", err=True)
    for note in result.comparison.notes:
        typer.echo(f"liner monitor: warning: {note}", err=True)
    typer.echo(result.markdown, nl=False)
    raise typer.Exit(result.exit_code)
