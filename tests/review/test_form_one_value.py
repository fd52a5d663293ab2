"""A one-value control (a radio, yes/no, a slider, a text box) sent twice with different values is
refused with 422 naming the field and both values (QA session 25: a form with 'happy' checked and
a second value_mood 'sad' saved 'sad', the last one, and dropped the other without a word; a
browser extension, a user script or a template bug sends such a form). The same value twice is
one value; a multi-select takes several as before."""

from __future__ import annotations

import html
import json
import re
from pathlib import Path
from urllib.parse import urlencode

import pytest
from fastapi.testclient import TestClient

from linernotes.review.build import build_store
from linernotes.review.web.app import Settings, create_app
from linernotes.signals.spec import load_signals

SPEC = """\
- {name: mood, kind: single_label, labels: [happy, sad], instructions: The mood.}
- {name: rude, kind: boolean, instructions: "Is it rude?"}
- {name: tempo_feel, kind: scalar, range: [0, 10], instructions: How fast.}
- {name: note, kind: text, instructions: A note.}
- {name: themes, kind: multilabel, labels: [love, war], instructions: The themes.}
"""
GOOD = {"value_mood": "happy", "value_rude": "false", "value_tempo_feel": "3", "set_tempo_feel": "1",
        "value_note": "ok", "value_themes": "love"}


@pytest.fixture
def client(tmp_path: Path):
    (tmp_path / "s.yaml").write_text(SPEC, encoding="utf-8")
    (tmp_path / "c.jsonl").write_text(json.dumps({"id": "a", "type": "track", "title": "A"}) + "\n", encoding="utf-8")
    build_store(tmp_path / "s.sqlite", gold=tmp_path / "c.jsonl", signals=load_signals([tmp_path / "s.yaml"]))
    with TestClient(create_app(Settings(store=tmp_path / "s.sqlite")), base_url="http://127.0.0.1") as c:
        yield c


def _post(client: TestClient, data: list[tuple[str, str]]):
    """A form with repeated keys, urlencoded as a browser sends it."""
    return client.post("/decide/a", content=urlencode(data), follow_redirects=False,
                       headers={"Content-Type": "application/x-www-form-urlencoded"})


def _form(client: TestClient) -> dict[str, str]:
    token = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/item/a").text).group(1)
    return {"csrf_token": token, "version": "0", "action": "edit", "annotator": "ann"}


@pytest.mark.parametrize(("field", "second"), [("mood", "sad"), ("rude", "true"), ("tempo_feel", "9"),
                                               ("note", "other")])
def test_two_values_of_a_one_value_control_are_refused(client: TestClient, field: str, second: str) -> None:
    data = [*_form(client).items(), *GOOD.items(), (f"value_{field}", second)]
    r = _post(client, data)
    assert r.status_code == 422, r.text[:500]
    text = html.unescape(r.text)
    assert f"{field} takes one value; the form sent 2" in text and repr(second) in text
    assert client.get("/api/items/a").json()["decision"] == {}  # nothing saved


def test_one_value_sent_twice_and_several_labels_of_a_multiselect_are_saved(client: TestClient) -> None:
    data = [*_form(client).items(), *GOOD.items(), ("value_mood", "happy"), ("value_themes", "war")]
    r = _post(client, data)
    assert r.status_code == 303, r.text[:500]
    decision = client.get("/api/items/a").json()["decision"]
    assert decision["mood"] == "happy" and sorted(decision["themes"]) == ["love", "war"]
