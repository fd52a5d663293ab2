"""``liner monitor BASELINE CURRENT``: drift between two runs' outputs, without gold.

- ``load``: a ``liner tag`` output (JSONL or Parquet, file or dataset folder) or a folder of
  ``liner serve`` rolling logs, as one Arrow table of the sinks' flat schema.
- ``thresholds``: the YAML limits (``thresholds.yaml`` ships the defaults).
- ``compare``: the statistics and the checks.
- ``report``: markdown summary and an HTML page with plots.
"""
