"""``liner tag --runner beam``: read the catalog with the local reader, enrich with ``EnrichItems``,
write the same output lines (ok and error: one per input row) plus a dead-letter file of the
error records, and fold the Beam counters back into the local runner's ``RunSummary``.

Unlike the local runner this does not resume line by line: a rerun rewrites OUT, and the
response cache serves every answer already paid for.
"""

from __future__ import annotations

import itertools
import json
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import apache_beam as beam
from apache_beam.metrics.metric import MetricsFilter
from apache_beam.options.pipeline_options import PipelineOptions

from linernotes.beam.transforms import DEAD_LETTER, NAMESPACE, OK, EnrichItems
from linernotes.config import TagConfig
from linernotes.run.prepare import RunOptions, manifest_path, prepare_run
from linernotes.run.runner import WHERE_MOST, RunSummary, where
from linernotes.schema import OutputRecord
from linernotes.sinks.beam_io import WriteRecords, earlier_output, refuse_other_output, remove_earlier_output
from linernotes.store.catalog import Row, estimate_rows, read_catalog
from linernotes.store.records import OutputLock, write_manifest


def dead_letter_path(output: Path) -> Path:
    return output.with_name(output.name + ".dead-letter.jsonl")


def _rows(path: str, opts: RunOptions) -> Iterator[Row]:
    rows = read_catalog(path, opts.mapping, opts.drop, opts.keep_extra)
    return itertools.islice(rows, opts.limit) if opts.limit else rows


def _line(rec: OutputRecord) -> str:
    return rec.model_dump_json(exclude_none=False)


# The local DirectRunner's worker processes (--direct_running_mode=multi_processing) log at INFO
# to the terminal: ~50 lines of harness chatter ('Logging handler created', 'Control channel
# established', the pipeline options twice) around liner's summary, for a 23-row catalog. Their
# errors still show; a user's own --default_sdk_harness_log_level wins. Remote runners keep Beam's
# default (their workers log to the runner's own log service).
LOCAL_WORKER_LOG_LEVEL = "--default_sdk_harness_log_level=ERROR"


def pipeline_options(flags: list[str]) -> PipelineOptions:
    """User flags (``--runner=DataflowRunner --project=...``); DirectRunner unless one is named,
    and then its workers log errors only (``LOCAL_WORKER_LOG_LEVEL``) unless the flags say."""
    runner = next((f.split("=", 1)[1] for f in flags if f.startswith("--runner=")), None)
    has_runner = runner is not None or "--runner" in flags
    flags = list(flags) if has_runner else ["--runner=DirectRunner", *flags]
    local = not has_runner or (runner or "").endswith("DirectRunner")
    if local and not any(f.startswith("--default_sdk_harness_log_level") for f in flags):
        flags.append(LOCAL_WORKER_LOG_LEVEL)
    options = PipelineOptions(flags=flags)
    _refuse_unknown(options, flags)
    return options


def _refuse_unknown(options: PipelineOptions, flags: list[str]) -> None:
    """``ValueError`` naming flags no Beam option class parses: Beam only logs 'Discarding
    unparseable args' and runs without them, so ``--runer=DataflowRunner`` (or
    ``--temp-location``) ran locally, or without the setting, exit 0."""
    import difflib
    import logging

    logger = logging.getLogger("apache_beam.options.pipeline_options")
    level = logger.level
    logger.setLevel(logging.ERROR)  # its own warning about them would repeat ours
    try:
        known = options.get_all_options(retain_unknown_options=False)
        unknown = sorted(set(options.get_all_options(retain_unknown_options=True)) - set(known))
    finally:
        logger.setLevel(level)
    if unknown:
        written = {f.lstrip("-").split("=", 1)[0].replace("-", "_"): f.split("=", 1)[0] for f in flags}

        def hint(name: str) -> str:  # the flag as the user wrote it, and the option it is closest to
            close = difflib.get_close_matches(name, list(known), n=1, cutoff=0.75)
            return written.get(name, f"--{name}") + (f" (did you mean --{close[0]}?)" if close else "")

        raise ValueError(f"--pipeline-option: not a Beam pipeline option: {', '.join(map(hint, unknown))}; "
                         "Beam would run without it")


def build_pipeline(p: beam.Pipeline, config: TagConfig, opts: RunOptions) -> None:
    read_catalog(opts.input, opts.mapping, opts.drop, opts.keep_extra)  # whole-file problems fail here, early
    enriched = (p
                | "Catalog" >> beam.Create([str(opts.input)])
                | "Read" >> beam.FlatMap(_rows, opts)
                | "Spread" >> beam.Reshuffle()
                | "EnrichItems" >> EnrichItems(config, concurrency=opts.concurrency))
    records = (enriched[OK], enriched[DEAD_LETTER]) | "All" >> beam.Flatten()
    records | "WriteOut" >> WriteRecords(opts.output)  # JSONL, or Parquet by suffix/folder (linernotes.sinks)
    (enriched[DEAD_LETTER] | "DeadLines" >> beam.Map(_line)
     | "WriteDead" >> beam.io.WriteToText(str(dead_letter_path(opts.output)), shard_name_template=""))


def summary_from_metrics(result: beam.runners.runner.PipelineResult) -> RunSummary:
    """The run's Beam counters as the local runner's summary."""
    totals: dict[str, int] = {}
    for c in result.metrics().query(MetricsFilter().with_namespace(NAMESPACE))["counters"]:
        value = c.committed if c.committed is not None else c.attempted
        totals[c.key.metric.name] = totals.get(c.key.metric.name, 0) + int(value or 0)
    return RunSummary(rows=totals.get("rows", 0), ok=totals.get("ok", 0), failed=totals.get("failed", 0),
                      llm_calls=totals.get("llm_calls", 0), cache_hits=totals.get("cached", 0),
                      tokens_in=totals.get("tokens_in", 0), tokens_out=totals.get("tokens_out", 0),
                      review=totals.get("review", 0),
                      errors_by_kind={k.removeprefix("error."): v for k, v in totals.items() if k.startswith("error.")})


def first_errors(path: Path, counts: dict[str, int],
                 most_lines: int = 100_000) -> tuple[dict[str, str], dict[str, list[str]]]:
    """``({kind: message}, {kind: [where, ...]})``: per error kind, the first error record's message
    and where its first ``WHERE_MOST`` items came from (``run.runner.where``: catalog:line and id)
    in the dead-letter file at ``path`` (any Beam filesystem), which the local runner's summary
    shows and Beam's counters cannot carry. ``counts``: the records per kind (the counters);
    reading stops once every kind has its places, or after ``most_lines``; an unreadable file
    gives what was read (the counts are printed either way)."""
    from apache_beam.io.filesystems import FileSystems

    messages: dict[str, str] = {}
    places: dict[str, list[str]] = {}
    wanted = {k: min(n, WHERE_MOST) for k, n in counts.items() if n > 0}
    if not wanted:
        return messages, places
    try:
        with FileSystems.open(str(path)) as fh:
            for _ in range(most_lines):
                raw = fh.readline()
                if not raw or all(len(places.get(k, [])) >= n for k, n in wanted.items()):
                    break
                try:
                    rec = json.loads(raw)
                    err = rec.get("error") or {}
                    kind = err.get("kind")
                except (ValueError, AttributeError):
                    continue
                if kind not in wanted or len(places.get(kind, [])) >= wanted[kind]:
                    continue
                messages.setdefault(kind, str(err.get("message") or ""))
                line = err.get("line")
                places.setdefault(kind, []).append(where(str(rec.get("id")), err.get("source"),
                                                         line if isinstance(line, int) else None))
    except (OSError, ValueError):  # a remote filesystem's own errors are OSError/IOError subclasses
        pass
    return messages, places


def run_beam(config: TagConfig, opts: RunOptions, flags: list[str] | None = None) -> RunSummary:
    """Run the whole job as one Beam pipeline and wait for it. Raises CatalogError for a bad input."""
    options = pipeline_options(flags or [])  # a flag Beam would drop is refused before anything starts
    run = prepare_run(config, opts, "beam")  # the local runner's defaults (audio sandbox) and redaction
    refuse_other_output(opts.output)  # Beam rewrites OUT: never another file or another run's parts
    manifest = run.manifest(dead_letter=str(dead_letter_path(opts.output)),
                            pipeline_options=options.get_all_options(drop_default=True))
    manifest["packages"] = {**manifest["packages"], "apache-beam": beam.__version__}
    opts.output.parent.mkdir(parents=True, exist_ok=True)
    start = time.monotonic()
    p = beam.Pipeline(options=options)
    build_pipeline(p, run.config, opts)
    with OutputLock(opts.output):  # one writer per output, whichever runner (raises OutputLocked)
        earlier = earlier_output(opts.output)
        result = p.run()
        result.wait_until_finish()
        remove_earlier_output(opts.output, earlier)  # only once the new output is all in place
    summary = summary_from_metrics(result)
    summary.error_examples, summary.error_where = first_errors(dead_letter_path(opts.output), summary.errors_by_kind)
    summary.elapsed_s = time.monotonic() - start
    summary.expected_rows = estimate_rows(opts.input)
    summary.llm_mode = run.config.llm_mode  # the 0-calls note says why, as in the local runner
    write_manifest(manifest_path(opts.output), {**manifest, "status": "complete", "finished": datetime.now(UTC).isoformat(),
                                                "summary": {**summary.model_dump(), "items_per_s": summary.items_per_s}})
    return summary
