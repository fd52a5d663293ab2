"""Issue 13 item 9: /api/adjudicate checks edited values against the field's vocabulary and type,
and refuses annotator names that already mean gold, the model or the raters."""

from __future__ import annotations

import json

import pytest

from tests.review.inprocess import adjudicate as post
from tests.review.inprocess import store_client


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory):
    """A genres + valence store built from gold rows whose annotators disagree on both."""
    rows = [{"id": "t1", "artist": "A", "track": "B", "gold_genres": ["techno", "made-up-gold-label"],
             "ratings": [-4, 4, -4, 4], "mean": 0.0,
             "annotators": {"ann": {"genres": ["techno"]}, "bob": {"genres": ["ambient"]}}}]
    with store_client(tmp_path_factory.mktemp("edit-values"), rows) as c:
        yield c


@pytest.mark.parametrize("values", [
    {"genres": ["not-a-genre"]}, {"genres": "None"}, {"genres": "{'a': 1}"}, {"genres": []},  # the issue's
    {"genres": ""}, {"genres": ["techno", 3]}, {"genres": {"a": 1}}, {"genres": ["techno", "<script>"]},
    {"valence": True}, {"valence": "nan"}, {"valence": [0.5]}, {"valence": {"v": 1}}, {"valence": "1e9"},
    {"valence": None}, {"valence": "0x1"},
])
def test_values_outside_the_vocabulary_or_type_are_422(client, values):
    r = post(client, {"annotator": "ann", "action": "edit", "values": values})
    assert r.status_code == 422, r.text
    assert r.json()["error"] == "invalid" and list(values)[0] in json.dumps(r.json()["detail"])
    assert client.get("/api/items/t1").json()["history"] == []


@pytest.mark.parametrize("name", ["gold", "Gold", " GOLD ", "model", "model:test-model", "rater:3", "raters' mean",
                                  "annotator:ann", "ann\u202e", "ann\x00"])
def test_reserved_or_control_annotator_names_are_422(client, name):
    r = post(client, {"annotator": name, "action": "accept_gold"})
    assert r.status_code == 422 and "annotator" in json.dumps(r.json()["detail"])
    assert client.get("/api/items/t1").json()["history"] == []


def test_valid_values_are_normalised_to_vocabulary_ids(client):
    r = post(client, {"annotator": "goldie", "action": "edit",
                      "values": {"genres": "Deep House, techno, made-up-gold-label", "valence": "-0.25"}})
    assert r.status_code == 200, r.text
    assert r.json()["decision"] == {"genres": ["deep-house", "made-up-gold-label", "techno"], "valence": -0.25}
    assert r.json()["history"][-1]["annotator"] == "goldie"  # a name that merely starts with "gold" is a person


def test_the_form_route_refuses_the_same_values(client):
    page = client.get("/item/t1").text
    import re

    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    version = client.get("/api/items/t1").json()["version"]
    r = client.post("/decide/t1", data={"csrf_token": token, "version": str(version), "action": "edit",
                                        "annotator": "ann", "value_genres": "None"})
    assert r.status_code == 422 and "not in the vocabulary" in r.text
    r = client.post("/decide/t1", data={"csrf_token": token, "version": str(version), "action": "accept_gold",
                                        "annotator": "model"})
    assert r.status_code == 422 and "reserved" in r.text


@pytest.mark.parametrize("body", ["[" * 100_000 + "]" * 100_000, '{"a":' * 50_000 + "1" + "}" * 50_000,
                                  '{"annotator": "ann", "action": "skip", "version": 0, "comment": '
                                  + "[" * 20_000 + "]" * 20_000 + "}"])
def test_deeply_nested_json_is_422_not_500(client, body):
    """json.loads raises RecursionError (not ValueError) on deep nesting: it was a bare 500."""
    token = client.get("/api/session").json()["csrf_token"]
    before = client.get("/api/items/t1").json()["history"]
    r = client.post("/api/adjudicate/t1", content=body.encode(), headers={"X-CSRF-Token": token,
                                                                           "content-type": "application/json"})
    assert r.status_code == 422 and r.json()["error"] == "invalid", r.text
    assert client.get("/api/items/t1").json()["history"] == before


@pytest.mark.parametrize("name", ["g\u043eld", "m\u043edel:x", "r\u0430ter:1", "\u0261old", "go\u04c0d"])
def test_look_alike_reserved_annotator_names_are_422(client, name):
    """'gold' with a Cyrillic o (and other UTS #39 look-alikes) reads as gold in the UI and history."""
    before = client.get("/api/items/t1").json()["history"]
    r = post(client, {"annotator": name, "action": "accept_gold"})
    assert r.status_code == 422 and "reserved" in json.dumps(r.json()["detail"]), r.text
    assert client.get("/api/items/t1").json()["history"] == before
