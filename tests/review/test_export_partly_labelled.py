"""An item labelled in some of its declared signals only (QA session 25: mood set, the tempo
slider left unmoved) stays open, and export writes the values it has. Export then listed it both
under ``changed_items`` and under ``undecided``, and the CLI said '4 queued items still undecided
(gold unchanged; see provenance.json)' where 2 of the 4 had their labels written. Now
``undecided`` holds the open items with nothing written (their gold rows are unchanged indeed) and
``partly_decided`` names, per partly labelled item, the signals it still needs."""

from __future__ import annotations

import json
from pathlib import Path

from datasets import load_from_disk

from linernotes.review.build import build_store
from linernotes.review.export import export_gold
from linernotes.review.store import Adjudication, ReviewStore
from linernotes.signals.spec import load_signals

SPEC = """\
- name: mood
  kind: single_label
  labels: [happy, sad]
  instructions: The mood.
- name: tempo_feel
  kind: scalar
  range: [0, 10]
  instructions: How fast it feels.
- name: rude
  kind: boolean
  instructions: Is it rude?
"""


def test_a_partly_labelled_item_is_named_as_such_not_as_undecided(liner_in_process, tmp_path: Path) -> None:
    (tmp_path / "s.yaml").write_text(SPEC, encoding="utf-8")
    catalog = tmp_path / "c.jsonl"
    catalog.write_text("".join(json.dumps({"id": i, "type": "track", "title": f"song {i}"}) + "\n"
                               for i in ("a", "b", "c", "d")), encoding="utf-8")
    path = tmp_path / "s.sqlite"
    build_store(path, gold=catalog, signals=load_signals([tmp_path / "s.yaml"]))
    store = ReviewStore(path)
    store.adjudicate("a", Adjudication(annotator="ann", action="edit", version=0, values={"mood": "sad"}))
    store.adjudicate("b", Adjudication(annotator="ann", action="edit", version=0,
                                       values={"mood": "happy", "tempo_feel": 7.0, "rude": "false"}))
    store.adjudicate("c", Adjudication(annotator="ann", action="edit", version=0,
                                       values={"tempo_feel": 2.0}))
    assert [store.get(i).status for i in "abcd"] == ["open", "adjudicated", "open", "open"]

    r = liner_in_process(["review", "export", "--store", path, "-o", tmp_path / "gold"])
    assert r.returncode == 0, r.stdout + r.stderr
    assert "3 changed" in r.stdout and "1 queued items still undecided" in r.stdout, r.stdout
    assert "2 partly labelled" in r.stdout, r.stdout
    prov = json.loads((tmp_path / "gold" / "v1" / "provenance.json").read_text(encoding="utf-8"))
    assert prov["changed_items"] == ["a", "b", "c"] and prov["undecided"] == ["d"]
    assert prov["partly_decided"] == {"a": ["tempo_feel", "rude"], "c": ["mood", "rude"]}
    rows = {row["id"]: row for row in load_from_disk(str(tmp_path / "gold" / "v1"))}
    assert (rows["a"]["mood"], rows["a"]["tempo_feel"]) == ("sad", None)  # written as labelled, the rest open
    assert (rows["c"]["mood"], rows["c"]["tempo_feel"]) == (None, 2.0)
    assert (rows["d"]["mood"], rows["d"]["tempo_feel"], rows["d"]["rude"]) == (None, None, None)
    # every item once: written (whole or partly) or undecided, as export_while_saving holds it
    assert not set(prov["changed_items"]) & set(prov["undecided"])
    result = export_gold(ReviewStore(path), tmp_path / "gold")
    assert (result.undecided, result.partly_decided, result.changed) == (1, 2, 3)
