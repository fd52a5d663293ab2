"""Review reads a declared signal's gold as the signal's values are spelt, and asks again for gold
the signal no longer allows (QA, session 16).

Before: a boolean signal's gold column of JSON booleans (what export itself writes into such a
column) was read as 'True'/'False' beside the model's 'true', so every agreeing item was queued as
'model true vs gold True' and Cohen's kappa counted them as disagreements; 1/0 or yes/no likewise,
and a single label 'Old' beside 'old'. A gold set exported under one spec and rebuilt with an
edited one (a label dropped, energy now a boolean) queued only the unlabelled items: the rest
counted as labelled, 'keep gold' saved the refused value and export wrote it back unnamed.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from linernotes.review.build import build_store
from linernotes.review.store import Adjudication, ReviewStore
from linernotes.signals.spec import load_signals

BOOL = "name: rude\nkind: boolean\ninstructions: Is it rude?\n"
ERA = "name: era\nkind: single_label\nlabels: [old, new]\ninstructions: Old or new.\n"
MOOD_V1 = "name: mood\nkind: multilabel\nlabels: [calm, sad, tense]\ninstructions: The moods.\n"
MOOD_V2 = "name: mood\nkind: multilabel\nlabels: [calm, sad, anxious]\ninstructions: The moods.\n"


def _write(path: Path, rows: list[dict[str, Any]]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return path


def _spec(tmp_path: Path, name: str, text: str) -> list[Any]:
    (tmp_path / name).write_text(text, encoding="utf-8")
    return load_signals([tmp_path / name])


def _run(tmp_path: Path, values: dict[str, dict[str, Any]]) -> Path:
    """A liner tag output whose declared signals hold ``values`` (id -> signal -> value)."""
    def record(item: str, signals: dict[str, Any]) -> dict[str, Any]:
        return {"id": item, "status": "ok", "error": None, "enrichment": {
            "genres": [], "moods": [], "valence": 0.0, "language": "en",
            "explicit": {"value": False, "evidence": []}, "policy_flags": [], "confidence": {},
            "review": {"routed": False, "reasons": []},
            "signals": {k: {"value": v, "confidence": 0.9, "evidence": {}, "provenance": {
                "spec_hash": "h", "kind": "boolean", "source": "llm", "calibrated": False}}
                for k, v in signals.items()}}}
    return _write(tmp_path / "tagged.jsonl", [record(i, s) for i, s in values.items()])


@pytest.mark.parametrize(("yes", "no"), [(True, False), (1, 0), ("Yes", "no"), ("TRUE", "False")])
def test_boolean_gold_agrees_with_the_model_in_any_spelling(tmp_path: Path, yes: Any, no: Any) -> None:
    catalog = _write(tmp_path / "c.jsonl", [{"id": "a", "type": "track", "rude": yes},
                                           {"id": "b", "type": "track", "rude": no}])
    run = _run(tmp_path, {"a": {"rude": True}, "b": {"rude": True}})
    store_path = tmp_path / "s.sqlite"
    build_store(store_path, run=run, gold=catalog, signals=_spec(tmp_path, "rude.yaml", BOOL))
    store = ReviewStore(store_path)
    queued = {i.id: i.reasons for i in store.list_items()}
    assert "a" not in queued  # model and gold agree: nothing for a person
    assert queued["b"] == ["model_disagrees"]
    assert store.get("b").entry.gold == {"rude": "false"}


def test_a_single_label_gold_in_another_case_is_the_label(tmp_path: Path) -> None:
    catalog = _write(tmp_path / "c.jsonl", [{"id": "a", "type": "track", "era": "Old"}])
    run = _run(tmp_path, {"a": {"era": "old"}})
    store_path = tmp_path / "s.sqlite"
    result = build_store(store_path, run=run, gold=catalog, signals=_spec(tmp_path, "era.yaml", ERA))
    assert result.queued == 0, ReviewStore(store_path).list_items()


def _relabel_store(tmp_path: Path) -> ReviewStore:
    """gold/v1 labelled under MOOD_V1 ('tense'), rebuilt with MOOD_V2 (tense renamed anxious)."""
    catalog = _write(tmp_path / "gold.jsonl", [
        {"id": "a", "type": "track", "mood": ["calm", "tense"], "era": "old"},
        {"id": "b", "type": "track", "mood": ["sad"], "era": "new"},
        {"id": "c", "type": "track"}])
    store_path = tmp_path / "s.sqlite"
    specs = _spec(tmp_path, "mood.yaml", MOOD_V2) + _spec(tmp_path, "era.yaml", ERA)
    result = build_store(store_path, gold=catalog, signals=specs)
    (note,) = [n for n in result.notes if "gold value(s) are not allowed" in n]
    assert "gold.jsonl: 1 gold value(s)" in note
    assert "'a': mood ['calm', 'tense']: mood: 'tense' not in the vocabulary" in note
    return ReviewStore(store_path)


def test_gold_of_a_dropped_label_is_queued_to_be_labelled_again(tmp_path: Path) -> None:
    store = _relabel_store(tmp_path)
    assert sorted(i.id for i in store.list_items()) == ["a", "c"]  # b's gold is allowed; c has none
    (reason,) = store.get("a").entry.reasons
    assert reason.kind == "to_label" and "'tense' not in the vocabulary" in reason.detail


def test_keep_gold_refuses_a_value_the_signal_no_longer_allows(tmp_path: Path) -> None:
    store = _relabel_store(tmp_path)
    with pytest.raises(ValueError, match=r"gold value of mood \['calm', 'tense'\].*not allowed by the signal now"):
        store.adjudicate("a", Adjudication(annotator="ann", action="accept_gold", version=store.get("a").version))
    assert store.get("a").decision == {}


def test_an_edit_of_another_signal_leaves_the_refused_one_open(tmp_path: Path) -> None:
    store = _relabel_store(tmp_path)
    state = store.adjudicate("a", Adjudication(annotator="ann", action="edit", version=store.get("a").version,
                                               values={"era": "new"}))
    assert state.status == "open"
    state = store.adjudicate("a", Adjudication(annotator="ann", action="edit", version=state.version,
                                               values={"mood": ["calm", "anxious"]}))
    assert state.status == "adjudicated"


def test_liner_review_build_names_the_refused_gold(tmp_path: Path) -> None:
    from tests.conftest import run_liner_in_process

    catalog = _write(tmp_path / "gold.jsonl", [{"id": "a", "type": "track", "mood": ["tense"]}])
    (tmp_path / "mood.yaml").write_text(MOOD_V2, encoding="utf-8")
    r = run_liner_in_process(["review", "build", "-o", tmp_path / "s.sqlite", "--gold", catalog,
                              "--signals", tmp_path / "mood.yaml"])
    assert r.returncode == 0, r.stderr
    assert "'a': mood ['tense']: mood: 'tense' not in the vocabulary" in r.stderr
    assert "queued 1 of 1 items" in r.stdout


def test_a_taxonomy_signals_gold_may_name_an_entry_by_its_label(tmp_path: Path) -> None:
    """As eval reads it (8dc3134): 'Sad' is the entry m2 of a taxonomy whose ids are not its labels'
    slugs; a label two entries share names neither. Typed labels map the same way."""
    (tmp_path / "tax.yaml").write_text("id: t\nversion: '1'\nentries:\n  - {id: m1, label: Calm}\n"
                                       "  - {id: m2, label: Sad}\n  - {id: m3, label: Blue}\n  - {id: m4, label: Blue}\n",
                                       encoding="utf-8")
    specs = _spec(tmp_path, "feel.yaml", "name: feel\nkind: multilabel\ntaxonomy: tax.yaml\ninstructions: x\n")
    catalog = _write(tmp_path / "c.jsonl", [{"id": "a", "type": "track", "feel": ["Sad"]},
                                           {"id": "b", "type": "track", "feel": ["blue"]}])
    result = build_store(tmp_path / "s.sqlite", gold=catalog, signals=specs)
    store = ReviewStore(tmp_path / "s.sqlite")
    assert [i.id for i in store.list_items()] == ["b"]  # a's gold is m2; 'blue' names two entries
    assert "'b': feel ['blue']" in " ".join(result.notes)
    state = store.adjudicate("b", Adjudication(annotator="ann", action="edit", version=store.get("b").version,
                                               values={"feel": ["calm", "M3"]}))
    assert state.decision == {"feel": ["m1", "m3"]}


def test_reading_gold_of_a_large_taxonomy_signal_stays_fast(tmp_path: Path) -> None:
    """Each gold value is read through parse since e8723d7; its vocabulary set and spellings were
    rebuilt per value: 2,000 values of a 1,804-entry taxonomy signal took 3.3 s (now ~0.1 s)."""
    import time

    from linernotes.review.fields import signal_field

    (spec,) = _spec(tmp_path, "g.yaml", "name: g\nkind: multilabel\ntaxonomy: music-genres\ninstructions: x\n")
    field = signal_field(spec)
    start = time.process_time()
    for _ in range(2000):
        assert field.from_gold(["techno", "House"]) == ["house", "techno"]
    assert time.process_time() - start < 1.5
