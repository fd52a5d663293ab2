"""``liner serve``: the enrichment graph as an HTTP service.

- ``app``: the FastAPI app (``POST /v1/enrich``, ``GET /healthz``, ``GET /metrics``, OpenAPI docs).
- ``admission``: bounded concurrency with a bounded queue (429 + Retry-After beyond it).
- ``metrics``: the Prometheus metrics (prometheus-client).
- ``rolling_log``: the records as rolling JSONL files the monitor reads.
- ``server``: bind checks (the review server's rules) and running it under uvicorn.
"""
