"""A decision form whose text is not UTF-8 is refused naming the field, nothing saved (QA session
23): /decide read a form with Starlette's lenient decoding, so a urlencoded ``comment=caf%E9`` was
saved as 'caf\\ufffd', a raw UTF-8 ``café`` in a urlencoded body as 'cafÃ©' and a multipart part in
Latin-1 as Latin-1, where the JSON API refuses text that is not UTF-8. UTF-8 text, escaped or not,
in either kind of form, is saved as written."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from linernotes.review.web.form_text import FormTextError, urlencoded_fields

BOUNDARY = "b0undary"


@pytest.fixture
def client(one_item_client: TestClient) -> TestClient:
    return one_item_client


def _fields(client: TestClient, comment: bytes, annotator: bytes = b"ann") -> list[tuple[str, bytes]]:
    token = client.cookies.get("liner_review_csrf").encode()
    return [(b"csrf_token", token), (b"version", b"0"), (b"action", b"accept_gold"), (b"annotator", annotator),
            (b"comment", comment)]


def _urlencoded(fields: list[tuple[bytes, bytes]]) -> tuple[bytes, str]:
    return b"&".join(k + b"=" + v for k, v in fields), "application/x-www-form-urlencoded"


def _multipart(fields: list[tuple[bytes, bytes]], charset: str = "") -> tuple[bytes, str]:
    body = b"".join(f"--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"".encode() + k + b"\"\r\n\r\n" + v
                    + b"\r\n" for k, v in fields) + f"--{BOUNDARY}--\r\n".encode()
    return body, f"multipart/form-data; boundary={BOUNDARY}{charset}"


def _post(client: TestClient, made: tuple[bytes, str]):
    body, ctype = made
    return client.post("/decide/a", content=body, headers={"content-type": ctype}, follow_redirects=False)


@pytest.mark.parametrize(("form", "comment", "annotator", "byte"), [
    (_urlencoded, b"caf%E9", b"ann", "0xE9"),            # an escape of a Latin-1 byte (was 'caf\ufffd')
    (_urlencoded, b"caf\xe9", b"ann", "0xE9"),           # a raw Latin-1 byte
    (_urlencoded, b"ok", b"J%F6rg", "0xF6"),             # in the annotator's name
    (_multipart, b"caf\xe9", b"ann", "0xE9"),            # a multipart part (was Latin-1)
    (_multipart, b"ok", b"\xff\xfe", "0xFF"),
])
def test_a_form_field_that_is_not_utf8_is_422_naming_it_and_nothing_is_saved(client: TestClient, form, comment,
                                                                               annotator, byte) -> None:
    r = _post(client, form(_fields(client, comment, annotator)))
    field = "comment" if comment != b"ok" else "annotator"
    assert r.status_code == 422, r.text
    assert r.text.startswith(f"form field '{field}' is not UTF-8 text (byte {byte}"), r.text
    assert client.get("/api/items/a").json()["history"] == []


def test_a_multipart_form_in_another_charset_is_refused(client: TestClient) -> None:
    r = _post(client, _multipart(_fields(client, b"caf\xe9"), charset="; charset=latin-1"))
    assert r.status_code == 422 and "charset=latin-1; send the form as UTF-8" in r.text, r.text
    assert client.get("/api/items/a").json()["history"] == []


@pytest.mark.parametrize(("form", "comment"), [(_urlencoded, b"caf%C3%A9+%2B1"), (_urlencoded, "café+%2B1".encode()),
                                               (_multipart, "café +1".encode())])
def test_utf8_text_is_saved_as_written(client: TestClient, form, comment: bytes) -> None:
    r = _post(client, form(_fields(client, comment)))
    assert r.status_code == 303, r.text
    expect = "café +1"  # a raw UTF-8 café in a urlencoded body was saved as 'cafÃ©'
    (saved,) = client.get("/api/items/a").json()["history"]
    assert saved["comment"] == expect and saved["annotator"] == "ann"


def test_urlencoded_fields_reads_as_a_browser_writes() -> None:
    assert urlencoded_fields(b"a=1&b=&c&d=x+y%26z&&e=%E2%9C%93") == [
        ("a", "1"), ("b", ""), ("c", ""), ("d", "x y&z"), ("e", "\u2713")]
    with pytest.raises(FormTextError, match=r"form field 'e' is not UTF-8 text \(byte 0xE2"):
        urlencoded_fields(b"a=1&e=%E2%9C")
