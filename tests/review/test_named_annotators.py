"""Gold sets whose annotators have names: conflicting labels are queued, and identity-based
statistics (Cohen's kappa, per-annotator quality) are computed on them."""

from __future__ import annotations

import json

import pytest

from linernotes.review.agreement import gold_agreement
from linernotes.review.queue import build_queue
from linernotes.review.sources import SourceError, load_source

ROWS = [
    {"id": "t1", "title": "Night Drive", "gold_genres": ["techno"],
     "annotators": {"ana": {"genres": ["techno"]}, "ben": {"genres": ["techno"]}, "cy": {"genres": ["ambient"]}}},
    {"id": "t2", "title": "Slow Tide", "gold_genres": ["ambient"],
     "annotators": {"ana": {"genres": ["ambient"]}, "ben": {"genres": ["ambient"]}, "cy": {"genres": ["ambient"]}}},
    {"id": "t3", "title": "Warehouse", "gold_genres": ["house"],
     "annotators": {"ana": {"genres": ["house"]}, "ben": {"genres": ["techno"]}, "cy": {"genres": ["jazz"]}}},
]


@pytest.fixture
def labelled(tmp_path):
    p = tmp_path / "labelled.jsonl"
    p.write_text("".join(json.dumps(r) + "\n" for r in ROWS))
    return p


def test_conflicting_labels_are_queued_with_named_annotators(labelled):
    q = {e.id: e for e in build_queue(load_source(gold=labelled))}
    assert set(q) == {"t1", "t3"}  # t2: everyone agrees
    assert q["t3"].reasons[0].kind == "annotators_disagree" and q["t3"].reasons[0].field == "genres"
    assert q["t3"].reasons[0].size == pytest.approx(1.0)  # no two of them share a label
    assert q["t1"].reasons[0].size == pytest.approx(2 / 3, abs=1e-4)
    assert {a.annotator for a in q["t1"].annotations} == {"gold", "ana", "ben", "cy"}
    assert q["t1"].consensus == {"genres": ["techno"]}
    assert q["t1"].inputs == {"title": "Night Drive"}  # answers and annotations are not shown as content


def test_identity_statistics_single_out_the_dissenting_annotator(labelled):
    src = load_source(gold=labelled)
    rep = gold_agreement([i.gold_row for i in src.items], src.fields)
    quality = {a.annotator: a.quality for a in rep.annotators}
    assert quality["cy"] < quality["ana"] and quality["cy"] < quality["ben"]
    kappa = {(p.a, p.b): p.cohen_kappa for p in rep.pairs}
    assert kappa[("ana", "ben")] > kappa[("ana", "cy")]
    assert "identified annotators" in rep.fields[0].note


def test_gold_spec_name_resolves_to_its_data(shared_data):
    src = load_source(gold="vader-valence")
    assert len(src.items) == 14221 and src.fields[0].gold_key == "mean"
    with pytest.raises(SourceError, match="neither a file nor a gold spec"):
        load_source(gold="no-such-spec")
