"""Export: the next gold version, readable by datasets, with provenance for each change."""

from __future__ import annotations

import json

import pytest
from datasets import load_from_disk

from linernotes.review.export import export_gold
from linernotes.review.sources import load_source
from linernotes.review.store import Adjudication


def test_export_writes_versioned_gold_with_provenance(store, tmp_path):
    store.adjudicate("model-off", Adjudication(annotator="ann", action="edit", version=0, values={"valence": 0.5},
                                               comment="less glowing"))
    store.adjudicate("raters-split", Adjudication(annotator="bob", action="skip", version=0))
    store.adjudicate("hostile", Adjudication(annotator="bob", action="accept_gold", version=0))  # no change
    res = export_gold(store, tmp_path / "gold")
    assert (res.version, res.rows, res.changed, res.skipped) == (1, 6, 1, 1)
    ds = load_from_disk(res.path)
    rows = {r["id"]: r for r in ds}
    assert rows["model-off"]["mean"] == pytest.approx(2.0)  # written back on VADER's own -4..4 scale
    assert rows["model-off"]["ratings"] == [3, 3, 3, 3, 3]  # raters' scores are never rewritten
    assert rows["agree-pos"]["mean"] == pytest.approx(2.8) and rows["not-in-run"]["text"] == "outside the run"
    prov = json.loads((tmp_path / "gold/v1/provenance.json").read_text())
    [change] = prov["changes"]
    assert (change["id"], change["gold_key"], change["before"], change["after"], change["annotator"],
            change["comment"], change["action"]) == ("model-off", "mean", 3.0, 2.0, "ann", "less glowing", "edit")
    assert prov["changed_items"] == ["model-off"] and prov["previous_version"] is None


def test_second_export_is_a_new_version_and_can_seed_the_next_review(store, tmp_path):
    gold_dir = tmp_path / "gold"
    export_gold(store, gold_dir)
    store.adjudicate("model-off", Adjudication(annotator="ann", action="accept_model", version=0))
    res = export_gold(store, gold_dir)
    assert res.version == 2 and (gold_dir / "v1").is_dir()
    assert json.loads((gold_dir / "v2/provenance.json").read_text())["previous_version"] == "v1"
    # the exported folder is a gold set review reads again (its latest version)
    src = load_source(gold=gold_dir)
    assert {i.id: i.gold_row["mean"] for i in src.items}["model-off"] == pytest.approx(-2.0)


def test_export_names_the_queued_items_nobody_decided(store, tmp_path):
    """QA: exporting before every queued item was decided said only 'N rows, 0 changed': nothing told
    the user which items were still open (their gold rows go out unchanged)."""
    queued = sorted(s.id for s in store.list_items())
    store.adjudicate("model-off", Adjudication(annotator="ann", action="accept_model", version=0))
    store.adjudicate("raters-split", Adjudication(annotator="bob", action="skip", version=0))
    res = export_gold(store, tmp_path / "gold")
    open_ids = [i for i in queued if i not in ("model-off", "raters-split")]
    assert open_ids and res.undecided == len(open_ids)
    assert json.loads((tmp_path / "gold/v1/provenance.json").read_text())["undecided"] == open_ids


def test_export_of_a_tag_output_names_its_prompt_hash(store, tmp_path):
    """A store built from a ``liner tag`` output (no run header) named the records' model in the
    export's provenance but not their prompt hash (``based_on.prompt_hash: null``): which prompt
    the model answered under, for the labels accepted from it, was lost."""
    store.adjudicate("model-off", Adjudication(annotator="ann", action="accept_model", version=0))
    export_gold(store, tmp_path / "gold")
    prov = json.loads((tmp_path / "gold/v1/provenance.json").read_text())
    assert (prov["based_on"]["model"], prov["based_on"]["prompt_hash"]) == ("test-model", "abc123")
