"""``liner eval`` and ``liner gate`` (filled in by the evaluation work)."""

from __future__ import annotations

import typer

eval_app = typer.Typer(no_args_is_help=True, help="Score runs against gold sets and gate regressions.")
