"""On-disk I/O below the graph: reading catalogs (``catalog``: JSONL, CSV, Parquet, datasets)
and the resumable JSONL record store with its lock and manifest (``records``)."""
