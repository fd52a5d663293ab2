"""'Accept model' (key a) checks the model's value as an edit is checked, built-in fields too.

A run from someone else (or hand-edited) is read by ``liner review build``; its predictions were
saved as gold unchecked on one key press: ``valence: 9.0`` was exported as a VADER mean of 36.0
on the -4..4 scale. Now such a value is a 422 naming the field, nothing is saved, and a value in
range is still accepted as before. (A genre outside the taxonomy stays acceptable: a built-in set
field's vocabulary takes the store's own gold and model labels by design, ``review.vocab``.)
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from linernotes.review.build import build_store
from linernotes.review.web.app import Settings, create_app
from tests.review.conftest import make_prediction

BASE = "http://127.0.0.1"


def _client(tmp: Path, gold_row: dict, prediction: dict) -> TestClient:
    (tmp / "g.jsonl").write_text(json.dumps(gold_row) + "\n")
    (tmp / "out.jsonl").write_text(json.dumps({"id": gold_row["id"], "status": "ok", "enrichment": prediction,
                                               "error": None}) + "\n")
    build_store(tmp / "s.sqlite", run=tmp / "out.jsonl", gold=tmp / "g.jsonl")
    return TestClient(create_app(Settings(store=tmp / "s.sqlite")), base_url=BASE)


def _accept(c: TestClient, item: str):
    token = c.get("/api/session").json()["csrf_token"]
    version = c.get(f"/api/items/{item}").json()["version"]
    return c.post(f"/api/adjudicate/{item}", json={"annotator": "ann", "action": "accept_model", "version": version},
                  headers={"X-CSRF-Token": token})


VADER = {"id": "v1", "source": "tweets", "text": "fine", "ratings": [1, 2, 1, 2], "mean": 1.5, "sd": 0.5}
TRACK = {"id": "t1", "title": "Night Drive", "gold_genres": ["techno"]}


@pytest.mark.parametrize(("row", "change", "field"), [
    (VADER, {"valence": 9.0}, "valence"),               # the finding: exported as mean 36.0
    (VADER, {"valence": -1.5}, "valence"),
    (VADER, {"valence": 1e300}, "valence"),
])
def test_a_model_value_outside_the_field_is_refused(tmp_path: Path, row, change, field):
    prediction = make_prediction(0.2, conf=0.1, genres=["house"]) | change
    with _client(tmp_path, row, prediction) as c:
        r = _accept(c, row["id"])
        assert r.status_code == 422, r.text
        assert field in r.json()["detail"] and "edit it" in r.json()["detail"]
        state = c.get(f"/api/items/{row['id']}").json()
        assert state["history"] == [] and state["decision"] == {}


@pytest.mark.parametrize(("row", "change", "field", "saved"), [
    (VADER, {"valence": 0.75}, "valence", 0.75),
    (TRACK, {"genres": ["techno", "deep-house"]}, "genres", ["deep-house", "techno"]),
])
def test_a_model_value_in_range_is_still_accepted(tmp_path: Path, row, change, field, saved):
    prediction = make_prediction(0.2, conf=0.1) | change
    with _client(tmp_path, row, prediction) as c:
        r = _accept(c, row["id"])
        assert r.status_code == 200, r.text
        assert r.json()["decision"][field] == saved


def test_a_model_without_a_value_is_refused_and_stats_read_old_none_decisions(tmp_path: Path) -> None:
    """A run whose valence was NaN (read as null) was 'accepted' as a None decision; /api/stats and
    ``liner review stats`` then failed on it (500; 'float() argument must be ... not NoneType').
    Now the accept is a 422, and a None decision already in a store is no label to the stats."""
    import sqlite3

    from linernotes.review.store import Adjudication, ReviewStore

    split = {**VADER, "ratings": [-4, 4, -4, 4], "mean": 0.0, "sd": 4.0}  # queued for its raters, with no model value
    with _client(tmp_path, split, make_prediction(0.2, conf=0.1) | {"valence": None}) as c:
        r = _accept(c, "v1")
        assert r.status_code == 422 and "the model gave no value for valence" in r.json()["detail"], r.text
        assert c.get("/api/items/v1").json()["history"] == []
        # a store saved before this check: the same decision, written as the old code wrote it
        store = ReviewStore(tmp_path / "s.sqlite")
        store.adjudicate("v1", Adjudication(annotator="ann", action="edit", version=0, values={"valence": 0.5}))
        with sqlite3.connect(tmp_path / "s.sqlite") as con:
            con.execute("UPDATE adjudications SET new = ?", ('{"valence": null}',))
        assert c.get("/api/stats").status_code == 200
