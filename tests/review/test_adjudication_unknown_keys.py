"""A decision sent to /api/adjudicate with a key the API does not have is refused (422 naming the
key), not saved without it. QA newuser22: ``{"annotator": "ann", "action": "skip", "version": 0,
"coment": "why"}`` answered 200 and the comment was gone; a misspelt ``"value"`` for an edit was
likewise dropped."""

from __future__ import annotations

import pytest

from tests.review.inprocess import adjudicate as _post
from tests.review.inprocess import store_client


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory):
    rows = [{"id": "t1", "text": "a fine day", "ratings": [-4, 4, -4, 4], "mean": 0.0}]
    with store_client(tmp_path_factory.mktemp("unknown-keys"), rows) as c:
        yield c


@pytest.mark.parametrize(("body", "key"), [
    ({"annotator": "ann", "action": "skip", "coment": "why"}, "coment"),
    ({"annotator": "ann", "action": "edit", "values": {"valence": 0.2}, "value": {"valence": 0.5}}, "value"),
])
def test_an_unknown_key_is_422_naming_it_and_nothing_is_saved(client, body: dict, key: str) -> None:
    before = client.get("/api/items/t1").json()
    r = _post(client, body)
    assert r.status_code == 422, r.text
    assert [(d["loc"], d["msg"]) for d in r.json()["detail"]] == [([key], "Extra inputs are not permitted")]
    after = client.get("/api/items/t1").json()
    assert (after["version"], after["history"]) == (before["version"], before["history"])


def test_a_decision_with_known_keys_is_saved(client) -> None:
    r = _post(client, {"annotator": "ann", "action": "skip", "comment": "why"})
    assert r.status_code == 200 and r.json()["history"][-1]["comment"] == "why", r.text
