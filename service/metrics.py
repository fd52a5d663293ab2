"""The service's Prometheus metrics (prometheus-client), on a registry of its own so two apps in
one process (tests, notebooks) never share counters.

Names follow the Prometheus conventions (https://prometheus.io/docs/practices/naming/): base
units (seconds), ``_total`` counters; the routed share is a gauge over items answered ok.
"""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client.exposition import CONTENT_TYPE_LATEST

from linernotes.schema import OutputRecord

# Error kinds that mean the model endpoint itself is failing (down, unreachable, refusing us), not
# this item (context_window) or our rate (rate_limit): see llm.client.classify.
ENDPOINT_FAULTS = frozenset({"llm.connection", "llm.timeout", "llm.server_error", "llm.auth",
                             "llm.model_not_found", "llm.config"})
# /healthz reports the service degraded after this many items in a row failed on the endpoint: one
# failure can be a blip (its retries were already spent), three in a row with no answer between
# them is an endpoint a load balancer should stop sending items to.
DEGRADED_AFTER = 3

# Per-request latency: from a cache hit (ms) to a slow remote model (a minute).
LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 120.0)
CONTENT_TYPE = CONTENT_TYPE_LATEST


class ServiceMetrics:
    def __init__(self) -> None:
        r = self.registry = CollectorRegistry()
        self.requests = Counter("liner_requests", "HTTP requests by route and status code", ["route", "code"],
                                registry=r)
        self.latency = Histogram("liner_request_duration_seconds", "Request latency by route", ["route"],
                                 buckets=LATENCY_BUCKETS, registry=r)
        self.items = Counter("liner_items", "Items answered, by record status", ["status"], registry=r)
        self.llm_calls = Counter("liner_llm_calls", "LLM calls made (cache hits excluded)", registry=r)
        self.cache_hits = Counter("liner_cache_hits", "Items answered from the response cache", registry=r)
        self.tokens = Counter("liner_tokens", "LLM tokens paid for", ["direction"], registry=r)
        self.cost = Counter("liner_cost_usd", "LLM cost paid for, USD", registry=r)
        self.routed = Counter("liner_routed", "Items routed to human review", registry=r)
        self.routed_share = Gauge("liner_routed_share", "Routed items / items answered ok", registry=r)
        self.errors = Counter("liner_errors", "Error records by kind", ["kind"], registry=r)
        self.rejected = Counter("liner_rejected", "Requests shed with 429 (queue full)", registry=r)
        self.log_failures = Counter("liner_log_write_failures", "Records the rolling log could not write",
                                    registry=r)
        self.queued = Gauge("liner_queue_items", "Items admitted and waiting for a slot", registry=r)
        self.running = Gauge("liner_running_items", "Items being enriched", registry=r)
        self._ok = 0
        self._routed = 0
        self.endpoint_failures = 0  # items in a row whose LLM call failed on the endpoint
        self.last_endpoint_error: str | None = None

    def record(self, rec: OutputRecord) -> None:
        self.items.labels(rec.status).inc()
        self._track_endpoint(rec)
        if rec.status == "ok" and rec.enrichment is not None:
            p = rec.enrichment.provenance
            self.llm_calls.inc(p.llm_calls)
            if p.cache_hit:
                self.cache_hits.inc()
            else:
                self.tokens.labels("in").inc(p.tokens_in)
                self.tokens.labels("out").inc(p.tokens_out)
                self.cost.inc(p.cost_usd or 0.0)  # unknown price: nothing known paid
            self._ok += 1
            if rec.enrichment.review.routed:
                self._routed += 1
                self.routed.inc()
            self.routed_share.set(self._routed / self._ok)
        else:
            self.errors.labels(rec.error.kind if rec.error else "unknown").inc()

    def _track_endpoint(self, rec: OutputRecord) -> None:
        """An endpoint fault extends the run of failures; an item the model answered (an LLM call
        made, or served from the response cache) ends it; items that needed no call say nothing."""
        kind = rec.error.kind if rec.status != "ok" and rec.error else None
        if kind in ENDPOINT_FAULTS:
            self.endpoint_failures += 1
            self.last_endpoint_error = f"{kind}: {rec.error.message}"[:300]
        elif rec.status == "ok" and rec.enrichment is not None:
            p = rec.enrichment.provenance
            if p.llm_calls or p.cache_hit:
                self.endpoint_failures, self.last_endpoint_error = 0, None

    @property
    def endpoint_degraded(self) -> bool:
        return self.endpoint_failures >= DEGRADED_AFTER

    def exposition(self) -> bytes:
        return generate_latest(self.registry)
