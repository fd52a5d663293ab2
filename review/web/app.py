"""The review web app: queue and item pages (server-rendered, autoescaped) plus a small JSON API.

Everything is served from this package (templates, CSS, JS): the UI works offline. Routes only
translate HTTP to ``ReviewStore`` calls; decisions, conflicts and validation live in the store.
Store calls never run on the event loop (sync routes run in Starlette's thread pool, async ones
hand their store work to it), and a store another client keeps locked for longer than
``Settings.busy_timeout`` answers 503 with Retry-After, so ``/healthz`` and every other request
stay responsive.

Items are addressed as ``/item/<id>``; the ids ``.`` and ``..`` cannot be path segments (browsers
and the URL standard collapse them, ``%2e`` forms included), so their links use ``/item?id=``.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any
from urllib.parse import quote

from fastapi import FastAPI, Request
from fastapi.responses import FileResponse, JSONResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from jinja2 import Environment, FileSystemLoader
from markupsafe import Markup
from pydantic import Field, ValidationError
from starlette.concurrency import run_in_threadpool
from starlette.requests import ClientDisconnect

from linernotes.json_lines import JSONLineError, first_surrogate, parse_json
from linernotes.numbers import TextNumbers, parse_int
from linernotes.review.agreement import store_agreement
from linernotes.review.store import (
    SERVER_BUSY_TIMEOUT_S,
    Adjudication,
    QueueFilter,
    ReviewStore,
    StoreBusy,
    VersionConflict,
)
from linernotes.review.web import security as sec
from linernotes.review.web.form_text import FormTextError, read_form
from linernotes.review.web.media import servable_audio
from linernotes.review.web.slow_clients import read_body
from linernotes.review.web.views import (
    annotator_rows,
    confidence_notes,
    display,
    display_values,
    edit_default,
    evidence_spans,
    rater_summary,
    segments,
    shorten,
    shown_id,
    visible_controls,
)

HERE = Path(__file__).parent
CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; media-src 'self'; "
       "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'")


CLOSE = {"Connection": "close"}
# A request body (a decision, a sign-in: at most MAX_BODY_BYTES) may pause this long, and must be
# all in within the deadline: without either, POST /decide with its body announced and then
# trickled (or never sent) held its connection for good; 1 MB in 60 s is ~17 KB/s
BODY_PAUSE_S = 30.0
BODY_DEADLINE_S = 60.0
AUDIO_CSP = "default-src 'none'; sandbox"  # an audio response is never a document that runs anything
DOT_IDS = {".", ".."}


class Settings(TextNumbers):
    store: Path
    token: str | None = None
    loopback_only: bool = True
    audio_root: Path | None = None
    busy_timeout: float = SERVER_BUSY_TIMEOUT_S
    body_pause_s: float = Field(BODY_PAUSE_S, gt=0)
    body_deadline_s: float = Field(BODY_DEADLINE_S, gt=0)


def item_url(item_id: str, kind: str = "item") -> str:
    """The URL of an item's page (or ``decide``/``audio`` route): path form, query form for dot ids."""
    q = quote(str(item_id), safe="")
    return f"/{kind}?id={q}" if item_id in DOT_IDS else f"/{kind}/{q}"


def _finalize(value: Any) -> Any:
    """Every ``{{ }}`` output passes here before escaping: control characters become visible."""
    if isinstance(value, Markup):
        return Markup(visible_controls(str(value)))
    return visible_controls(value) if isinstance(value, str) else value


def _env() -> Environment:
    env = Environment(loader=FileSystemLoader(HERE / "templates"), autoescape=True, trim_blocks=True,
                      lstrip_blocks=True, finalize=_finalize)
    env.filters["urlq"] = lambda s: quote(str(s), safe="")
    env.filters["shown_id"] = shown_id
    env.filters["shorten"] = shorten
    env.globals["display"] = display
    env.globals["display_values"] = display_values
    env.globals["item_url"] = item_url
    return env


def _whole(value: Any) -> Any:
    """Years and counts stored as floats by a data frame (``1978.0``) are shown as integers."""
    return int(value) if isinstance(value, float) and value.is_integer() else value


def item_fields(specs: list[Any], queued: list[str]) -> list[Any]:
    """The fields an item's page shows: with declared signals, those it was queued for (the ones
    whose ``applies_to`` holds its type); the store's fields otherwise."""
    if not any(s.signal for s in specs):
        return specs
    return [s for s in specs if s.name in queued] or specs


def form_values(specs: list[Any], form: Any) -> dict[str, Any]:
    """An edit's values per field: every checked box of a multi-select (``none_<name>``: none of its
    labels applies, []), a slider only once moved (``set_<name>``), any other control's non-empty
    text. Raises ValueError for 'none of these' checked beside a label, and for two different
    values of a one-value control (radio, yes/no, slider, text box): the form's last one was saved
    and the other dropped without a word (QA session 25: 'happy' checked and a second 'sad' sent
    for mood saved 'sad')."""
    values: dict[str, Any] = {}
    for s in specs:
        key = f"value_{s.name}"
        if s.control != "multiselect" and len(given := {str(v) for v in form.getlist(key) if str(v).strip()}) > 1:
            raise ValueError(f"{s.name} takes one value; the form sent {len(given)}: "
                             f"{', '.join(repr(v) for v in sorted(given))[:160]}; send one")
        if s.control == "multiselect":
            picked = [str(v) for v in form.getlist(key) if str(v).strip()]
            none = bool(str(form.get(f"none_{s.name}", "")).strip())
            if none and picked:  # ValueError: the page answers 422 naming both
                raise ValueError(f"{s.name}: 'none of these' is checked together with {', '.join(picked)[:120]}; "
                                 "uncheck one")
            if picked or none:  # none: the empty set, which eval scores (the model's labels there are wrong)
                values[s.name] = picked
        elif s.control == "slider":
            if str(form.get(f"set_{s.name}", "")).strip() and str(form.get(key, "")).strip():
                values[s.name] = str(form[key])
        elif str(form.get(key, "")).strip():
            values[s.name] = form[key]
    return values


def _client(request: Request) -> str:
    return request.client.host if request.client else "?"


def create_app(settings: Settings) -> FastAPI:
    store = ReviewStore(settings.store, busy_timeout=settings.busy_timeout)
    env = _env()
    throttle = sec.LoginThrottle()
    sessions = sec.Sessions()
    app = FastAPI(title="linernotes review", docs_url=None, redoc_url=None, openapi_url=None)
    app.mount("/static", StaticFiles(directory=HERE / "static"), name="static")
    app.state.throttle, app.state.sessions = throttle, sessions  # test seam: their clocks can be replaced

    def too_many(wait: float) -> Response:
        return Response("too many failed sign-ins: wait and retry", status_code=429, media_type="text/plain",
                        headers={"Retry-After": str(max(1, math.ceil(wait)))})

    def check_access(request: Request) -> Response | None:
        """None when the request may go on; else the 401/429 to send. Wrong header tokens count as
        failed sign-ins (the header is a guessing channel as good as /login)."""
        if not settings.token or request.url.path == "/login":
            return None
        if sessions.valid(request.cookies.get(sec.AUTH_COOKIE)):
            return None
        offered = request.headers.get(sec.TOKEN_HEADER)
        if offered is not None:
            client = _client(request)
            if (wait := throttle.wait(client)) > 0:
                return too_many(wait)
            if sec.same(offered, settings.token):
                throttle.succeeded(client)
                return None
            throttle.failed(client)
        return Response("this review server needs its token: open /login?token=...", status_code=401,
                        media_type="text/plain")

    @app.exception_handler(StoreBusy)
    async def busy(request: Request, exc: StoreBusy) -> Response:
        retry = str(max(1, math.ceil(settings.busy_timeout)))
        if request.url.path.startswith("/api/"):
            return JSONResponse({"error": "busy", "detail": str(exc)}, status_code=503, headers={"Retry-After": retry})
        return Response("the review store is busy (another program holds its lock); retry in a moment",
                        status_code=503, media_type="text/plain", headers={"Retry-After": retry})

    @app.middleware("http")
    async def guard(request: Request, call_next):
        # an answer given before the body is read closes the connection: kept open, it was held for
        # as long as the client trickled the body nobody reads (GET /healthz, a 401, a 403 alike)
        if not sec.host_allowed(request, settings.loopback_only):
            return Response("unknown host", status_code=421, media_type="text/plain", headers=CLOSE)
        if (refused := sec.body_refused(request.method, request.headers)) is not None:
            status, why = refused
            return Response(why, status_code=status, media_type="text/plain", headers=CLOSE)
        if (refused := check_access(request)) is not None:
            refused.headers["Connection"] = "close"
            return refused
        try:  # every method's body, whole, under the size, pause and total limits, before any route
            refused = await read_body(request, sec.MAX_BODY_BYTES, settings.body_pause_s, settings.body_deadline_s)
        except ClientDisconnect:  # gone while its body arrived: nothing to answer
            return Response(status_code=499)
        if refused is not None:
            return Response(refused[1], status_code=refused[0], media_type="text/plain", headers=CLOSE)
        response = await call_next(request)
        response.headers.setdefault("Content-Security-Policy", CSP)
        response.headers["X-Content-Type-Options"] = "nosniff"
        response.headers["Referrer-Policy"] = "same-origin"
        if sec.CSRF_COOKIE not in request.cookies:
            response.set_cookie(sec.CSRF_COOKIE, getattr(request.state, "csrf", None) or sec.new_token(),
                                httponly=True, samesite="lax")
        return response

    def csrf_token(request: Request) -> str:
        """The session's CSRF token, minted on first sight and set as a cookie by ``guard``."""
        if sec.CSRF_COOKIE in request.cookies:
            return request.cookies[sec.CSRF_COOKIE]
        if not hasattr(request.state, "csrf"):
            request.state.csrf = sec.new_token()
        return request.state.csrf

    def page(request: Request, name: str, status: int = 200, **ctx: Any) -> Response:
        html = env.get_template(name).render(csrf=csrf_token(request),
                                             annotator=sec.annotator_of(request), **ctx)
        return Response(html, status_code=status, media_type="text/html; charset=utf-8")

    def forbidden(msg: str) -> Response:
        return JSONResponse({"error": "forbidden", "detail": msg}, status_code=403)

    @app.get("/login")
    def login(request: Request, token: str = "") -> Response:
        if settings.token:
            client = _client(request)
            if (wait := throttle.wait(client)) > 0:
                return too_many(wait)
            if not sec.same(token, settings.token):
                throttle.failed(client)
                return Response("wrong token", status_code=401, media_type="text/plain")
            throttle.succeeded(client)
        resp = RedirectResponse("/", status_code=303)
        if settings.token:
            resp.set_cookie(sec.AUTH_COOKIE, sessions.start(), httponly=True, samesite="lax")
        return resp

    @app.get("/healthz")
    async def healthz() -> dict[str, str]:
        """Liveness only: never touches the store, so it answers while the store is locked."""
        return {"status": "ok"}

    @app.get("/")
    def queue_page(request: Request, reason: str | None = None, field: str | None = None, label: str | None = None,
                   annotator: str | None = None, status: str | None = None, sort: str = "priority") -> Response:
        try:
            flt = QueueFilter(reason=reason or None, field=field or None, label=label or None,
                              annotator=annotator or None, status=status or None, sort=sort)
        except ValidationError as e:
            return page(request, "error.html", status=422, message=str(e.errors()[0]["msg"]))
        items = store.list_items(flt)
        return page(request, "queue.html", items=items, flt=flt, facets=store.facets(), counts=store.counts(),
                    meta=store.meta())

    @app.get("/item/{item_id:path}")
    def item_page(request: Request, item_id: str, saved: str | None = None) -> Response:
        return render_item(request, item_id, saved=saved)

    @app.get("/item")
    def item_page_q(request: Request, id: str = "", saved: str | None = None) -> Response:  # noqa: A002
        return render_item(request, id, saved=saved)

    def render_item(request: Request, item_id: str, status: int = 200, **ctx: Any) -> Response:
        try:
            state = store.get(item_id)
        except KeyError:
            return page(request, "error.html", status=404, message=f"no item {item_id!r} in the queue")
        specs = item_fields(store.fields(), state.entry.fields)
        spans = evidence_spans(state.entry.prediction)
        texts = {k: segments(v, k, spans) for k, v in state.entry.inputs.items() if isinstance(v, str)}
        others = {k: _whole(v) for k, v in state.entry.inputs.items() if not isinstance(v, str)}
        prev, nxt = store.neighbours(item_id)
        nav = {"prev": prev, "next": nxt}
        pred = state.entry.prediction or {}
        audio = bool(settings.audio_root and state.entry.inputs.get("audio_path"))
        return page(request, "item.html", status=status, state=state, e=state.entry, specs=specs, texts=texts,
                    others=others, spans=spans, pred=pred, evidence=pred.get("evidence") or {},
                    confidences=confidence_notes(pred),
                    rows=annotator_rows(state, specs), raters=annotator_rows(state, specs, raters=True),
                    rater_summary=rater_summary(state, specs), nav=nav, audio=audio,
                    edit={s.name: edit_default(state, s) for s in specs}, **signal_context(request, state, specs),
                    **ctx)

    def signal_context(request: Request, state: Any, specs: list[Any]) -> dict[str, Any]:
        """Declared signals' labelling form: progress, the model's values, this annotator's labels
        (with overlap > 1 only their own, so one annotator never sees another's answer)."""
        if not any(s.signal for s in specs):
            return {"signal_mode": False}
        who = sec.annotator_of(request)
        progress = store.progress(who or None)
        if progress["overlap"] > 1:
            chosen: dict[str, Any] = {}
            for h in state.history:
                if h.annotator == who and h.action != "skip":
                    chosen.update(h.new)
        else:
            chosen = dict(state.decision)
        pred = state.entry.prediction
        values = {s.name: v for s in specs if (v := s.from_prediction(pred)) is not None}
        return {"signal_mode": True, "progress": progress, "chosen": chosen, "pred_values": values}

    @app.post("/decide/{item_id:path}")
    async def decide(request: Request, item_id: str) -> Response:
        try:  # Starlette's own reading stores a field that is not UTF-8 as Latin-1 or U+FFFD (QA session 23)
            form = await read_form(request)
        except FormTextError as e:
            return Response(str(e), status_code=422, media_type="text/plain; charset=utf-8")
        if not sec.csrf_ok(request, str(form.get(sec.CSRF_FIELD, ""))):
            return forbidden("missing or wrong CSRF token, or a cross-site request")
        if uploads := sorted({k for k, v in form.multi_items() if not isinstance(v, str)}):
            # the page has no file input; a multipart upload's repr ('UploadFile(filename=...') was
            # saved as the comment, annotator or value text
            return Response(f"form field(s) {', '.join(uploads)[:200]} hold a file; a decision is text fields only",
                            status_code=422, media_type="text/plain")
        return await run_in_threadpool(save_form, request, item_id, form)

    @app.post("/decide")
    async def decide_q(request: Request, id: str = "") -> Response:  # noqa: A002
        return await decide(request, id)

    @app.get("/decide/{item_id:path}")
    def decide_reload(item_id: str) -> Response:
        """A reload of a refused save's page (the browser shows /decide/...): back to the item."""
        return RedirectResponse(item_url(item_id), status_code=303)

    @app.get("/decide")
    def decide_reload_q(id: str = "") -> Response:  # noqa: A002
        return decide_reload(id)

    def save_form(request: Request, item_id: str, form: Any) -> Response:
        who = str(form.get("annotator", "")).strip() or sec.annotator_of(request)
        action = str(form.get("action", ""))
        try:
            shown = item_fields(store.fields(), store.get(item_id).entry.fields)
        except KeyError:
            shown = store.fields()  # adjudicate below answers the unknown id
        spans = [f"{s.name} evidence: {form[f'span_{s.name}']}" for s in store.fields()
                 if s.control == "toggle" and str(form.get(f"span_{s.name}", "")).strip()]
        comment = "\n".join([str(form.get("comment", "")), *spans]).strip()
        try:
            values = form_values(shown, form) if action == "edit" else {}
            adj = Adjudication(annotator=who, action=action, version=parse_int(str(form.get("version", "-1"))),
                               values=values, comment=comment)
            saved_by = store.adjudicate(item_id, adj).updated_by or adj.annotator  # as the store spells the name
        except KeyError:
            return page(request, "error.html", status=404, message=f"no item {item_id!r} in the queue")
        except VersionConflict as c:
            return render_item(request, item_id, status=409, conflict=c.current)
        except (ValidationError, ValueError) as e:
            msg = e.errors()[0]["msg"] if isinstance(e, ValidationError) else str(e)
            if isinstance(e, ValidationError) and e.errors()[0]["loc"] == ("annotator",) and not who:
                msg = "enter your annotator name before deciding"
            return render_item(request, item_id, status=422, error=msg)
        nxt = store.next_open(after=item_id, annotator=saved_by if int(store.meta().get("overlap") or 1) > 1
                              else None)  # the name as stored (NFKC, first spelling), which the history holds
        saved = quote(item_id, safe="")
        if nxt:
            url = item_url(nxt)
            target = url + ("&" if "?" in url else "?") + f"saved={saved}"
        else:
            target = f"/?saved={saved}"
        resp = RedirectResponse(target, status_code=303)
        sec.remember_annotator(resp, saved_by)
        return resp

    @app.get("/audio/{item_id:path}")
    def audio(item_id: str) -> Response:
        """The item's audio, only if ``media.servable_audio`` says it is audio; anything else 404."""
        try:
            path = store.get(item_id).entry.inputs.get("audio_path")
        except KeyError:
            path = None
        found = servable_audio(settings.audio_root, path, settings.store) if path and settings.audio_root else None
        if found is None:
            return Response("no audio", status_code=404, media_type="text/plain")
        full, content_type = found
        return FileResponse(full, media_type=content_type, content_disposition_type="inline",
                            filename="audio" + full.suffix.lower(),
                            headers={"Content-Security-Policy": AUDIO_CSP, "Cross-Origin-Resource-Policy": "same-origin"})

    @app.get("/audio")
    def audio_q(id: str = "") -> Response:  # noqa: A002
        return audio(id)

    # -- JSON API -----------------------------------------------------------------------------------
    def not_in_queue(item_id: str) -> JSONResponse:
        """404 naming the id asked for (a script labelling many items read a bare "not found")."""
        return JSONResponse({"error": "not found", "detail": f"no item {item_id!r:.200} in the queue"},
                            status_code=404)

    @app.get("/api/queue")
    def api_queue(reason: str | None = None, field: str | None = None, label: str | None = None,
                  annotator: str | None = None, status: str | None = None, sort: str = "priority") -> Response:
        try:
            flt = QueueFilter(reason=reason, field=field, label=label, annotator=annotator, status=status, sort=sort)
        except ValidationError as e:
            return JSONResponse({"error": "invalid filter", "detail": e.errors()[0]["msg"]}, status_code=422)
        return JSONResponse([i.model_dump() for i in store.list_items(flt)])

    @app.get("/api/facets")
    def api_facets() -> dict[str, list[str]]:
        return store.facets()

    @app.get("/api/items/{item_id:path}")
    def api_item(item_id: str) -> Response:
        try:
            return JSONResponse(store.get(item_id).model_dump(mode="json"))
        except KeyError:
            return not_in_queue(item_id)

    @app.get("/api/items")
    def api_item_q(id: str = "") -> Response:  # noqa: A002
        return api_item(id)

    @app.post("/api/adjudicate/{item_id:path}")
    async def api_adjudicate(request: Request, item_id: str) -> Response:
        if not sec.csrf_ok(request, request.headers.get(sec.CSRF_HEADER)):
            return forbidden("missing or wrong X-CSRF-Token, or a cross-site request")
        try:  # the catalog's JSON rules (json_lines.parse_json): a key given twice is refused, not last-wins
            body = parse_json(await request.body())
        except JSONLineError as e:
            return JSONResponse({"error": "invalid", "detail": f"the body is not JSON ({e})"}, status_code=422)
        if (where := first_surrogate(body)) is not None:
            # JSON may escape one ("\ud800"); a key holding it made the 'unknown field' answer a
            # 500 (it cannot be encoded), a text label's an encoder's message naming no field
            return JSONResponse({"error": "invalid", "detail": f"{where} holds a lone UTF-16 surrogate "
                                 "(not valid Unicode): send the text as UTF-8"}, status_code=422)
        return await run_in_threadpool(save_json, item_id, body)

    @app.post("/api/adjudicate")
    async def api_adjudicate_q(request: Request, id: str = "") -> Response:  # noqa: A002
        return await api_adjudicate(request, id)

    def save_json(item_id: str, body: Any) -> Response:
        try:
            adj = Adjudication.model_validate(body)
            state = store.adjudicate(item_id, adj)
        except KeyError:
            return not_in_queue(item_id)
        except VersionConflict as c:
            return JSONResponse({"error": "conflict", "detail": str(c), "current": c.current.model_dump(mode="json")},
                                status_code=409)
        except ValidationError as e:
            return JSONResponse({"error": "invalid", "detail": e.errors(include_url=False, include_context=False,
                                                                         include_input=False)}, status_code=422)
        except ValueError as e:
            return JSONResponse({"error": "invalid", "detail": str(e)}, status_code=422)
        return JSONResponse(state.model_dump(mode="json"))

    @app.get("/api/stats")
    def api_stats() -> dict[str, Any]:
        return store_agreement(store).model_dump()

    @app.get("/api/session")
    def api_session(request: Request) -> dict[str, str]:
        """The CSRF token for script clients (same-origin only: the CSP and cookie keep it there)."""
        return {"csrf_token": csrf_token(request)}

    return app
