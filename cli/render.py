"""Terminal output: progress bar, summary table, dry-run report (presentation only)."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, TextColumn, TimeElapsedColumn, TimeRemainingColumn
from rich.progress import Progress as RichProgress
from rich.table import Table

err = Console(stderr=True)
out = Console()


class Progress:
    """Items/s, ETA, failures and tokens while a batch runs; silent when not a terminal."""

    def __init__(self, enabled: bool):
        self.enabled = enabled
        self._bar: RichProgress | None = None
        self._task: Any = None

    def __enter__(self) -> Progress:
        if self.enabled:
            self._bar = RichProgress(
                TextColumn("[bold]tag"), BarColumn(), MofNCompleteColumn(), TextColumn("{task.fields[rate]} it/s"),
                TimeElapsedColumn(), TextColumn("ETA"), TimeRemainingColumn(),
                TextColumn("fail {task.fields[failed]} · tok {task.fields[tokens]} · cache {task.fields[hits]}"),
                console=err, transient=False)
            self._bar.__enter__()
            self._task = self._bar.add_task("tag", total=None, rate="0.0", failed=0, tokens=0, hits=0)
        return self

    def update(self, _record: Any, s: Any) -> None:
        """``on_record(record, RunSummary)``."""
        if self._bar is None:
            return
        self._bar.update(self._task, total=s.expected_rows, completed=s.processed + s.skipped,
                         rate=f"{s.items_per_s:.2f}", failed=s.failed, tokens=s.tokens_in + s.tokens_out,
                         hits=s.cache_hits)

    def __exit__(self, *exc: Any) -> None:
        if self._bar is not None:
            self._bar.__exit__(*exc)


def progress_reporter(enabled: bool, total: int | None, interval: float) -> Any:
    """A live bar on a terminal, log lines (``linernotes.run.progress``) otherwise, or nothing; each is
    a context manager with an ``update(record, summary)`` method."""
    if enabled and not sys.stderr.isatty():
        from linernotes.run.progress import ProgressLog

        return ProgressLog(sys.stderr, interval=interval, total=total)
    return Progress(enabled=enabled)


def print_summary(s: Any, output: Path) -> None:
    t = Table(title=f"liner tag → {output}", show_header=False)
    t.add_column("what")
    t.add_column("value", justify="right")
    rows = [
        ("input rows", s.rows), ("already done (skipped)", s.skipped), ("ok", s.ok), ("failed", s.failed),
        ("routed to review", s.review), ("LLM calls", s.llm_calls), ("served from cache", s.cache_hits),
        ("tokens in / out", f"{s.tokens_in} / {s.tokens_out}"),
        ("cost (USD)", "unknown (no price)" if s.cost_usd is None else f"{s.cost_usd:.6f}"),
        ("tagging (s, after tool loading)", f"{s.elapsed_s:.2f}"), ("items/s", f"{s.items_per_s:.3f}"),
        ("s/item", f"{(s.elapsed_s / s.processed) if s.processed else 0:.3f}"),
    ]
    for k, v in rows:
        t.add_row(k, str(v))
    for kind, n in sorted(s.errors_by_kind.items()):
        t.add_row(f"  error: {kind}", str(n))
    for kind, n in sorted(getattr(s, "audio_errors_by_kind", {}).items()):
        t.add_row(f"  tagged without audio: {kind}", str(n))
    err.print(t)
    for note in s.notes():
        err.print(note, markup=False, highlight=False)


def print_dry_run(r: Any) -> None:
    t = Table(title="liner tag --dry-run", show_header=False)
    for k, v in [("items", r.items), ("bad rows", r.bad_rows), ("model", r.model),
                 ("--llm", r.llm_mode),
                 ("sampled items needing the LLM", f"{r.sampled_needing_llm} of {r.sampled}"),
                 ("est. LLM calls", r.est_llm_calls), ("est. tokens in", r.est_tokens_in), ("est. tokens out", r.est_tokens_out),
                 ("est. cost (USD)", "unknown" if r.est_cost_usd is None else f"{r.est_cost_usd:.6f}")]:
        t.add_row(k, str(v))
    out.print(t)
    if r.bad_rows:
        out.print("[bold]why rows are bad[/bold] (first example of each kind):")
        for x in r.bad_row_examples:
            n = r.bad_rows_by_kind.get(x.kind, 0)
            out.print(f"  {x.where or f'line {x.line}'}: {x.kind} ({n} {'row' if n == 1 else 'rows'}): {x.message}",
                      markup=False, highlight=False)
    if r.sample_prompt:
        out.print(f"[bold]sample prompt for item {r.sample_id}:[/bold]")
        for m in r.sample_prompt:
            out.print(f"[dim]--- {m['role']} ---[/dim]")
            out.print(m["content"], markup=False, highlight=False)
