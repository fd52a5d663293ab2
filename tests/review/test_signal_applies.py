"""``review build --signals`` honours each signal's ``applies_to``: an item is queued only for the
signals that apply to its type (none: not queued), and its page shows only those controls."""

from __future__ import annotations

import json
import re
from pathlib import Path

from fastapi.testclient import TestClient

from linernotes.review.build import build_store
from linernotes.review.store import ReviewStore
from linernotes.review.web.app import Settings, create_app
from linernotes.signals.spec import load_signals

SPEC = """\
- name: true_crime
  kind: boolean
  applies_to: [episode]
  instructions: True when the episode is about a real crime.
- name: decade
  kind: single_label
  labels: [1970s, 1980s]
  applies_to: [track]
  instructions: The decade the recording sounds like.
"""
ROWS = [{"id": "t1", "type": "track", "title": "Disco"}, {"id": "e1", "type": "episode", "title": "The Case"},
        {"id": "t2", "title": "No type: a track, as the catalog reader reads it"},
        {"id": "c1", "type": "chapter", "title": "Chapter One"}]


def test_review_build_queues_each_item_only_for_the_signals_that_apply(tmp_path: Path) -> None:
    spec = tmp_path / "signals.yaml"
    spec.write_text(SPEC, encoding="utf-8")
    catalog = tmp_path / "catalog.jsonl"
    catalog.write_text("".join(json.dumps(r) + "\n" for r in ROWS), encoding="utf-8")
    store_path = tmp_path / "s.sqlite"
    result = build_store(store_path, gold=catalog, signals=load_signals([spec]))
    assert result.queued == 3  # the chapter: no signal applies to it, and the build says so
    assert result.notes == ["1 item(s) of type chapter not queued: no declared signal applies to chapter"]
    store = ReviewStore(store_path)
    assert {i: store.get(i).entry.fields for i in ("t1", "e1", "t2")} == {
        "t1": ["decade"], "e1": ["true_crime"], "t2": ["decade"]}
    try:
        store.get("c1")
        raise AssertionError("the chapter was queued")
    except KeyError:
        pass

    with TestClient(create_app(Settings(store=store_path)), base_url="http://127.0.0.1:8765") as c:
        track = c.get("/item/t1").text
        episode = c.get("/item/e1").text
    controls = re.compile(r'name="value_(\w+)"')
    assert set(controls.findall(track)) == {"decade"}
    assert set(controls.findall(episode)) == {"true_crime"}
    assert "real crime" in episode and "real crime" not in track  # the guideline of its own signal only


def test_sample_is_drawn_among_the_items_a_signal_applies_to(tmp_path: Path) -> None:
    """``--sample N`` drew from every item and then dropped those no signal applies to, so a
    catalog of 8 tracks and 8 episodes with a track-only signal queued fewer than N (found by QA)."""
    spec = tmp_path / "decade.yaml"
    spec.write_text("name: decade\nkind: single_label\nlabels: [1970s, 1980s]\napplies_to: [track]\n"
                    "instructions: The decade the recording sounds like.\n", encoding="utf-8")
    catalog = tmp_path / "catalog.jsonl"
    rows = [{"id": f"{t[0]}{n}", "type": t, "title": f"{t} {n}"} for t in ("track", "episode") for n in range(8)]
    catalog.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    from linernotes.review.queue import QueueOptions

    for seed in range(5):
        result = build_store(tmp_path / f"s{seed}.sqlite", gold=catalog, signals=load_signals([spec]),
                             options=QueueOptions(sample=6, seed=seed))
        assert result.queued == 6, (seed, result)
        assert all(i.id.startswith("t") for i in ReviewStore(tmp_path / f"s{seed}.sqlite").list_items())


def test_a_value_for_a_signal_that_does_not_apply_to_the_item_is_refused(tmp_path: Path) -> None:
    """The page shows only the applicable controls, but the API saved ``decade`` on an episode and
    ``true_crime`` on a track, and export wrote them into the gold (found by QA)."""
    spec = tmp_path / "signals.yaml"
    spec.write_text(SPEC, encoding="utf-8")
    catalog = tmp_path / "catalog.jsonl"
    catalog.write_text("".join(json.dumps(r) + "\n" for r in ROWS), encoding="utf-8")
    store_path = tmp_path / "s.sqlite"
    build_store(store_path, gold=catalog, signals=load_signals([spec]))
    with TestClient(create_app(Settings(store=store_path)), base_url="http://127.0.0.1:8765") as c:
        headers = {"X-CSRF-Token": c.get("/api/session").json()["csrf_token"]}

        def post(item: str, values: dict) -> object:
            version = c.get(f"/api/items/{item}").json()["version"]
            return c.post(f"/api/adjudicate/{item}", headers=headers,
                          json={"annotator": "ann", "action": "edit", "version": version, "values": values})

        r = post("e1", {"decade": "1970s"})
        assert r.status_code == 422 and "decade: does not apply to this item" in r.json()["detail"], r.text
        assert "track" in r.json()["detail"]
        r = post("t1", {"true_crime": "true", "decade": "1980s"})
        assert r.status_code == 422 and "true_crime: does not apply" in r.json()["detail"], r.text
        assert post("t1", {"decade": "1980s"}).status_code == 200
        assert post("e1", {"true_crime": "true"}).status_code == 200
    assert ReviewStore(store_path).get("e1").decision == {"true_crime": "true"}


def test_a_signal_eval_run_without_signals_says_to_pass_them(tmp_path: Path) -> None:
    """``review build --run RUN.json`` of an eval that scored declared signals, without
    ``--signals``, listed only the built-in fields it looked for (found by QA)."""
    import pytest

    from linernotes.review.sources import SourceError

    run = tmp_path / "run.json"
    run.write_text(json.dumps({"spec": "my-gold", "tasks": [{"name": "pos", "kind": "boolean", "signal": "pos"}],
                               "items": [{"id": "a", "inputs": {"description": "nice"}, "gold": {"pos": True},
                                          "prediction": {"signals": {"pos": {"value": True}}}}]}), encoding="utf-8")
    with pytest.raises(SourceError, match=r"declared signals \(pos\): give their spec files with --signals"):
        build_store(tmp_path / "s.sqlite", run=run)


def test_an_empty_gold_or_run_is_an_error_not_an_empty_queue(tmp_path: Path) -> None:
    """``--gold empty.jsonl`` printed "queued 0 of 0 items" (exit 0) and ``--run empty.jsonl``
    was taken as no run at all (found by QA)."""
    import pytest

    from linernotes.review.sources import SourceError

    spec = tmp_path / "signals.yaml"
    spec.write_text(SPEC, encoding="utf-8")
    empty = tmp_path / "empty.jsonl"
    empty.write_text("", encoding="utf-8")
    catalog = tmp_path / "catalog.jsonl"
    catalog.write_text("".join(json.dumps(r) + "\n" for r in ROWS), encoding="utf-8")
    with pytest.raises(SourceError, match=r"empty.jsonl: the gold set has no rows"):
        build_store(tmp_path / "a.sqlite", gold=empty, signals=load_signals([spec]))
    with pytest.raises(SourceError, match=r"empty.jsonl: the run holds no records"):
        build_store(tmp_path / "b.sqlite", gold=catalog, run=empty, signals=load_signals([spec]))
