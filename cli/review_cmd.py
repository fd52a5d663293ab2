"""``liner review build|stats|serve|export``: parse, call ``linernotes.review``, print."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from linernotes.cli import options as opt

review_app = typer.Typer(no_args_is_help=True, help="Annotator review of disagreements.")

StoreOpt = Annotated[Path, typer.Option("--store", "-s", help="Review store (SQLite)")]


def _fail(msg: str, code: int = 2) -> None:
    typer.echo(f"liner review: error: {msg}", err=True)
    raise typer.Exit(code)


@review_app.command()
def build(
    output: Annotated[Path, typer.Option("--output", "-o", "--store", help="Review store to create or add to")],
    run: Annotated[Path | None, typer.Option(help="Run record (liner eval -o RUN.json) or liner tag output JSONL")] = None,
    gold: Annotated[Path | None, typer.Option(help="Gold set: JSONL, CSV/TSV, Parquet or a datasets folder (e.g. a previous export)")] = None,
    min_model_gap: Annotated[float, typer.Option(min=0, max=1, help="Queue when model-gold distance >= this")] = 0.1,
    min_rater_spread: Annotated[float, typer.Option(min=0, max=1, help="Queue when raters' sd / max sd >= this")] = 0.3,
    routed: Annotated[bool, typer.Option("--routed/--no-routed", help="Queue items the graph routed to review")] = True,
    audio_root: Annotated[Path | None, typer.Option(help="Folder the items' audio_path values resolve against")] = None,
    signals: Annotated[list[Path] | None, typer.Option(
        "--signals", help="Declared signal spec YAML (repeatable): queue these signals for labelling "
        "(--gold: the catalog; --run: its liner tag output, optional)")] = None,
    sample: Annotated[int | None, typer.Option(min=1, help="--signals: label a seeded random sample of N items")] = None,
    seed: Annotated[int, typer.Option(help="Seed of --sample and of the labelling order")] = 0,
    overlap: Annotated[int, typer.Option(min=1, max=20, help="Each item stays open until K annotators "
                                         "labelled it (agreement on new signals)")] = 1,
    overwrite_shipped: opt.OverwriteShipped = False,
) -> None:
    """Collect disagreements (model vs gold, rater spread, routed items) into a prioritised queue;
    with --signals, queue declared signals for labelling with a control per kind."""
    from linernotes.review.build import build_store
    from linernotes.review.queue import QueueOptions
    from linernotes.review.sources import SourceError
    from linernotes.review.store import StoreError
    from linernotes.signals.spec import SignalSpecError, load_signals

    try:
        specs = load_signals(signals or [])
        result = build_store(output, run=run, gold=gold, audio_root=audio_root, signals=specs, overlap=overlap,
                             overwrite_shipped=overwrite_shipped,
                             options=QueueOptions(min_model_gap=min_model_gap, min_rater_spread=min_rater_spread,
                                                  include_routed=routed, sample=sample, seed=seed))
    except (SourceError, StoreError, SignalSpecError) as e:
        _fail(str(e))
    for note in result.notes:
        typer.echo(f"liner review: warning: {note}", err=True)
    reasons = ", ".join(f"{k} {v}" for k, v in sorted(result.by_reason.items())) or "none"
    skipped = (f"; {result.skipped_lines} unreadable line(s) skipped, named above" if result.skipped_lines else "")
    typer.echo(f"queued {result.queued} of {result.scope} items ({result.new} new, {result.refreshed} refreshed; "
               f"reasons: {reasons}) -> {result.store}{skipped}")


@review_app.command()
def stats(
    gold: Annotated[Path | None, typer.Option(help="Gold set with per-rater values (JSONL or datasets folder)")] = None,
    run: Annotated[Path | None, typer.Option(help="Add the model as an annotator (run record or tag output)")] = None,
    store: Annotated[Path | None, typer.Option("--store", "-s", help="Agreement among the store's annotators")] = None,
    signals: Annotated[list[Path] | None, typer.Option(
        "--signals", help="Declared signal spec YAML (repeatable): --gold/--run agreement on these signals' columns")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON instead of tables")] = False,
) -> None:
    """Krippendorff's alpha, Fleiss' and Cohen's kappa, per-annotator quality."""
    from linernotes.review.report import render
    from linernotes.review.sources import SourceError
    from linernotes.review.stats import agreement_stats
    from linernotes.review.store import StoreError
    from linernotes.signals.spec import SignalSpecError, load_signals

    try:
        reports = agreement_stats(gold=gold, run=run, store=store, signals=load_signals(signals or []))
    except (SourceError, StoreError, SignalSpecError) as e:
        _fail(str(e))
    if as_json:
        typer.echo(json.dumps([r.model_dump() for r in reports], indent=2))
    else:
        typer.echo(render(reports), nl=False)


@review_app.command()
def serve(
    store: StoreOpt = Path("review.sqlite"),
    host: Annotated[str, typer.Option(help="Address to bind; non-loopback needs --token")] = "127.0.0.1",
    port: Annotated[int, typer.Option(min=0, max=65535, help="Port to listen on; 0: a free port the OS "
                                      "chooses, printed in the URL line")] = 8765,
    token: Annotated[str | None, typer.Option(envvar="LINER_REVIEW_TOKEN",
                                              help="Access token (required off loopback; 20+ characters)")] = None,
    generate_token: Annotated[bool, typer.Option("--generate-token",
                                                 help="Make a random token and print it once")] = False,
    audio_root: Annotated[Path | None, typer.Option(help="Serve audio from this folder")] = None,
) -> None:
    """Run the review web app until interrupted."""
    from linernotes.review.server import BindError, listen, prepare
    from linernotes.review.server import serve as run_server
    from linernotes.review.store import StoreError
    from linernotes.review.web.security import generate_token as make_token

    if generate_token and token:
        _fail("give --token or --generate-token, not both")
    token = make_token() if generate_token else token
    try:
        app = prepare(store, host=host, token=token, audio_root=audio_root)
        sock = listen(host, port)
    except (BindError, StoreError) as e:
        _fail(str(e))
    port = sock.getsockname()[1]  # --port 0: the free port the OS chose, which the URL must name
    url = f"http://{'[' + host + ']' if ':' in host else host}:{port}/"
    typer.echo(f"review UI on {url} (Ctrl-C to stop)" + (f"; annotators sign in at {url}login?token=..."
                                                          if token else ""), err=True)
    if generate_token:
        typer.echo(f"access token (shown once): {token}", err=True)
    run_server(app, sock)


@review_app.command()
def export(
    output: Annotated[Path, typer.Option("--output", "-o", help="Gold directory; writes the next vN inside")],
    store: StoreOpt = Path("review.sqlite"),
    overwrite_shipped: opt.OverwriteShipped = False,
    leave_out_removed: Annotated[bool, typer.Option(
        "--leave-out-removed", help="Write the gold without the decided values of fields the store no longer "
        "has (a signal removed from the spec); the store keeps them, provenance.json lists them")] = False,
) -> None:
    """Write the adjudicated gold set as a new datasets version with provenance.json."""
    from linernotes.review.export import ExportError, export_gold
    from linernotes.review.store import ReviewStore, StoreError

    try:
        result = export_gold(ReviewStore(store), output, overwrite_shipped=overwrite_shipped,
                             leave_out_removed=leave_out_removed)
    except (StoreError, ExportError) as e:
        _fail(str(e))
    extra = "".join(f", {n} {what}" for n, what in ((result.decided_on_older_gold, "decided on older gold"),
                                                    (result.unreviewed_rows, "rows kept unreviewed"),
                                                    (result.undecided, "queued items still undecided (gold "
                                                                       "unchanged; see provenance.json)"),
                                                    (result.partly_decided, "partly labelled (their labelled "
                                                                            "signals written; partly_decided in "
                                                                            "provenance.json names the rest)"),
                                                    (result.tied, "with annotators tied on a label (those "
                                                                  "fields unchanged; 'tied' in provenance.json)"),
                                                    (result.unread_gold_lines, "unreadable gold line(s) skipped at "
                                                                               "build, not in this version "
                                                                               "(unread_gold_lines in "
                                                                               "provenance.json)")) if n)
    typer.echo(f"wrote {result.path}: {result.rows} rows, {result.changed} changed, {result.skipped} skipped{extra}")
    if result.left_out_removed:
        typer.echo("left out (fields the store no longer has; kept in the store, listed in provenance.json under "
                   "left_out_removed): " + ", ".join(f"{n} value(s) of {f!r}" for f, n in result.left_out_removed.items()))
