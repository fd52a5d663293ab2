"""Output sinks: where enrichment records go besides JSONL lines.

- ``linernotes.sinks.table``: the flat Arrow schema (one column per field and confidence).
- ``linernotes.sinks.parquet``: ``-o out.parquet`` / a dataset folder, resumable via a JSONL journal.
- ``linernotes.sinks.export``: ``liner export RUN.jsonl -o out.parquet``.
- ``linernotes.sinks.beam_io``: the same table from the Beam runner.
"""

from linernotes.sinks.parquet import is_parquet_output, journal_path, open_sink, output_target

__all__ = ["is_parquet_output", "journal_path", "open_sink", "output_target"]
