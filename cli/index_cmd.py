"""``liner index ...``: build or extend an exemplar index (for ``liner tag --exemplars DIR``)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

index_app = typer.Typer(no_args_is_help=True, help="Exemplar indexes: labeled items used as few-shot examples.")


@index_app.callback()
def _group() -> None:
    """Keeps ``build`` a subcommand (Typer collapses one-command apps)."""


@index_app.command("build")
def build(
    out: Annotated[Path, typer.Option("-o", "--out", help="Index folder (extended if it exists)")],
    source: Annotated[Path | None, typer.Argument(
        help="A liner tag output (with --catalog), or a gold file (same as --gold)")] = None,
    gold: Annotated[Path | None, typer.Option(
        "--gold", help="Labeled file: JSONL, CSV/TSV, Parquet or a datasets folder")] = None,
    catalog: Annotated[Path | None, typer.Option(help="SOURCE is a liner tag output: the catalog it tagged")] = None,
    map_spec: Annotated[str | None, typer.Option(
        "--map", help="Column mapping dst=src,... (the gold file's, or the catalog's with --catalog)")] = None,
    genres_field: Annotated[str, typer.Option(help="Gold column with the genre labels")] = "gold_genres",
    include_routed: Annotated[bool, typer.Option(help="From a run: also items routed to review")] = False,
    embedder: Annotated[str, typer.Option(help="wordllama[:64|128|256] or st:<model>")] = "wordllama:128",
    ann_threshold: Annotated[int, typer.Option(min=1, help="HNSW graph from this many items on")] = 50_000,
    taxonomy: Annotated[str, typer.Option(
        help="Taxonomy the labels should belong to (warns about the others)")] = "music-genres",
) -> None:
    """Add labeled items to an exemplar index; prints what it holds now as JSON."""
    from linernotes.store.catalog import CatalogError, parse_mapping
    from linernotes.tools.retrieval.exemplar_sources import LabelTally, records_from_file, records_from_run
    from linernotes.tools.retrieval.exemplars import build_exemplar_index

    if source is None and gold is None:
        _fail("give the labeled file: --gold FILE (or a liner tag output as SOURCE with --catalog CATALOG)")
    if source is not None and gold is not None:
        _fail(f"give the labeled file once: --gold {gold} or SOURCE {source}, not both")
    if gold is not None and catalog is not None:
        _fail("--catalog goes with a liner tag output given as SOURCE, not with --gold")
    if out.exists() and not out.is_dir():
        _fail(f"{out}: is a file; -o/--out is the index folder (a new folder, or an index to extend)")
    try:
        mapping = parse_mapping(map_spec)
        records = (records_from_run(source, catalog, mapping, accepted_only=not include_routed)
                   if catalog else records_from_file(gold or source, genres_field, mapping=mapping))
        tally = LabelTally(taxonomy)
        before = _count(out)
        index = build_exemplar_index(tally.pass_through(records), out, embedder=embedder, ann_threshold=ann_threshold)
        outside = tally.outside()
    except (FileNotFoundError, ValueError, CatalogError) as e:
        typer.echo(f"liner: error: {e}", err=True)
        raise typer.Exit(2) from None
    if outside:
        shown = ", ".join(f"{g!r} ({n} records)" for g, n in list(outside.items())[:5])
        typer.echo(f"liner: warning: {len(outside)} of {len(tally.counts)} labels added are not in taxonomy "
                   f"{taxonomy}: {shown}; a label cell lists labels separated by ',', ';' or '|' (or as a JSON "
                   "list)", err=True)
    typer.echo(json.dumps({"folder": str(out), "added": len(index) - before, "total": len(index),
                           "embedder": index.meta.embedder, "ann": index.store.uses_ann}, indent=2))


def _fail(msg: str) -> None:
    typer.echo(f"liner: error: {msg}", err=True)
    raise typer.Exit(2)


def _count(folder: Path) -> int:
    from linernotes.tools.retrieval.exemplars import open_exemplar_index

    try:
        return len(open_exemplar_index(folder))
    except FileNotFoundError:
        return 0
