"""A decision form's fields as UTF-8 text, or a refusal naming the field.

Starlette reads a form leniently: an ``application/x-www-form-urlencoded`` body is decoded as
Latin-1 and its ``%XX`` escapes as UTF-8 with errors replaced (``caf%E9`` -> ``'caf\\ufffd'``, a raw
UTF-8 ``café`` -> ``'cafÃ©'``), and a multipart part that is not UTF-8 is decoded as Latin-1. Each was
saved as the annotator's comment, name or value. The page is served as UTF-8 and a browser posts
UTF-8, so anything else is a client's mistake, refused as the JSON API refuses text that is not
UTF-8.
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import unquote_plus

from starlette.datastructures import FormData
from starlette.requests import Request

URLENCODED = "application/x-www-form-urlencoded"
MULTIPART = "multipart/form-data"


class FormTextError(ValueError):
    """A form field that is not UTF-8 text; ``str()`` names the field and the byte."""


def _not_utf8(field: str, e: UnicodeDecodeError) -> FormTextError:
    shown = " ".join(f"0x{b:02X}" for b in e.object[e.start:e.end][:4])
    return FormTextError(f"form field {field[:100]!r} is not UTF-8 text (byte {shown}: {e.reason}); "
                         "send the form as UTF-8")


def urlencoded_fields(body: bytes) -> list[tuple[str, str]]:
    """``name=value&...`` pairs, names and values decoded as UTF-8 (raw bytes and ``%XX`` escapes
    alike), blank values kept, in order. Raises ``FormTextError`` naming the first field that is
    not UTF-8 text."""
    pairs: list[tuple[str, str]] = []
    for chunk in body.split(b"&"):
        if not chunk:
            continue
        raw_name, _, raw_value = chunk.partition(b"=")
        shown = unquote_plus(raw_name.decode("utf-8", "replace"))  # for the message only
        try:
            name = unquote_plus(raw_name.decode("utf-8"), errors="strict")
            value = unquote_plus(raw_value.decode("utf-8"), errors="strict")
        except UnicodeDecodeError as e:  # a raw byte or a %XX escape: either is the field's text
            raise _not_utf8(shown, e) from None
        pairs.append((name, value))
    return pairs


_CHARSET = re.compile(r";\s*charset\s*=\s*\"?([^\";\s]+)", re.IGNORECASE)
_NAME = re.compile(rb'\bname="([^"]*)"', re.IGNORECASE)


def multipart_problem(body: bytes, content_type: str) -> str | None:
    """Why a multipart form's text is not UTF-8 (naming the field), or None. Its boundaries and
    headers are ASCII, so the body decodes as UTF-8 exactly when every part does (a file part is
    refused by the caller in any case)."""
    charset = _CHARSET.search(content_type)
    if charset and charset.group(1).lower().replace("_", "-") not in ("utf-8", "utf8"):
        return f"the form says charset={charset.group(1)[:40]}; send the form as UTF-8"
    try:
        body.decode("utf-8")
    except UnicodeDecodeError as e:
        names = _NAME.findall(body, 0, e.start)
        field = names[-1].decode("utf-8", "replace") if names else "(before any field)"
        return str(_not_utf8(field, e))
    return None


async def read_form(request: Request) -> FormData:
    """The request's form with every field UTF-8 text. Raises ``FormTextError`` (the caller
    answers 422) for a field that is not; a urlencoded form is decoded here, a multipart one by
    Starlette once its bytes are known to be UTF-8 (so its Latin-1 fallback never applies)."""
    content_type = request.headers.get("content-type", "")
    media = content_type.split(";", 1)[0].strip().lower()
    if media == URLENCODED:
        return FormData(urlencoded_fields(await request.body()))
    if media == MULTIPART and (problem := multipart_problem(await request.body(), content_type)):
        raise FormTextError(problem)
    form: Any = await request.form()
    return form
