"""'None of these' for a declared multilabel signal (QA, session 16): eval scores a gold [] as
"none of the signal's labels applies" (f0fa259: the model's labels there count as wrong), but
review could not record it: the API refused [] ('mood needs at least one label'), the item page
had no way to say it, and an item with no label on its multi-select was exported as no gold, so
the labels the model predicted on it were never counted. Now [] is a decision (API and a 'none of
these' box), exported as [] (as '[]' into a CSV gold set's text column, which reads back as [])."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from datasets import load_from_disk
from fastapi.testclient import TestClient

from linernotes.review.build import build_store
from linernotes.review.export import export_gold
from linernotes.review.store import Adjudication, ReviewStore
from linernotes.review.web.app import Settings, create_app
from linernotes.signals.spec import load_signals

MOOD = "name: mood\nkind: multilabel\nlabels: [calm, sad]\ninstructions: The moods.\n"


def _store(tmp_path: Path, gold: str = "gold.jsonl") -> Path:
    (tmp_path / "mood.yaml").write_text(MOOD, encoding="utf-8")
    if gold.endswith(".csv"):
        (tmp_path / gold).write_text("id,type,title,mood\na,track,A,\nb,track,B,\nc,track,C,sad\n", encoding="utf-8")
    else:
        (tmp_path / gold).write_text("".join(json.dumps({"id": i, "type": "track", "title": i}) + "\n"
                                             for i in "ab"), encoding="utf-8")
    path = tmp_path / "s.sqlite"
    build_store(path, gold=tmp_path / gold, signals=load_signals([tmp_path / "mood.yaml"]))
    return path


def _edit(store: ReviewStore, item: str, labels: list[str]) -> None:
    store.adjudicate(item, Adjudication(annotator="ann", action="edit", version=store.get(item).version,
                                        values={"mood": labels}))


@pytest.mark.parametrize(("gold", "written"), [("gold.jsonl", [[], ["calm"]]), ("gold.csv", ["[]", "calm", "sad"])])
def test_none_of_the_labels_is_a_decision_and_exported(tmp_path: Path, gold: str, written: list) -> None:
    path = _store(tmp_path, gold)
    store = ReviewStore(path)
    _edit(store, "a", [])
    _edit(store, "b", ["calm"])
    assert store.get("a").status == "adjudicated" and store.get("a").decision == {"mood": []}
    result = export_gold(store, tmp_path / "out")
    assert load_from_disk(result.path)["mood"] == written
    # the export is labelled gold for the next round: nothing left to label
    rebuilt = build_store(tmp_path / "t.sqlite", gold=result.path, signals=load_signals([tmp_path / "mood.yaml"]))
    assert rebuilt.queued == 0, ReviewStore(tmp_path / "t.sqlite").list_items()


def test_the_item_page_says_none_of_these(tmp_path: Path) -> None:
    with TestClient(create_app(Settings(store=_store(tmp_path))), base_url="http://127.0.0.1") as c:
        page = c.get("/item/a").text
        assert 'name="none_mood"' in page and "none of these" in page
        token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
        form = {"csrf_token": token, "version": "0", "action": "edit", "annotator": "ann"}
        both = c.post("/decide/a", data={**form, "none_mood": "1", "value_mood": "calm"}, follow_redirects=False)
        assert both.status_code == 422 and "none of these" in both.text and "calm" in both.text
        r = c.post("/decide/a", data={**form, "none_mood": "1"}, follow_redirects=False)
        assert r.status_code == 303, r.text
        assert c.get("/api/items/a").json()["decision"] == {"mood": []}
        assert 'name="none_mood" value="1" checked' in c.get("/item/a").text
