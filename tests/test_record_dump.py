"""A record's dumps: ``signals`` is left out when empty and kept when set (JSON and Python), and
the serialization JSON schema of a record describes the enrichment's fields (the service's
OpenAPI ``/v1/enrich`` response reads it). With the wrap model serializer that dropped the empty
``signals`` before, that schema was ``{}`` (anything), and every JSON line was built as Python
objects first."""

from __future__ import annotations

import json

from linernotes.schema import Enrichment, OutputRecord, SignalValue
from linernotes.testing.stub_enricher import sample_enrichment


def _enrichment(**extra) -> Enrichment:
    fields = {**sample_enrichment().model_dump(), "evidence": {"lexical_valence": float("nan"), "words": 3}}
    return Enrichment(**fields, **extra)


def test_empty_signals_are_left_out_of_every_dump() -> None:
    rec = OutputRecord(id="a", status="ok", enrichment=_enrichment())
    line = json.loads(rec.model_dump_json(exclude_none=False))
    assert "signals" not in line["enrichment"]
    assert "signals" not in rec.model_dump()["enrichment"]
    assert "signals" not in rec.model_dump(mode="json")["enrichment"]
    assert line["enrichment"]["evidence"] == {"lexical_valence": None, "words": 3}
    assert list(line["enrichment"])[-1] == "draft"  # field order as declared, signals last when present


def test_set_signals_are_written() -> None:
    sig = SignalValue(value=0.5, confidence=0.7)
    rec = OutputRecord(id="a", status="ok", enrichment=_enrichment(signals={"energy": sig}))
    line = json.loads(rec.model_dump_json())
    assert line["enrichment"]["signals"]["energy"]["value"] == 0.5
    assert OutputRecord.model_validate_json(rec.model_dump_json()) == rec


def test_the_serialization_schema_describes_the_enrichment() -> None:
    schema = Enrichment.model_json_schema(mode="serialization")
    assert {"genres", "valence", "review", "provenance", "evidence", "signals"} <= set(schema["properties"])
    rec = OutputRecord.model_json_schema(mode="serialization")
    assert "Enrichment" in json.dumps(rec)
