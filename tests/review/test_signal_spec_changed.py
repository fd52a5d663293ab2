"""A store rebuilt with an edited signal spec (found by QA, session 13): a label dropped from the
spec after some items were decided with it was exported into the gold ('angry' for t5, which the
eval then warned 'can never be predicted' and scored wrong), and 'accept model' saved the value of
a run tagged with the older spec. Now build warns naming the items, export refuses (exit 2) until
they are relabelled, and accept-model refuses a value the spec does not allow."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from linernotes.review.build import build_store
from linernotes.review.export import ExportError, export_gold
from linernotes.review.store import Adjudication, ReviewStore
from linernotes.signals.spec import load_signals
from tests.conftest import run_liner_in_process

V1 = "name: mood_tags\nkind: multilabel\nlabels: [happy, sad, angry]\ninstructions: The moods.\n"
V2 = "name: mood_tags\nkind: multilabel\nlabels: [happy, sad, energetic]\ninstructions: The moods.\n"


def _files(tmp_path: Path) -> tuple[Path, Path, Path]:
    (tmp_path / "v1.yaml").write_text(V1, encoding="utf-8")
    (tmp_path / "v2.yaml").write_text(V2, encoding="utf-8")
    catalog = tmp_path / "catalog.jsonl"
    catalog.write_text("".join(json.dumps({"id": i, "type": "track", "title": i}) + "\n" for i in ("a", "b")),
                       encoding="utf-8")
    return tmp_path / "v1.yaml", tmp_path / "v2.yaml", catalog


def _edit(store: ReviewStore, item: str, labels: list[str], who: str = "ann") -> None:
    store.adjudicate(item, Adjudication(annotator=who, action="edit", version=store.get(item).version,
                                        values={"mood_tags": labels}))


def test_a_label_the_new_spec_dropped_never_reaches_the_gold(tmp_path: Path) -> None:
    v1, v2, catalog = _files(tmp_path)
    store_path = tmp_path / "s.sqlite"
    build_store(store_path, gold=catalog, signals=load_signals([v1]))
    store = ReviewStore(store_path)
    _edit(store, "a", ["angry"])
    _edit(store, "b", ["happy"])
    result = build_store(store_path, gold=catalog, signals=load_signals([v2]))
    (note,) = [n for n in result.notes if "not allowed" in n]
    assert "'a': mood_tags ['angry']: mood_tags: 'angry' not in the vocabulary" in note
    with pytest.raises(ExportError, match=r"1 decided value\(s\) are not allowed .*'a': mood_tags \['angry'\]"):
        export_gold(store, tmp_path / "gold")
    assert not (tmp_path / "gold" / "v1").exists()
    _edit(store, "a", ["energetic"])  # relabelled: the export goes through
    from datasets import load_from_disk

    gold = {r["id"]: r["mood_tags"] for r in load_from_disk(export_gold(store, tmp_path / "gold").path)}
    assert gold == {"a": ["energetic"], "b": ["happy"]}


def _older_run(tmp_path: Path) -> Path:
    """A liner tag output whose mood_tags value came from another version of the spec."""
    run = tmp_path / "tagged.jsonl"
    signal = {"value": ["angry"], "confidence": 0.3, "evidence": {},
              "provenance": {"spec_hash": "old", "kind": "multilabel", "source": "evidence", "calibrated": False}}
    run.write_text(json.dumps({"id": "a", "status": "ok", "error": None, "enrichment": {
        "genres": [], "moods": [], "valence": 0.0, "language": "en", "explicit": {"value": False, "evidence": []},
        "policy_flags": [], "confidence": {}, "review": {"routed": True, "reasons": []},
        "signals": {"mood_tags": signal}}}) + "\n", encoding="utf-8")
    return run


def test_accept_model_refuses_a_value_of_an_older_spec(tmp_path: Path) -> None:
    v1, v2, catalog = _files(tmp_path)
    run = _older_run(tmp_path)
    store_path = tmp_path / "s.sqlite"
    build_store(store_path, run=run, gold=catalog, signals=load_signals([v2]))
    store = ReviewStore(store_path)
    with pytest.raises(ValueError, match="'angry' not in the vocabulary"):
        store.adjudicate("a", Adjudication(annotator="ann", action="accept_model", version=store.get("a").version))
    assert store.get("a").decision == {}


def test_liner_review_export_exits_2_naming_the_item(tmp_path: Path) -> None:
    v1, v2, catalog = _files(tmp_path)
    store_path = tmp_path / "s.sqlite"
    build_store(store_path, gold=catalog, signals=load_signals([v1]))
    _edit(ReviewStore(store_path), "a", ["angry"])
    build_store(store_path, gold=catalog, signals=load_signals([v2]))
    r = run_liner_in_process(["review", "export", "--store", store_path, "-o", tmp_path / "gold"])
    assert r.returncode == 2, r.stderr
    assert "'a': mood_tags ['angry']" in r.stderr and "relabel those items" in r.stderr


def test_build_names_a_run_tagged_with_another_version_of_the_spec(tmp_path: Path) -> None:
    """Session 16: build was silent; the page then showed the model's 'angry' and 'accept model'
    answered 422, with nothing saying the run came from another definition of the signal."""
    v1, v2, catalog = _files(tmp_path)
    run = _older_run(tmp_path)
    (spec,) = load_signals([v2])
    result = build_store(tmp_path / "s.sqlite", run=run, gold=catalog, signals=[spec])
    (note,) = [n for n in result.notes if "another version of its spec" in n]
    assert note.startswith(f"{run}: signal mood_tags was tagged with another version of its spec (old on 1 item(s); "
                           f"{v2} is {spec.content_hash} now): 1 of the model's values are not allowed now "
                           "('a': mood_tags: 'angry' not in the vocabulary"), note
    assert "'accept model' refuses them" in note
    # tagged with this very spec: nothing to say
    same = json.loads(run.read_text(encoding="utf-8"))
    same["enrichment"]["signals"]["mood_tags"]["provenance"]["spec_hash"] = spec.content_hash
    run.write_text(json.dumps(same) + "\n", encoding="utf-8")
    result = build_store(tmp_path / "t.sqlite", run=run, gold=catalog, signals=[spec])
    assert not [n for n in result.notes if "another version" in n]
