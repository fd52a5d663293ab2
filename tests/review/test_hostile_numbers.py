"""A real ``liner review serve`` on a real store answers a number no float can hold with 422, never 500.

``json.loads`` reads ``1000...0`` (400 digits) as a Python int; ``float()`` of it raises
OverflowError, not ValueError, so the edit reached the client as a bare 500 with a traceback in
the server's log. The value is out of the field's range like any other: 422 naming the field,
nothing saved, the server still up.
"""

from __future__ import annotations

import httpx
import pytest

from tests.review.conftest import GOLD_ROWS
from tests.review.serving import gold_store_server


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory):
    """``liner review serve`` as its own process over a store built on disk by ``liner review build``."""
    with gold_store_server(tmp_path_factory.mktemp("hostile-numbers"), GOLD_ROWS) as running:
        yield running


def _queued(url: str) -> str:
    return httpx.get(url + "/api/queue", timeout=10).json()[0]["id"]


@pytest.mark.parametrize("number", ["1" + "0" * 400, "-" + "9" * 400, "1" + "0" * 309])
def test_an_integer_beyond_any_float_is_422_naming_the_field(server, number):
    url, log = server
    item = _queued(url)
    with httpx.Client(base_url=url, timeout=10) as c:
        token = c.get("/api/session").json()["csrf_token"]
        version = c.get(f"/api/items/{item}").json()["version"]
        # raw JSON: the digits reach json.loads as an int
        body = f'{{"annotator": "ann", "action": "edit", "version": {version}, "values": {{"valence": {number}}}}}'
        r = c.post(f"/api/adjudicate/{item}", content=body,
                   headers={"X-CSRF-Token": token, "Content-Type": "application/json"})
        assert r.status_code == 422, r.text
        assert r.json()["error"] == "invalid" and "valence" in r.json()["detail"]
        assert c.get(f"/api/items/{item}").json()["version"] == version  # nothing saved
    assert httpx.get(url + "/healthz", timeout=5).status_code == 200
    assert "Traceback" not in log.read_text()


@pytest.mark.parametrize("body", ['{"annotator": "ann", "action": "edit", "version": VERSION, '
                                  '"values": {"valence": 0.5, "valence": -0.9}}',
                                  '{"annotator": "ann", "action": "edit", "action": "accept", "version": VERSION, '
                                  '"values": {"valence": 0.5}}'], ids=["value-twice", "action-twice"])
def test_a_key_given_twice_is_422_naming_it_and_nothing_is_saved(server, body):
    """The catalog's and the service's JSON rule (json_lines.parse_json): which of two values an
    annotator meant is unknown, so the decision is refused instead of the last value winning."""
    url, log = server
    item = _queued(url)
    with httpx.Client(base_url=url, timeout=10) as c:
        token = c.get("/api/session").json()["csrf_token"]
        version = c.get(f"/api/items/{item}").json()["version"]
        r = c.post(f"/api/adjudicate/{item}", content=body.replace("VERSION", str(version)),
                   headers={"X-CSRF-Token": token, "Content-Type": "application/json"})
        assert r.status_code == 422, r.text
        assert "appears twice in one object" in r.json()["detail"], r.json()
        assert c.get(f"/api/items/{item}").json()["version"] == version
    assert "Traceback" not in log.read_text()
