"""Every key the tagger's ``schema.Confidence`` writes is one the gate reads as what it is. The
gate keeps its own open copy of the record's shape (``evals.gate_predictions``); when
``llm_only`` (a list) was added to the schema, every run carrying it was refused by ``liner gate``
('prediction.confidence.llm_only: Input should be a valid number'). This holds for any key the
schema gains, not only that one."""

from __future__ import annotations

from linernotes.evals.gate_predictions import prediction_problem
from linernotes.schema import Confidence


def test_a_confidence_with_every_key_the_schema_has_set_is_read() -> None:
    fields = Confidence.field_names()
    conf = Confidence(**dict.fromkeys(fields, 0.5), calibrated=list(fields[:2]),
                      thresholds={fields[0]: 0.7}, llm_only=[fields[-1]])
    dumped = conf.model_dump(mode="json")
    # every attribute is in the dump, the describing ones non-empty: none can hide from the check
    assert set(dumped) == set(Confidence.model_fields) and all(dumped.values())
    assert prediction_problem("trk-1", {"confidence": dumped}) is None


def test_a_per_field_confidence_outside_zero_to_one_is_still_refused() -> None:
    fields = Confidence.field_names()
    dumped = Confidence(**dict.fromkeys(fields, 0.5), llm_only=[fields[-1]]).model_dump(mode="json")
    dumped[fields[0]] = 1.5
    assert f"prediction.confidence.{fields[0]}" in (prediction_problem("trk-1", {"confidence": dumped}) or "")
