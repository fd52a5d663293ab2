"""The FastAPI app: ``POST /v1/enrich`` runs items through the same ``Enricher`` (graph, cache,
fusion) as ``liner tag``; ``GET /healthz``; ``GET /metrics`` (Prometheus text format);
OpenAPI at ``/openapi.json`` and ``/docs``.

Request items are validated like catalog rows (``linernotes.store.catalog``): a bad item becomes an
error record in its place (``input.invalid``, ``input.missing_id``, ``input.duplicate_id``, with
its 1-based position in the batch as ``line`` and ``source`` ``"request"``; a repeated id's record
is keyed ``line:N``, never under the id) and never fails the others; the response has exactly one
record per item, in request order.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from fastapi import Depends, FastAPI, HTTPException, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from pydantic import BaseModel, ConfigDict, Field, model_validator
from starlette.requests import ClientDisconnect

from linernotes.config import TagConfig
from linernotes.numbers import TextNumbers
from linernotes.review.web.security import host_allowed, same
from linernotes.review.web.slow_clients import read_body
from linernotes.run.prepare import resolve_config, with_slots
from linernotes.run.runner import Enricher
from linernotes.schema import OutputRecord
from linernotes.service.admission import Admission, Overloaded, TooLarge
from linernotes.service.errors import CLIENT_CLOSED, ReasonedJSONRoute, validation_problem
from linernotes.service.graph_loop import GraphLoop
from linernotes.service.metrics import CONTENT_TYPE, ServiceMetrics
from linernotes.service.rolling_log import RollingLog
from linernotes.store.catalog import _RowBuilder
from linernotes.store.records import OutputError, error_record

API_VERSION = "1"
log = logging.getLogger("linernotes.service")


MAX_BATCH = 256  # items per request at most by default, whatever the capacity


class ServiceOptions(TextNumbers):
    concurrency: int = Field(8, ge=1, le=1024, description="items enriched at once")
    max_queue: int = Field(64, ge=0, description="items that may wait for a slot; beyond it: 429")
    max_batch: int | None = Field(None, ge=1, description="items per request (None: concurrency + max_queue, at "
                                  "most MAX_BATCH)")
    max_body_bytes: int = Field(64 * 1024 * 1024, ge=1024, description="request body size; beyond it: 413 "
                                "(the body is read whole before any item is checked)")
    body_timeout_s: float = Field(30.0, gt=0, le=3600, allow_inf_nan=False,
                                  description="seconds a request body may pause; beyond it: 408")
    # the pause limit alone let a client with the token trickle a byte every 29 s for as long as
    # it liked (64 MB at that pace: two years), holding a connection; 120 s takes a 64 MB body at
    # ~0.5 MB/s, and a batch of a few hundred items (a few MB) on any link
    body_deadline_s: float = Field(120.0, gt=0, le=86400, allow_inf_nan=False,
                                   description="seconds the whole request body may take; beyond it: 408")
    token: str | None = Field(None, description="bearer token required on /v1 and /metrics when set")
    loopback_only: bool = Field(True, description="bound to loopback: only loopback Host headers are served")
    log_dir: Path | None = Field(None, description="write every record to rolling JSONL files here")
    log_max_bytes: int = Field(64 * 1024 * 1024, ge=1024)
    overwrite_shipped: bool = Field(False, description="allow log_dir inside data the package ships")
    audio_root: Path | None = Field(None, description="audio_path values resolve and must stay inside here")

    @model_validator(mode="after")
    def _batch_fits(self) -> ServiceOptions:
        # a batch is admitted whole (service.admission): with the old defaults (--max-batch 256,
        # capacity 8 + 64) every batch of 73-256 items was a 413 that no retry could pass
        capacity = self.concurrency + self.max_queue
        if self.max_batch is None:
            self.max_batch = min(MAX_BATCH, capacity)
        elif self.max_batch > capacity:
            raise ValueError(f"--max-batch {self.max_batch} is more than the service admits at once (--concurrency "
                             f"{self.concurrency} + --max-queue {self.max_queue} = {capacity}): such a batch could "
                             f"never be served; raise --max-queue or give --max-batch {capacity} or less")
        return self


class EnrichRequest(TextNumbers):
    """Either one ``item`` or a batch of ``items``: catalog rows (``id`` required; see README). Any
    other top-level key is a 422 naming it (a misspelt or unsupported option is never ignored)."""

    model_config = ConfigDict(extra="forbid")

    item: dict[str, Any] | None = None
    # a batch's items are checked one by one (a non-object is its own input.not_an_object record),
    # so one bad item never fails the others; a lone ``item`` that is not an object is a bad body
    items: list[Any] | None = None

    @model_validator(mode="after")
    def _one_of(self) -> EnrichRequest:
        if (self.item is None) == (self.items is None):
            raise ValueError("send exactly one of 'item' (an object) or 'items' (a list of objects)")
        if self.items is not None and not self.items:
            raise ValueError("'items' is empty")
        return self

    def rows(self) -> list[dict[str, Any]]:
        return [self.item] if self.item is not None else list(self.items or [])


class EnrichResponse(BaseModel):
    records: list[OutputRecord]


def service_config(config: TagConfig, audio_root: Path | None, concurrency: int = 8) -> TagConfig:
    """The runner's defaults, with the audio folder playing the catalog's folder: request items
    are untrusted, so their audio must resolve inside ``audio_root`` (default: the cwd); the
    embedded engine gets one slot per item enriched at once (capped as for ``liner tag``)."""
    return with_slots(resolve_config(config, Path(audio_root or Path.cwd())), concurrency)


def create_app(config: TagConfig, options: ServiceOptions | None = None, enricher: Enricher | None = None) -> FastAPI:
    """The app; the Enricher (models, packs, indexes) is built at startup unless one is given."""
    opts = options or ServiceOptions()
    config = service_config(config, opts.audio_root, opts.concurrency)
    metrics = ServiceMetrics()
    state: dict[str, Any] = {"enricher": enricher, "log": None, "ready": False, "graph": None}
    admission: list[Admission] = []  # made on the serving loop (its Semaphore binds to it)

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        built = state["enricher"] is None  # an enricher built here is closed here (its model server stops)
        if built:
            state["enricher"] = await asyncio.to_thread(Enricher, config)
        if opts.log_dir is not None:
            state["log"] = RollingLog(opts.log_dir, opts.log_max_bytes)
        admission.append(Admission(opts.concurrency, opts.max_queue))
        state["graph"] = GraphLoop().start()  # items run there: this loop stays free for probes and requests
        state["ready"] = True
        try:
            yield
        finally:
            state["ready"] = False
            state["graph"].close()
            if state["log"] is not None:
                state["log"].close()
            if built:
                state["enricher"].close()

    app = FastAPI(title="linernotes enrichment service", version=API_VERSION, lifespan=lifespan,
                  description="The `liner tag` graph as a service: one item or a batch in, one record per item out.")
    app.router.route_class = ReasonedJSONRoute  # a body that cannot be parsed: a 422 saying why
    app.add_exception_handler(RequestValidationError, validation_problem)  # field + reason, no echo
    bearer = HTTPBearer(auto_error=False, description="required when the service was started with --token")

    def bearer_ok(request: Request) -> bool:
        """False for a /v1 or /metrics request without the service's token (when it has one)."""
        if not opts.token or not request.url.path.startswith(("/v1/", "/metrics")):
            return True
        scheme, _, credentials = request.headers.get("authorization", "").partition(" ")
        return scheme.lower() == "bearer" and same(credentials.strip(), opts.token)

    def authorised(creds: HTTPAuthorizationCredentials | None = Depends(bearer)) -> None:
        if opts.token and not (creds and same(creds.credentials, opts.token)):
            raise HTTPException(401, "missing or wrong bearer token", headers={"WWW-Authenticate": "Bearer"})

    @app.middleware("http")
    async def guard_and_measure(request: Request, call_next: Any) -> Response:
        route = request.url.path if request.url.path in ("/v1/enrich", "/healthz", "/metrics") else "other"
        t = time.perf_counter()
        if not host_allowed(request, opts.loopback_only):  # DNS rebinding: see review/web/security.py
            response: Response = JSONResponse({"detail": "host not allowed"}, status_code=421)
        elif not bearer_ok(request):
            # before the body is read: a client without the token held a connection for as long as it
            # trickled a body (a byte within each --body-timeout), and the token was only checked after
            response = JSONResponse({"detail": "missing or wrong bearer token"}, status_code=401,
                                    headers={"WWW-Authenticate": "Bearer", "Connection": "close"})
        else:
            try:
                refused = await _read_body(request)
            except ClientDisconnect:  # gone while its body arrived: nothing to answer, nothing to log
                response = Response(status_code=CLIENT_CLOSED)
            else:
                # the rest of a refused body is never read: the connection cannot carry another request
                response = (JSONResponse({"detail": refused[1]}, status_code=refused[0], headers={"Connection": "close"})
                            if refused is not None else await call_next(request))
        metrics.requests.labels(route, str(response.status_code)).inc()
        metrics.latency.labels(route).observe(time.perf_counter() - t)
        return response

    async def _read_body(request: Request) -> tuple[int, str] | None:
        """Read the body here, before any route, and say why it is refused: ``(413, reason)`` for a
        declared Content-Length over the limit (nothing read) or more bytes received than the
        limit, ``(408, reason)`` for a body that paused longer than ``body_timeout_s`` or was not
        all in within ``body_deadline_s`` of the headers (on every path, with or without a token), ``(415,
        reason)`` for a compressed body (never decoded). The bytes received are counted whatever
        the headers say: a Content-Length beside a chunked body (the parser reads the chunks)
        passed any size when a declared length under the limit skipped the count. A body read
        whole is kept for the route."""
        limit = opts.max_body_bytes
        declared = request.headers.get("content-length")
        if declared is not None and declared.isdigit() and int(declared) > limit:
            return 413, f"request body of {int(declared):,} bytes; the limit is {limit:,}"
        # every method's body is read under the same limits: a GET /healthz (no token needed) that
        # announced a body was answered, then its connection held while the body trickled in
        coding = request.headers.get("content-encoding", "").strip()
        if request.method in ("POST", "PUT", "PATCH") and coding.lower() not in ("", "identity"):  # read as text: 'not UTF-8 text (byte 1: ...)', as if bad JSON
            return 415, (f"the request body is sent with Content-Encoding {coding}, which the service does not "
                         "decode: send it uncompressed (Content-Encoding identity or none)")
        return await read_body(request, limit, opts.body_timeout_s, opts.body_deadline_s)

    @app.get("/healthz", summary="Liveness and readiness (HEAD too)")
    @app.head("/healthz", include_in_schema=False)  # several uptime checks probe with HEAD: a 405 read as 'down'
    async def healthz() -> JSONResponse:
        enricher = state["enricher"]
        if not (state["ready"] and enricher is not None):
            return JSONResponse({"status": "starting"}, status_code=503)
        rt = enricher.runtime
        body = {"status": "ok", "model": rt.llm.model_label if rt else None, "prompt_hash": rt.prompt.hash if rt else None,
                "llm_failures_in_a_row": metrics.endpoint_failures}
        if metrics.endpoint_degraded:  # every recent item failed on the model: not ready to be sent more
            body |= {"status": "degraded", "last_error": metrics.last_endpoint_error,
                     "detail": f"the last {metrics.endpoint_failures} items failed on the model endpoint; "
                               "an item the model answers makes the service ready again"}
            return JSONResponse(body, status_code=503)
        return JSONResponse(body)

    @app.get("/metrics", summary="Prometheus metrics", dependencies=[Depends(authorised)],
             response_class=Response)
    async def metrics_endpoint() -> Response:
        adm = admission[0] if admission else None
        metrics.queued.set(adm.queued if adm else 0)
        metrics.running.set(adm.running if adm else 0)
        return Response(metrics.exposition(), media_type=CONTENT_TYPE)

    @app.post("/v1/enrich", response_model=EnrichResponse, dependencies=[Depends(authorised)],
              summary="Enrich one item or a batch",
              responses={429: {"description": "queue full; retry after the Retry-After seconds"},
                         413: {"description": "batch larger than max_batch or the service's capacity"},
                         408: {"description": "the body paused longer than body_timeout_s, or took longer "
                                              "than body_deadline_s in all"},
                         415: {"description": "a compressed body (Content-Encoding): send it uncompressed"}})
    async def enrich(body: EnrichRequest) -> Any:
        raw = body.rows()
        if len(raw) > (opts.max_batch or MAX_BATCH):
            raise HTTPException(413, f"{len(raw)} items in one request; the limit is {opts.max_batch}")
        adm = admission[0]
        try:
            adm.reserve(len(raw))
        except Overloaded as e:
            metrics.rejected.inc()
            return JSONResponse({"detail": str(e)}, status_code=429, headers={"Retry-After": str(e.retry_after_s)})
        except TooLarge as e:
            raise HTTPException(413, str(e)) from None
        try:
            builder = _RowBuilder("request", {}, (), True)  # the catalog's own validation, duplicate check included
            rows = [builder.build(n, r) for n, r in enumerate(raw, start=1)]
            records = await asyncio.gather(*(_one(row) for row in rows))
        finally:
            adm.release(len(raw))
        return EnrichResponse(records=records)

    async def _one(row: Any) -> OutputRecord:
        if row.item is None:
            rec = error_record(row.raw_id, row.error)
        else:
            async with admission[0].slot():
                rec = await state["graph"].run(state["enricher"].enrich(row))
        _account(rec)
        return rec

    def _account(rec: OutputRecord) -> None:
        """Count and log one record as its item ends: logged when the whole batch was done, a
        service killed while one slow item held its batch lost the others' paid answers."""
        metrics.record(rec)
        if state["log"] is not None:
            try:
                state["log"].write(rec)
            except OutputError as e:  # the caller still gets its records; the gap is counted and logged
                metrics.log_failures.inc()
                log.warning("record %s not logged: %s", rec.id, e)

    return app
