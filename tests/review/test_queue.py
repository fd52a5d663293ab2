"""Which items get queued, why, in what order, and with whom as annotators."""

from __future__ import annotations

import pytest

from linernotes.review.fields import FieldSpec, detect_fields
from linernotes.review.priority import SEVERITY_FLOOR, priority, severity, uncertainty
from linernotes.review.queue import QueueOptions, build_queue
from linernotes.review.sources import SourceError, load_source


def by_id(entries):
    return {e.id: e for e in entries}


def test_tag_output_plus_gold_queues_each_kind_of_disagreement(tag_output, gold_file):
    q = by_id(build_queue(load_source(run=tag_output, gold=gold_file)))
    assert set(q) == {"model-off", "raters-split", "hostile", "broken"}  # agree-pos agrees; not-in-run is out of scope
    assert {r.kind for r in q["model-off"].reasons} == {"model_disagrees"}
    assert q["model-off"].reasons[0].size == pytest.approx(abs(-0.5 - 0.75) / 2)
    assert {r.kind for r in q["raters-split"].reasons} == {"annotators_disagree"}
    assert {r.kind for r in q["hostile"].reasons} == {"routed"}
    assert {r.kind for r in q["broken"].reasons} == {"model_error"}


def test_model_is_one_more_annotator_next_to_gold_and_raters(tag_output, gold_file):
    e = by_id(build_queue(load_source(run=tag_output, gold=gold_file)))["model-off"]
    who = {a.annotator: a.value for a in e.annotations}
    assert who["model:test-model"] == -0.5
    assert who["gold"] == pytest.approx(0.75)
    assert [who[f"rater:{n}"] for n in range(1, 6)] == [0.75] * 5
    assert e.consensus["valence"] == pytest.approx(0.75)


def test_queue_is_sorted_by_priority_and_policy_severity_raises_it(tag_output, gold_file):
    entries = build_queue(load_source(run=tag_output, gold=gold_file))
    assert [e.priority for e in entries] == sorted((e.priority for e in entries), reverse=True)
    hostile = by_id(entries)["hostile"]
    assert hostile.severity == 1.0
    assert hostile.priority == pytest.approx(hostile.disagreement * hostile.uncertainty * 1.0)


def test_run_record_source_matches_tag_output_source(run_record, tag_output, gold_file):
    from_record = by_id(build_queue(load_source(run=run_record)))
    assert set(from_record) == {"model-off", "raters-split", "hostile"}
    assert from_record["model-off"].gold["valence"] == pytest.approx(0.75)
    assert from_record["model-off"].inputs == {"description": "great product, love it"}


def test_gold_only_review_queues_rater_disagreement(gold_file):
    q = by_id(build_queue(load_source(gold=gold_file)))
    assert set(q) == {"raters-split", "not-in-run"}
    assert all(e.uncertainty == 1.0 for e in q.values())


def test_thresholds_are_options(tag_output, gold_file):
    strict = build_queue(load_source(run=tag_output, gold=gold_file),
                         QueueOptions(min_model_gap=0.9, min_rater_spread=1.0, include_routed=False))
    assert [e.id for e in strict] == ["broken"]


def test_bad_sources_are_clear_errors(tmp_path, gold_file, tag_output):
    with pytest.raises(SourceError, match="needs --gold"):
        load_source(run=tag_output)
    with pytest.raises(SourceError, match="not found"):
        load_source(gold=tmp_path / "nope.jsonl")
    other = tmp_path / "other.jsonl"
    other.write_text('{"id": "zzz", "status": "ok", "enrichment": null}\n')
    with pytest.raises(SourceError, match="no id of the run"):
        load_source(run=other, gold=gold_file)


def test_field_distances_and_spread_are_on_unit_range():
    val = detect_fields({"mean": 1.0, "ratings": [1]})[0]
    assert (val.name, val.scale) == ("valence", 4.0)
    assert val.distance(-1.0, 1.0) == 1.0
    assert val.spread([-1.0, 1.0]) == 1.0 and val.spread([0.5, 0.5]) == 0.0
    genres = FieldSpec(name="genres", kind="set", gold_key="gold_genres")
    assert genres.distance(["a", "b"], ["b", "c"]) == pytest.approx(1 - 1 / 3)
    assert val.to_gold(val.from_gold(2.5)) == 2.5
    with pytest.raises(ValueError):
        val.parse("1.5")


def test_priority_factors(prediction_factory):
    p = prediction_factory(0.1, conf=0.3, severity=2, text="damn it")
    assert uncertainty(p, ["valence"]) == pytest.approx(0.7)
    assert uncertainty(None, ["valence"]) == 1.0
    assert severity(p) == 0.5 and severity(None) == SEVERITY_FLOOR
    assert priority(0.5, 0.7, 0.5) == pytest.approx(0.175)
