"""The flat Arrow schema of an output record, and the conversion from output lines to it.

One row per output record (ok and error alike), one column per enrichment field and per
confidence, lists as Arrow lists, provenance and error columns side by side. Chosen so that
pyarrow, pandas, DuckDB and BigQuery's Parquet loader read it without a custom schema:

- no unions, no maps: tool versions, the free-form evidence and declared signals are JSON text
  columns;
- every type is fixed (int64, float64, bool, string, list<string>, list<struct>), whatever the
  values in a batch are, so the parts of a dataset always share one schema;
- only ``id`` and ``status`` are non-nullable; an error row has null enrichment columns (but the
  usage columns of its failed LLM attempts, when it made any) and an ok row has null ``error_*``
  columns.

The column list, with meanings and units, is in ``sinks/README.md``.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

import pyarrow as pa

from linernotes.schema import SCHEMA_VERSION, Confidence

# One confidence column per field of the record's Confidence (the built-in fields, whose list is the
# shipped specs' in signals/builtin; sinks sit below signals in the layers, so the table reads the
# record schema that those specs are held to by tests/signals/test_builtin_agreement.py).
CONFIDENCE_FIELDS: tuple[str, ...] = Confidence.field_names()

_SPAN = pa.struct([pa.field("field", pa.string()), pa.field("start", pa.int64()), pa.field("end", pa.int64()),
                   pa.field("text", pa.string())])
_FLAG = pa.struct([pa.field("policy_id", pa.string()), pa.field("clause_id", pa.string()),
                   pa.field("severity", pa.int64()), pa.field("source", pa.string()),
                   pa.field("spans", pa.list_(_SPAN)), pa.field("confidence", pa.float64())])
# Confidence.thresholds (field -> the confidence it needed to be auto-accepted) as a list, not a map
_THRESHOLD = pa.struct([pa.field("field", pa.string()), pa.field("threshold", pa.float64())])

SCHEMA = pa.schema(
    [
        pa.field("id", pa.string(), nullable=False),
        pa.field("status", pa.string(), nullable=False),
        pa.field("schema_version", pa.string()),
        pa.field("genres", pa.list_(pa.string())),
        pa.field("moods", pa.list_(pa.string())),
        pa.field("valence", pa.float64()),
        pa.field("language", pa.string()),
        pa.field("explicit", pa.bool_()),
        pa.field("explicit_evidence", pa.list_(_SPAN)),
        pa.field("policy_flags", pa.list_(_FLAG)),
        pa.field("policy_ids", pa.list_(pa.string())),
        pa.field("policy_max_severity", pa.int64()),
        *[pa.field(f"confidence_{f}", pa.float64()) for f in CONFIDENCE_FIELDS],
        pa.field("confidence_calibrated", pa.list_(pa.string())),
        pa.field("confidence_thresholds", pa.list_(_THRESHOLD)),
        pa.field("confidence_llm_only", pa.list_(pa.string())),
        pa.field("rationale", pa.string()),
        pa.field("review_routed", pa.bool_()),
        pa.field("review_reasons", pa.list_(pa.string())),
        pa.field("model", pa.string()),
        pa.field("prompt_hash", pa.string()),
        pa.field("tool_versions_json", pa.string()),
        pa.field("tokens_in", pa.int64()),
        pa.field("tokens_out", pa.int64()),
        pa.field("tokens_cached", pa.int64()),
        pa.field("cost_usd", pa.float64()),
        pa.field("latency_s", pa.float64()),
        pa.field("cache_hit", pa.bool_()),
        pa.field("llm_calls", pa.int64()),
        pa.field("attempts", pa.int64()),
        pa.field("llm_consulted", pa.bool_()),
        pa.field("llm_fields", pa.list_(pa.string())),
        pa.field("fusion", pa.string()),
        pa.field("evidence_json", pa.string()),
        pa.field("signals_json", pa.string()),
        pa.field("error_kind", pa.string()),
        pa.field("error_message", pa.string()),
        pa.field("error_line", pa.int64()),
        pa.field("error_source", pa.string()),
    ],
    metadata={"linernotes.schema_version": SCHEMA_VERSION, "linernotes.table": "enrichment/1"},
)
COLUMNS = tuple(SCHEMA.names)


def _spans(spans: Any) -> list[dict[str, Any]]:
    return [{"field": s.get("field"), "start": s.get("start"), "end": s.get("end"), "text": s.get("text")}
            for s in spans or []]


def flatten(rec: dict[str, Any]) -> dict[str, Any]:
    """One output record (``OutputRecord`` as JSON) -> one row of ``SCHEMA`` (a dict of columns).

    Raises ``KeyError``/``TypeError``/``AttributeError`` on a record that does not have the
    output shape; callers validate with ``OutputRecord`` first.
    """
    row: dict[str, Any] = dict.fromkeys(COLUMNS)
    row["id"], row["status"] = str(rec["id"]), rec["status"]
    e = rec.get("enrichment")
    if e:
        p = e.get("provenance") or {}
        flags = e.get("policy_flags") or []
        conf = e.get("confidence") or {}
        row.update({
            "schema_version": e.get("schema_version"), "genres": list(e.get("genres") or []),
            "moods": list(e.get("moods") or []), "valence": e.get("valence"), "language": e.get("language"),
            "explicit": (e.get("explicit") or {}).get("value"),
            "explicit_evidence": _spans((e.get("explicit") or {}).get("evidence")),
            "policy_flags": [{"policy_id": f.get("policy_id"), "clause_id": f.get("clause_id"),
                              "severity": f.get("severity"), "source": f.get("source"),
                              "spans": _spans(f.get("spans")), "confidence": f.get("confidence")} for f in flags],
            "policy_ids": sorted({f.get("policy_id") for f in flags if f.get("policy_id")}),
            "policy_max_severity": max((int(f.get("severity") or 0) for f in flags), default=0),
            **{f"confidence_{f}": conf.get(f) for f in CONFIDENCE_FIELDS},
            "confidence_calibrated": list(conf.get("calibrated") or []),
            # which review level applied and which values only the LLM gave: without them a Parquet
            # reader could not tell a flat hand-set 0.3 mood from a measured one
            "confidence_thresholds": [{"field": f, "threshold": t}
                                      for f, t in sorted((conf.get("thresholds") or {}).items())],
            "confidence_llm_only": list(conf.get("llm_only") or []),
            "rationale": e.get("rationale"), "review_routed": (e.get("review") or {}).get("routed"),
            "review_reasons": list((e.get("review") or {}).get("reasons") or []),
            "model": p.get("model"), "prompt_hash": p.get("prompt_hash"),
            "tool_versions_json": json.dumps(p.get("tool_versions") or {}, sort_keys=True, ensure_ascii=False),
            "tokens_in": p.get("tokens_in"), "tokens_out": p.get("tokens_out"),
            "tokens_cached": p.get("tokens_cached"), "cost_usd": p.get("cost_usd"),
            "latency_s": p.get("latency_s"), "cache_hit": p.get("cache_hit"), "llm_calls": p.get("llm_calls"),
            "attempts": p.get("attempts"), "llm_consulted": p.get("llm_consulted"),
            "llm_fields": p.get("llm_fields"), "fusion": p.get("fusion"),
            "evidence_json": json.dumps(e.get("evidence") or {}, sort_keys=True, ensure_ascii=False),
            # declared signals (liner tag --signals): {name: {value, confidence, evidence, provenance}}
            "signals_json": json.dumps(e.get("signals") or {}, sort_keys=True, ensure_ascii=False),
        })
    err = rec.get("error")
    if err:
        row.update({"error_kind": err.get("kind"), "error_message": err.get("message"),
                    "error_line": err.get("line"), "error_source": err.get("source")})
        if usage := err.get("usage"):  # what the item's failed LLM attempts were billed: spend, not lost
            row.update({"tokens_in": usage.get("tokens_in"), "tokens_out": usage.get("tokens_out"),
                        "tokens_cached": usage.get("tokens_cached"), "cost_usd": usage.get("cost_usd"),
                        "latency_s": usage.get("latency_s"), "cache_hit": usage.get("cache_hit"),
                        "llm_calls": usage.get("calls")})
    return row


def to_table(records: Iterable[dict[str, Any]]) -> pa.Table:
    """Output records (JSON dicts) -> an Arrow table with exactly ``SCHEMA`` (also when empty)."""
    rows = [flatten(r) for r in records]
    return pa.Table.from_pylist(rows, schema=SCHEMA)
