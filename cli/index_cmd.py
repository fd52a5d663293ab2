"""``liner index ...``: build or extend an exemplar index (for ``liner tag --exemplars DIR``)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, NoReturn

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
    embedder: Annotated[str | None, typer.Option(
        help="wordllama[:64|128|256] or st:<model> (default: wordllama:128, or an existing index's own)")] = None,
    ann_threshold: Annotated[int | None, typer.Option(
        min=1, help="HNSW graph from this many items on (default: 50000, or an existing index's own)")] = None,
    taxonomy: Annotated[str, typer.Option(
        help="Taxonomy the labels should belong to (warns about the others)")] = "music-genres",
    overwrite_shipped: Annotated[bool, typer.Option(
        "--overwrite-shipped", help="Allow -o inside a folder linernotes ships (its packs, fusion, specs)")] = False,
) -> None:
    """Add labeled items to an exemplar index; prints what it holds now as JSON."""
    from linernotes.store.catalog import CatalogError, parse_mapping
    from linernotes.tools.retrieval.exemplar_sources import (
        LabelTally,
        SkippedRows,
        records_from_file,
        records_from_run,
    )
    from linernotes.tools.retrieval.exemplars import build_exemplar_index

    if source is None and gold is None:
        _fail("give the labeled file: --gold FILE (or a liner tag output as SOURCE with --catalog CATALOG)")
    if source is not None and gold is not None:
        _fail(f"give the labeled file once: --gold {gold} or SOURCE {source}, not both")
    if gold is not None and catalog is not None:
        _fail("--catalog goes with a liner tag output given as SOURCE, not with --gold")
    if out.exists() and not out.is_dir():
        _fail(f"{out}: is a file; -o/--out is the index folder (a new folder, or an index to extend)")
    embedder, ann_threshold = _settings(out, embedder, ann_threshold)
    try:
        mapping = parse_mapping(map_spec)
        skipped = SkippedRows()
        records = (records_from_run(source, catalog, mapping, accepted_only=not include_routed, skipped=skipped)
                   if catalog else records_from_file(gold or source, genres_field, mapping=mapping, skipped=skipped))
        tally = LabelTally(taxonomy)
        before = _count(out)
        index = build_exemplar_index(tally.pass_through(records), out, embedder=embedder, ann_threshold=ann_threshold,
                                     overwrite_shipped=overwrite_shipped)
        outside = tally.outside()
    except (FileNotFoundError, ValueError, CatalogError) as e:
        typer.echo(f"liner: error: {e}", err=True)
        raise typer.Exit(2) from None
    if outside:
        shown = ", ".join(f"{g!r} ({n} records)" for g, n in list(outside.items())[:5])
        typer.echo(f"liner: warning: {len(outside)} of {len(tally.counts)} labels added are not in taxonomy "
                   f"{taxonomy}: {shown}; a label cell lists labels separated by ',', ';' or '|' (or as a JSON "
                   "list)", err=True)
    added = len(index) - before
    if tally.records > added:  # extending: an id the index holds keeps its record
        skipped.note("id already in the index (its record there is kept)", f"index {out}", tally.records - added)
    for line in skipped.lines():
        typer.echo(f"liner: warning: not added, {line}", err=True)
    typer.echo(json.dumps({"folder": str(out), "added": added, "total": len(index),
                           "skipped": sum(skipped.counts.values()),
                           "embedder": index.meta.embedder, "ann": index.store.uses_ann}, indent=2))


def _settings(out: Path, embedder: str | None, ann_threshold: int | None) -> tuple[str, int]:
    """--embedder and --ann-threshold, checked before anything is read: an embedder that cannot load
    is named with the option, and one an existing index at ``out`` was not built with is refused
    (an index is extended with its own settings: --embedder wordllama:64 on a wordllama:128 index
    was ignored without a word, and the items it added were 128-d)."""
    from linernotes.tools.retrieval.embedding import load_embedder
    from linernotes.tools.retrieval.exemplars import DEFAULT_EXEMPLAR_EMBEDDER, open_exemplar_meta

    try:
        meta = open_exemplar_meta(out)
    except (OSError, ValueError):  # no index there yet (an unreadable one is the build's error to name)
        meta = None
    if embedder is not None:
        try:
            name = load_embedder(embedder).name
        except (ValueError, ImportError, OSError) as e:
            _fail(f"--embedder {embedder}: cannot load it ({str(e).splitlines()[0] if str(e) else type(e).__name__}); "
                  "give wordllama, wordllama:<64|128|256> or st:<model>")
        if meta is not None and name != meta.embedder:
            _fail(f"--embedder {embedder}: {out} is an index of {meta.embedder} vectors, and items added to it are "
                  "embedded as it was built; build into a new -o for another embedder, or leave --embedder out")
    if meta is not None and ann_threshold is not None and ann_threshold != meta.ann_threshold:
        _fail(f"--ann-threshold {ann_threshold}: {out} was built with {meta.ann_threshold}, which it keeps when "
              "extended; build into a new -o for another, or leave --ann-threshold out")
    return (embedder or (meta.embedder if meta else DEFAULT_EXEMPLAR_EMBEDDER),
            ann_threshold or (meta.ann_threshold if meta else 50_000))


def _fail(msg: str) -> NoReturn:
    typer.echo(f"liner: error: {msg}", err=True)
    raise typer.Exit(2)


def _count(folder: Path) -> int:
    from linernotes.tools.retrieval.exemplars import open_exemplar_index

    try:
        return len(open_exemplar_index(folder))
    except FileNotFoundError:
        return 0
