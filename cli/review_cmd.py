"""``liner review ...`` (filled in by the review work)."""

from __future__ import annotations

import typer

review_app = typer.Typer(no_args_is_help=True, help="Annotator review of disagreements.")
