"""An annotator whose name is not Latin-1 ("田中", "Łukasz", "Алиса") saves through the item page's
form like anyone else, on a real ``liner review serve``.

Before: the decision was stored, then the response set the annotator cookie with the raw name;
HTTP headers are Latin-1, so the save answered 500 (UnicodeEncodeError in the log) and the next
save of the page conflicted (409) with the one the annotator was told had failed.
"""

from __future__ import annotations

import re

import httpx
import pytest

from tests.review.conftest import GOLD_ROWS
from tests.review.serving import gold_store_server


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory):
    """``liner review serve`` as its own process over a store built on disk by ``liner review build``."""
    with gold_store_server(tmp_path_factory.mktemp("annotator-names"), GOLD_ROWS) as running:
        yield running


def _form_save(c: httpx.Client, item: str, **fields: str) -> httpx.Response:
    page = c.get(f"/item/{item}").text
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    version = re.search(r'name="version" value="(\d+)"', page).group(1)
    return c.post(f"/decide/{item}", data={"csrf_token": token, "version": version, "action": "skip", **fields},
                  headers={"Origin": str(c.base_url).rstrip("/")})


@pytest.mark.parametrize("name", ["田中", "Łukasz", "Алиса", "Zoë 🎧"])
def test_a_name_beyond_latin1_saves_and_is_remembered(server, name):
    url, log = server
    with httpx.Client(base_url=url, timeout=10) as c:
        item = c.get("/api/queue").json()[0]["id"]
        r = _form_save(c, item, annotator=name)
        assert r.status_code == 303, r.text[:300]
        assert c.get(f"/api/items/{item}").json()["history"][-1]["annotator"] == name
        page = c.get(f"/item/{item}").text  # the page fills the name in from the cookie
        assert f'id="annotator" value="{name}"' in page
        again = _form_save(c, item)  # no name typed: the remembered one decides
        assert again.status_code == 303, again.text[:300]
        assert c.get(f"/api/items/{item}").json()["history"][-1]["annotator"] == name
    assert "Traceback" not in log.read_text()
