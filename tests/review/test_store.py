"""The store: decisions with history, no lost update, nothing half-written after a crash."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import textwrap

import pytest

from linernotes.review.build import build_store
from linernotes.review.store import Adjudication, QueueFilter, ReviewStore, StoreError, VersionConflict


def test_store_is_wal_and_holds_queue_and_whole_gold_set(store, built_store):
    con = sqlite3.connect(built_store)
    assert con.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert len(store.gold_rows()) == 6  # every gold row, queued or not: export writes the whole set
    assert {i.id for i in store.list_items()} == {"model-off", "raters-split", "hostile", "broken"}


def test_adjudication_records_who_when_from_to_and_why(store):
    state = store.adjudicate("model-off", Adjudication(annotator="ann", action="edit", version=0,
                                                       values={"valence": "0.5"}, comment="mildly positive"))
    assert (state.status, state.version, state.decision) == ("adjudicated", 1, {"valence": 0.5})
    [h] = state.history
    assert (h.annotator, h.action, h.previous, h.new, h.comment) == ("ann", "edit", {"valence": 0.75},
                                                                     {"valence": 0.5}, "mildly positive")
    assert h.at.endswith("+00:00")
    again = store.adjudicate("model-off", Adjudication(annotator="bob", action="accept_model", version=1))
    assert again.decision == {"valence": -0.5} and again.history[-1].previous == {"valence": 0.5}


def test_stale_save_conflicts_and_carries_current_state(store):
    store.adjudicate("model-off", Adjudication(annotator="ann", action="accept_gold", version=0))
    with pytest.raises(VersionConflict) as err:
        store.adjudicate("model-off", Adjudication(annotator="bob", action="accept_model", version=0))
    assert err.value.current.version == 1 and err.value.current.updated_by == "ann"
    assert store.get("model-off").decision == {"valence": 0.75}
    assert len(store.history()) == 1


def test_actions_validate(store):
    with pytest.raises(ValueError, match="no model prediction"):
        store.adjudicate("broken", Adjudication(annotator="a", action="accept_model", version=0))
    with pytest.raises(ValueError, match="unknown field"):
        store.adjudicate("model-off", Adjudication(annotator="a", action="edit", version=0, values={"x": 1}))
    with pytest.raises(ValueError, match="in \\[-1"):
        store.adjudicate("model-off", Adjudication(annotator="a", action="edit", version=0, values={"valence": 3}))
    with pytest.raises(KeyError):
        store.get("nope")
    assert store.history() == []


def test_skip_keeps_values_and_consensus_uses_raters(store):
    s = store.adjudicate("raters-split", Adjudication(annotator="a", action="skip", version=0))
    assert (s.status, s.decision, s.version) == ("skipped", {}, 1)
    s = store.adjudicate("raters-split", Adjudication(annotator="a", action="accept_consensus", version=1))
    assert s.status == "adjudicated" and s.decision == {"valence": pytest.approx(0.0)}


def test_filters(store):
    store.adjudicate("hostile", Adjudication(annotator="zoe", action="accept_gold", version=0))
    assert [i.id for i in store.list_items(QueueFilter(reason="annotators_disagree"))] == ["raters-split"]
    assert [i.id for i in store.list_items(QueueFilter(annotator="zoe"))] == ["hostile"]
    assert [i.id for i in store.list_items(QueueFilter(status="adjudicated"))] == ["hostile"]
    assert {i.id for i in store.list_items(QueueFilter(label="negative"))} == {"model-off"}  # model says negative
    assert "raters-split" in {i.id for i in store.list_items(QueueFilter(label="neutral"))}
    assert [i.id for i in store.list_items(QueueFilter(sort="id"))] == sorted(i.id for i in store.list_items())
    assert "zoe" in store.facets()["annotator"] and "model_error" in store.facets()["reason"]


def test_rebuild_keeps_decisions(built_store, tag_output, gold_file):
    ReviewStore(built_store).adjudicate("model-off", Adjudication(annotator="a", action="accept_gold", version=0))
    build_store(built_store, run=tag_output, gold=gold_file)
    s = ReviewStore(built_store).get("model-off")
    assert (s.version, s.status, len(s.history)) == (1, "adjudicated", 1)


def test_missing_store_is_a_clear_error(tmp_path):
    with pytest.raises(StoreError, match="not found"):
        ReviewStore(tmp_path / "none.sqlite")


def test_exception_between_writes_rolls_back(store, monkeypatch):
    def boom():
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(ReviewStore, "fault_hook", staticmethod(boom))
    with pytest.raises(RuntimeError):
        store.adjudicate("model-off", Adjudication(annotator="a", action="accept_model", version=0))
    monkeypatch.setattr(ReviewStore, "fault_hook", None)
    s = store.get("model-off")
    assert (s.version, s.status, s.history) == (0, "open", [])
    assert store.adjudicate("model-off", Adjudication(annotator="a", action="accept_model", version=0)).version == 1


@pytest.mark.slow
def test_sigkill_mid_transaction_leaves_store_consistent(built_store):
    """A writer killed after its history insert but before the item update commits nothing."""
    script = textwrap.dedent(f"""
        import sys, time
        from linernotes.review.store import Adjudication, ReviewStore
        def stall():
            print("mid-write", flush=True)
            time.sleep(120)
        ReviewStore.fault_hook = staticmethod(stall)
        ReviewStore({str(built_store)!r}).adjudicate(
            "model-off", Adjudication(annotator="crash", action="accept_model", version=0))
    """)
    proc = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout.readline().strip() == "mid-write"
        os.kill(proc.pid, signal.SIGKILL)
    finally:
        proc.wait(timeout=30)
    assert proc.returncode == -signal.SIGKILL
    store = ReviewStore(built_store)
    assert store.integrity() == "ok"
    s = store.get("model-off")
    assert (s.version, s.status, s.decision, s.history) == (0, "open", {}, [])
    con = sqlite3.connect(built_store)
    assert con.execute("SELECT COUNT(*) FROM adjudications").fetchone()[0] == 0
    assert json.loads(con.execute("SELECT decision FROM items WHERE id = 'model-off'").fetchone()[0]) == {}
    # the lock died with the writer: the next save goes through
    assert store.adjudicate("model-off", Adjudication(annotator="a", action="accept_model", version=0)).version == 1


def test_racing_saves_from_two_threads_one_wins_one_conflicts(built_store):
    from concurrent.futures import ThreadPoolExecutor
    from threading import Barrier

    gate = Barrier(2)

    def save(who: str):
        s = ReviewStore(built_store)
        gate.wait()
        try:
            return s.adjudicate("model-off", Adjudication(annotator=who, action="accept_gold", version=0)).version
        except VersionConflict as c:
            return f"conflict@{c.current.version}"

    with ThreadPoolExecutor(2) as pool:
        results = sorted(map(str, pool.map(save, ["ann", "bob"])))
    assert results == ["1", "conflict@1"]
    assert len(ReviewStore(built_store).history()) == 1


def expected_priorities() -> dict[str, float]:
    """The queue's priorities worked out by hand from the fixture rows (README: disagreement x
    (1 - model confidence) x max(0.25, severity / 4)), without calling the product's code.

    - model-off: model -0.5 vs gold 3/4 = 0.75 -> |diff| / 2 = 0.625; confidence 0.2 -> 0.8; 0.25
    - raters-split: ratings /4 = [-1, 1, -1, 1, 0], population sd sqrt(0.8) / largest sd 1; conf 0.6
    - hostile: only routed (floor 0.1); confidence 0.8 -> 0.2; severity 4 -> 1
    - broken: the model failed (1.0), no prediction (uncertainty 1), no flag (0.25)
    """
    return {"model-off": 0.625 * 0.8 * 0.25, "raters-split": 0.8 ** 0.5 * 0.4 * 0.25, "hostile": 0.1 * 0.2 * 1.0,
            "broken": 1.0 * 1.0 * 0.25}


def test_queue_is_in_hand_computed_priority_order(store):
    want = expected_priorities()
    order = sorted(want, key=lambda k: -want[k])
    assert order == ["broken", "model-off", "raters-split", "hostile"]
    got = store.list_items()
    assert [i.id for i in got] == order
    assert [i.priority for i in got] == pytest.approx([want[k] for k in order], abs=1e-4)  # sizes kept to 4 dp


def test_counts_and_neighbours_follow_priority_order(store):
    want = expected_priorities()
    ids = sorted(want, key=lambda k: -want[k])
    assert [store.neighbours(i) for i in ids] == [
        (ids[k - 1] if k else None, ids[k + 1] if k < len(ids) - 1 else None) for k in range(len(ids))]
    store.adjudicate(ids[0], Adjudication(annotator="a", action="skip", version=0))
    assert store.counts() == {"open": len(ids) - 1, "adjudicated": 0, "skipped": 1}
    assert store.next_open() == ids[1]
    assert store.neighbours("nope") == (None, None)
