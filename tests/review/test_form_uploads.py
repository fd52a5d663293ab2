"""A decision form carrying a file is refused (found by QA): a multipart POST to /decide whose
``comment`` (or annotator, or value) part was a file upload saved the text
"UploadFile(filename='x.txt', size=5, headers=...)" in the item's history. Now 422 naming the field,
nothing saved; the same form as text fields is saved as before."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient


@pytest.fixture
def client(one_item_client: TestClient) -> TestClient:
    return one_item_client


@pytest.mark.parametrize("field", ["comment", "annotator", "value_valence"])
def test_a_file_in_a_decision_form_is_422_and_nothing_is_saved(client: TestClient, field: str) -> None:
    text = {"csrf_token": client.cookies.get("liner_review_csrf"), "version": "0", "action": "edit",
            "annotator": "ann", "value_valence": "0.5", "comment": "fine"}
    text.pop(field)
    r = client.post("/decide/a", data=text, files={field: ("x.txt", b"hello", "text/plain")}, follow_redirects=False)
    assert r.status_code == 422 and field in r.text, r.text
    assert client.get("/api/items/a").json()["history"] == []


def test_the_same_form_as_text_is_saved(client: TestClient) -> None:
    text = {"csrf_token": client.cookies.get("liner_review_csrf"), "version": "0", "action": "edit",
            "annotator": "ann", "value_valence": "0.5", "comment": "fine"}
    r = client.post("/decide/a", data=text, follow_redirects=False)
    assert r.status_code == 303, r.text
    assert client.get("/api/items/a").json()["history"][0]["comment"] == "fine"
