"""What a client reads when its request body is refused before any item runs (HTTP 422).

Each problem is ``{"type", "loc", "msg", "input"}`` (FastAPI's shape: ``loc`` is the path into the
body), but ``msg`` names the field and the reason in one line a person can act on, and ``input``
is a short preview: FastAPI echoed the offending value whole, so a 20 MB string under a wrong key
came back as a 20 MB error response.

A body that cannot be parsed at all is one ``json_invalid`` problem whose ``msg`` says why (not
UTF-8 at byte N, nested too deep, a number too long for the parser, or ``json``'s own message with
its position); FastAPI answered those (all but ``json``'s own errors) with a bare 400 "There was
an error parsing the body".
"""

from __future__ import annotations

import json
from collections.abc import Callable, Coroutine
from typing import Any

from fastapi import HTTPException, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from fastapi.routing import APIRoute
from starlette.requests import ClientDisconnect

from linernotes.json_lines import JSONLineError, parse_json

# an input longer than this (as JSON text) is described, not echoed
PREVIEW_CHARS = 120
# the status counted for a request whose client disconnected before its body arrived (nginx's
# convention; no client reads it)
CLIENT_CLOSED = 499


def parse_json_body(body: bytes) -> Any:
    """``body`` as JSON, by the catalog's rules (``json_lines.parse_json``: a key given twice in one
    object, a number past 4,300 digits, nesting too deep are each refused with their reason).
    Raises ``json.JSONDecodeError`` for every reason a body cannot be parsed, naming it and the
    position where known (FastAPI turns that error, and only that one, into a 422 naming the
    problem). ``{"id": "a", ..., "id": "b"}`` was item "b": the last value silently won."""
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as e:
        raise json.JSONDecodeError(f"not UTF-8 text (byte {e.start}: {e.reason})",
                                   body.decode("utf-8", "replace"), e.start) from None
    try:
        return parse_json(text)
    except JSONLineError as e:
        raise json.JSONDecodeError(e.msg, text, e.pos or 0) from None


class ReasonedJSONRequest(Request):
    async def body(self) -> bytes:
        try:
            return await super().body()
        except ClientDisconnect:  # FastAPI answered (and counted) it as a 400 "error parsing the body"
            raise HTTPException(CLIENT_CLOSED, "the client disconnected before its body arrived") from None

    async def json(self) -> Any:
        if not hasattr(self, "_json"):
            self._json = parse_json_body(await self.body())
        return self._json


class ReasonedJSONRoute(APIRoute):
    """A route whose JSON body is parsed by ``parse_json_body`` (FastAPI's documented way to
    customise request parsing: a ``Request`` subclass through ``route_class``)."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def route(request: Request) -> Response:
            return await handler(ReasonedJSONRequest(request.scope, request.receive))

        return route


def preview(value: Any) -> Any:
    """``value`` itself when short, else a description: ``'a string of 20,971,520 characters:
    "xxxx…"'``, ``'an object of 3 keys'``, ``'a list of 100 items'``."""
    if isinstance(value, bytes):  # a body FastAPI did not parse (not sent as JSON)
        value = value.decode("utf-8", "replace")
    try:
        text = json.dumps(value, ensure_ascii=False, default=str)
    except (TypeError, ValueError, RecursionError):
        text = repr(value)
    if len(text) <= PREVIEW_CHARS:
        return value
    if isinstance(value, str):
        return f"a string of {len(value):,} characters: {text[:40]}…"
    if isinstance(value, dict):
        return f"an object of {len(value):,} keys"
    if isinstance(value, list):
        return f"a list of {len(value):,} items"
    return f"{text[:PREVIEW_CHARS]}…"


def _says_json(content_type: str | None) -> bool:
    """Whether FastAPI parses a body of this Content-Type as JSON (application/json or a +json
    type); it leaves any other body as text, which then fails the object check as a string."""
    mime = (content_type or "").split(";")[0].strip().lower()
    main, _, sub = mime.partition("/")
    return main == "application" and (sub == "json" or sub.endswith("+json"))


def problem_message(err: dict[str, Any], content_type: str | None) -> str:
    """One line naming the field (``items``, ``item.id``, or the body) and the reason."""
    loc = [str(x) for x in err.get("loc", ())]
    if err.get("type") == "json_invalid":
        reason = (err.get("ctx") or {}).get("error") or err.get("msg", "")
        # json's own messages say what, not where; ours say where when they know (a byte offset)
        at = f" (at character {loc[1]})" if len(loc) > 1 and loc[1] != "0" and "byte " not in reason else ""
        return f"the request body is not JSON: {reason}{at}"
    field = ".".join(loc[1:]) if loc[:1] == ["body"] else ".".join(loc)
    if not field:
        if err.get("type") == "missing":
            return "the request body is empty: send a JSON object with 'item' or 'items'"
        if isinstance(err.get("input"), str | bytes):
            if _says_json(content_type):  # parsed, and a JSON string: '"x"' was told to send JSON
                return "the request body is a JSON string, not an object: send a JSON object with 'item' or 'items'"
            return (f"the request body was sent as {content_type or 'no Content-Type'}: send a JSON object "
                    "with 'item' or 'items' as application/json")
        return f"the request body: {err.get('msg', '')}; send a JSON object with 'item' or 'items'"
    if err.get("type") == "extra_forbidden":
        return f"{field}: not a field of the request (send 'item' or 'items')"
    return f"{field}: {err.get('msg', '')}"


async def validation_problem(request: Request, exc: RequestValidationError) -> JSONResponse:
    """The 422 for a body that is not an ``EnrichRequest``; nothing from the body is echoed whole."""
    content_type = request.headers.get("content-type")
    detail = []
    for err in exc.errors():
        problem = {"type": err.get("type"), "loc": list(err.get("loc", ())), "msg": problem_message(err, content_type)}
        if err.get("type") != "json_invalid" and "input" in err:
            problem["input"] = preview(err["input"])
        detail.append(problem)
    return JSONResponse({"detail": detail}, status_code=422)
