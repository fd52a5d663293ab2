"""Files read back through models outside session 24's ``TextNumbers`` set refuse a quoted number
with '_' in it, where pydantic's lax reading took ``"1_0"`` as 10 (QA session 24 leftovers): an
output's records (``liner export``, ``liner monitor``), a run record (gate, fit, report), the gate's
and review's reading of a run's predictions, a taxonomy or policy pack YAML, an exemplar index's
meta.json. Each names the key path and the reason; a quoted number without '_' reads as before."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from linernotes.numbers import UNDERSCORE_REASON

REASON = "'_' is not allowed in a number"


def _record(valence: object = 0.25, line: object = 3) -> list[str]:
    """An ok record (valence given) and an error record (its line given), as output lines."""
    from linernotes.schema import (
        Confidence,
        Enrichment,
        ErrorInfo,
        Explicit,
        OutputRecord,
        Provenance,
        Review,
    )

    enr = Enrichment(valence=0.25, language="en", explicit=Explicit(value=False),
                     confidence=Confidence(genres=0.5, moods=0.5, valence=0.5, language=0.5, explicit=0.5, policy=0.5),
                     review=Review(routed=False), provenance=Provenance(model="m", prompt_hash="h"))
    ok = json.loads(OutputRecord(id="a", status="ok", enrichment=enr).model_dump_json())
    ok["enrichment"]["valence"] = valence
    err = json.loads(OutputRecord(id="b", status="error", error=ErrorInfo(kind="input.invalid", message="m")).model_dump_json())
    err["error"]["line"] = line
    return [json.dumps(ok), json.dumps(err)]


def test_an_outputs_records_refuse_it_in_export_and_monitor(tmp_path: Path) -> None:
    from linernotes.monitor.load import load_output
    from linernotes.sinks.export import export_parquet

    out = tmp_path / "out.jsonl"
    good = json.loads(_record()[0]) | {"id": "c"}
    out.write_text("\n".join([*_record(valence="0_5", line="1_0"), json.dumps(good)]) + "\n", encoding="utf-8")
    problems = load_output(out).problems
    assert [(p.line, REASON in p.reason) for p in problems] == [(1, True), (2, True)], problems
    assert "enrichment.valence" in problems[0].reason and "error.line" in problems[1].reason
    result = export_parquet(out, tmp_path / "out.parquet")
    assert result.rows == 1 and [p.line for p in result.problems] == [1, 2], result.problems
    fine = tmp_path / "fine.jsonl"
    fine.write_text("\n".join(_record(valence="0.5", line="10")) + "\n", encoding="utf-8")
    assert load_output(fine).problems == []


def test_a_run_record_refuses_it(tmp_path: Path) -> None:
    from pydantic import ValidationError

    from linernotes.evals.record import RunRecord

    base = {"spec": "s", "gold_fingerprint": "f"}
    for extra, where in [({"seed": "1_0"}, "seed"), ({"metrics": {"m": {"value": "0_5", "n": 3}}}, "metrics.m.value"),
                         ({"items": [{"id": "a", "scores": {"valence": "1_0"}}]}, "items.0.scores.valence"),
                         ({"failures": {"llm.timeout": "1_0"}}, "llm.timeout"),
                         ({"exemplars": {"task": "t", "exclude": "x", "count": "1_0", "digest": "d"}}, "exemplars.count")]:
        path = tmp_path / "run.json"
        path.write_text(json.dumps(base | extra), encoding="utf-8")
        with pytest.raises(ValidationError) as e:
            RunRecord.load(path)
        assert REASON in str(e.value) and where in str(e.value), str(e.value)
    path.write_text(json.dumps(base | {"seed": "10"}), encoding="utf-8")
    assert RunRecord.load(path).seed == 10


def test_the_gate_and_review_refuse_it_in_a_runs_predictions() -> None:
    from linernotes.evals.gate_predictions import prediction_problem
    from linernotes.review.predictions import ReviewedPrediction

    said = prediction_problem("a", {"valence": "0_5"})
    assert said is not None and REASON in said, said
    scalar = [{"signal": "energy", "kind": "scalar"}]
    said = prediction_problem("a", {"signals": {"energy": {"value": "1_0", "confidence": 0.5}}}, scalar)
    assert said is not None and REASON in said, said
    with pytest.raises(ValueError, match=REASON):
        ReviewedPrediction.model_validate({"policy_flags": [{"severity": "1_0"}]})


def test_a_taxonomy_and_a_policy_pack_yaml_refuse_it(tmp_path: Path) -> None:
    from linernotes.tools.policy.pack import load_policy_pack
    from linernotes.tools.retrieval.taxonomy import load_taxonomy

    tax = tmp_path / "t.yaml"
    tax.write_text("id: t\nversion: '1'\nentries:\n- id: calm\n  label: Calm\n  valence: '0_5'\n", encoding="utf-8")
    with pytest.raises(ValueError, match=REASON):
        load_taxonomy(str(tax))
    pack = tmp_path / "p.yaml"
    pack.write_text("id: p\nversion: '1'\npolicies:\n- id: x\n  title: X\n  clauses:\n  - id: c\n    severity: '1_0'\n"
                    "    text: t\n", encoding="utf-8")
    with pytest.raises(ValueError, match=REASON):
        load_policy_pack(str(pack))


def test_an_exemplar_index_meta_refuses_it(tmp_path: Path) -> None:
    from linernotes.tools.retrieval.exemplars import open_exemplar_meta

    for meta in ({"embedder": "e", "dim": "1_0", "ann_threshold": 5},
                 {"embedder": "e", "dim": 4, "ann_threshold": 5, "hnsw": {"connectivity": "1_6"}}):
        (tmp_path / "meta.json").write_text(json.dumps(meta), encoding="utf-8")
        with pytest.raises(ValueError, match=REASON) as e:
            open_exemplar_meta(tmp_path)
        assert str(e.value).startswith(str(tmp_path / "meta.json")), str(e.value)


def test_the_reason_is_the_shared_one() -> None:
    assert UNDERSCORE_REASON.startswith(REASON)


def test_an_exemplar_index_meta_refuses_a_misspelt_key(tmp_path: Path) -> None:
    """meta.json is as hand-editable as fusion.json: a misspelt 'ann_treshold' was dropped (the
    default 50,000 used) without a word."""
    from linernotes.tools.retrieval.exemplars import open_exemplar_meta

    for meta, key in (({"embedder": "e", "dim": 4, "ann_threshold": 5, "ann_treshold": 9}, "ann_treshold"),
                      ({"embedder": "e", "dim": 4, "ann_threshold": 5, "hnsw": {"conectivity": 8}}, "hnsw.conectivity")):
        (tmp_path / "meta.json").write_text(json.dumps(meta), encoding="utf-8")
        with pytest.raises(ValueError, match=f"{key}: Extra inputs are not permitted"):
            open_exemplar_meta(tmp_path)
