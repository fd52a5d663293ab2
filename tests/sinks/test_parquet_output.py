"""``liner tag -o out.parquet`` and dataset folders: the table's shape, readers, resume, dedupe."""

from __future__ import annotations

import asyncio
import json

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from linernotes.config import TagConfig
from linernotes.llm.client import LLMConfig
from linernotes.run.runner import RunOptions, run_batch
from linernotes.schema import ErrorInfo, OutputRecord
from linernotes.sinks.parquet import ParquetSink, journal_path
from linernotes.sinks.table import CONFIDENCE_FIELDS, SCHEMA, to_table

from .conftest import write_catalog


def _config(stub) -> TagConfig:
    # every item reaches the stub: the LLM path is under test
    return TagConfig(llm=LLMConfig(model="openai/stub", api_base=stub.base_url, use_cache=False, max_retries=0),
                     llm_mode="always")


@pytest.fixture(autouse=True)
def _key(monkeypatch):
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test-dummy")


def _walk_types(t: pa.DataType):
    yield t
    if pa.types.is_list(t):
        yield from _walk_types(t.value_type)
    if pa.types.is_struct(t):
        for f in t:
            yield from _walk_types(f.type)


def test_schema_has_no_unions_or_maps_and_one_column_per_field_and_confidence():
    kinds = [t for f in SCHEMA for t in _walk_types(f.type)]
    assert not [t for t in kinds if pa.types.is_union(t) or pa.types.is_map(t)]
    assert {f"confidence_{f}" for f in CONFIDENCE_FIELDS} <= set(SCHEMA.names)
    assert not SCHEMA.field("id").nullable and not SCHEMA.field("status").nullable
    assert all(SCHEMA.field(n).nullable for n in SCHEMA.names if n not in ("id", "status"))
    # an error-only batch and an empty batch have the same types as a full one
    err = OutputRecord(id="x", status="error", error=ErrorInfo(kind="input.invalid", message="bad", line=3))
    assert to_table([json.loads(err.model_dump_json())]).schema.equals(SCHEMA)
    assert to_table([]).schema.equals(SCHEMA)


def test_declared_signals_and_cached_tokens_reach_the_table():
    """Nothing in a record is lost on the way to Parquet: declared signals (a JSON column, like the
    evidence) and the prompt-cache token count."""
    from linernotes.testing.stub_enricher import sample_enrichment

    e = json.loads(sample_enrichment().model_dump_json())
    e["provenance"]["tokens_cached"] = 42
    e["signals"] = {"decade": {"value": "1980s", "confidence": 0.7, "evidence": {}, "provenance": {"spec_hash": "ab"}}}
    row = to_table([{"id": "a", "status": "ok", "enrichment": e}]).to_pylist()[0]
    assert row["tokens_cached"] == 42
    assert json.loads(row["signals_json"]) == e["signals"]
    bare = json.loads(sample_enrichment().model_dump_json())
    bare.pop("signals", None)
    assert to_table([{"id": "b", "status": "ok", "enrichment": bare}]).to_pylist()[0]["signals_json"] == "{}"


def test_review_thresholds_and_llm_only_fields_reach_the_table():
    """A new user's find: the record's ``confidence.thresholds`` (which review level applied) and
    ``confidence.llm_only`` (a value only the LLM gave: its confidence is the flat hand-set 0.3)
    were dropped on the way to Parquet, so a table reader could not tell trk-004's guessed moods
    from measured ones. A record without them (no fitted field, no LLM-only value) gives []."""
    from linernotes.testing.stub_enricher import sample_enrichment

    e = json.loads(sample_enrichment().model_dump_json())
    e["confidence"].update(calibrated=["genres", "policy"], thresholds={"policy": 0.0154, "genres": 0.8806},
                           llm_only=["moods"])
    bare = json.loads(sample_enrichment().model_dump_json())
    bare["confidence"].pop("thresholds", None)
    bare["confidence"].pop("llm_only", None)
    row, plain = to_table([{"id": "a", "status": "ok", "enrichment": e},
                           {"id": "b", "status": "ok", "enrichment": bare}]).to_pylist()
    assert row["confidence_thresholds"] == [{"field": "genres", "threshold": 0.8806},
                                            {"field": "policy", "threshold": 0.0154}]
    assert row["confidence_llm_only"] == ["moods"]
    assert plain["confidence_thresholds"] == [] and plain["confidence_llm_only"] == []


def test_an_error_rows_billed_llm_attempts_reach_the_table():
    """QA: an item whose LLM calls all failed (timeouts after retries) carries what they were billed
    in ``error.usage``; the table dropped it, so a Parquet output's summed cost_usd/tokens were
    below the run's. An error without LLM attempts (bad input) keeps those columns null."""
    from linernotes.schema import Usage

    spent = Usage(calls=3, tokens_in=900, tokens_out=12, tokens_cached=300, cost_usd=0.0021, latency_s=61.5)
    failed = OutputRecord(id="t", status="error", error=ErrorInfo(kind="llm.timeout", message="slow", usage=spent))
    bad = OutputRecord(id="b", status="error", error=ErrorInfo(kind="input.invalid", message="bad", line=2))
    t, b = to_table([json.loads(r.model_dump_json()) for r in (failed, bad)]).to_pylist()
    assert (t["llm_calls"], t["tokens_in"], t["tokens_out"], t["tokens_cached"]) == (3, 900, 12, 300)
    assert (t["cost_usd"], t["latency_s"], t["cache_hit"]) == (0.0021, 61.5, False)
    assert t["genres"] is None and t["error_kind"] == "llm.timeout"
    assert all(b[c] is None for c in ("llm_calls", "tokens_in", "tokens_out", "cost_usd", "latency_s"))


def test_tag_to_parquet_file_matches_jsonl_and_reads_in_pyarrow_pandas_duckdb(tmp_path, stub):
    catalog = write_catalog(tmp_path / "c.jsonl", 6, bad_lines=1)
    cfg = _config(stub)
    pq_out, js_out = tmp_path / "out.parquet", tmp_path / "out.jsonl"
    s = asyncio.run(run_batch(cfg, RunOptions(input=catalog, output=pq_out)))
    asyncio.run(run_batch(cfg, RunOptions(input=catalog, output=js_out)))
    assert (s.ok, s.failed) == (6, 1)
    assert journal_path(pq_out).exists()

    table = pq.read_table(pq_out)
    assert table.schema.equals(SCHEMA, check_metadata=False)
    assert table.num_rows == 7 and len(set(table.column("id").to_pylist())) == 7
    err = [r for r in table.to_pylist() if r["status"] == "error"]
    assert [(e["error_kind"], e["error_line"]) for e in err] == [("input.missing_id", 7)]
    ok = [r for r in table.to_pylist() if r["status"] == "ok"]
    assert all(isinstance(r["genres"], list) and r["model"] == "openai/stub" and r["prompt_hash"] for r in ok)

    jsonl = [json.loads(line) for line in js_out.read_text().splitlines()]
    strip = ("latency_s",)
    a = sorted(({k: v for k, v in r.items() if k not in strip} for r in table.to_pylist()), key=lambda r: r["id"])
    b = sorted(({k: v for k, v in r.items() if k not in strip} for r in to_table(jsonl).to_pylist()),
               key=lambda r: r["id"])
    assert a == b

    df = pd_read(pq_out)
    assert len(df) == 7 and df["confidence_genres"].dtype.kind == "f"
    n, kinds = _duck(f"SELECT count(DISTINCT id), list(DISTINCT error_kind) FROM '{pq_out}'").fetchone()
    assert n == 7 and [k for k in kinds if k] == ["input.missing_id"]
    assert _duck(f"SELECT len(genres) FROM '{pq_out}' WHERE status = 'ok' LIMIT 1").fetchone()[0] >= 0


def _duck(sql: str):
    return duckdb.connect().execute(sql)


def pd_read(path):
    import pandas as pd

    return pd.read_parquet(path)


def _ok(i: str) -> OutputRecord:
    from linernotes.schema import Confidence, Enrichment, Explicit, Provenance, Review

    return OutputRecord(id=i, status="ok", enrichment=Enrichment(
        genres=["techno"], moods=["dark"], valence=0.1, language="en", explicit=Explicit(value=False),
        confidence=Confidence(genres=0.5, moods=0.5, valence=0.5, language=0.9, explicit=0.9, policy=0.9),
        review=Review(routed=False), provenance=Provenance(model="m", prompt_hash="h")))


def _err(i: str, kind: str = "llm.timeout") -> OutputRecord:
    return OutputRecord(id=i, status="error", error=ErrorInfo(kind=kind, message="boom"))


def test_dataset_folder_writes_parts_as_it_goes_and_keeps_one_row_per_key(tmp_path):
    out = tmp_path / "ds"
    out.mkdir()
    sink = ParquetSink(out, part_rows=3)
    for rec in [_ok("a"), _err("b"), _ok("c"), _ok("d")]:
        sink.write(rec)
    parts = sorted(p.name for p in out.glob("part-*.parquet"))
    assert parts == ["part-0000000000-0000000003.parquet"]  # materialised during the run
    sink.close()
    # a resumed run retries "b" (superseding its error) and adds "e"
    sink = ParquetSink(out, part_rows=3)
    for rec in [_ok("b"), _ok("e")]:
        sink.write(rec)
    sink.close()
    table = pq.read_table(out)
    rows = {r["id"]: r["status"] for r in table.to_pylist()}
    assert rows == {"a": "ok", "b": "ok", "c": "ok", "d": "ok", "e": "ok"}
    assert table.num_rows == 5
    assert _duck(f"SELECT count(*), count(DISTINCT id) FROM '{out}/*.parquet'").fetchone() == (5, 5)


def test_parquet_file_keeps_the_last_record_of_a_key(tmp_path):
    out = tmp_path / "o.parquet"
    sink = ParquetSink(out)
    for rec in [_err("a"), _ok("b"), _err("a", "llm.rate_limit"), _ok("a")]:
        sink.write(rec)
    sink.close()
    assert {r["id"]: r["status"] for r in pq.read_table(out).to_pylist()} == {"a": "ok", "b": "ok"}


def test_dataset_parts_from_another_journal_are_refused(tmp_path):
    from linernotes.store.records import OutputError

    out = tmp_path / "ds"
    out.mkdir()
    sink = ParquetSink(out, part_rows=2)
    for i in "abcd":
        sink.write(_ok(i))
    sink.close()
    (out / "_journal.jsonl").unlink()
    with pytest.raises(OutputError, match="cover 4 records"):
        ParquetSink(out)


@pytest.mark.parametrize("shape", ["file", "dataset"])
@pytest.mark.parametrize("bad", ['{"title": "no id yet"}', '{"id": true, "title": "a boolean id"}'])
def test_a_fixed_input_row_replaces_its_error_row(tmp_path, stub, shape, bad):
    """A row that failed validation (keyed line:N) and reads cleanly after the catalog was fixed
    is answered under its id; its old error row must leave the table (one row per input row)."""
    good = [json.dumps({"id": f"g{i}", "title": f"Song {i}"}) for i in range(3)]
    catalog = tmp_path / "c.jsonl"
    catalog.write_text("\n".join([good[0], bad, *good[1:]]) + "\n")
    if shape == "file":
        out = tmp_path / "o.parquet"
    else:
        out = tmp_path / "ds"
        out.mkdir()
    cfg = _config(stub)
    first = asyncio.run(run_batch(cfg, RunOptions(input=catalog, output=out)))
    assert first.failed == 1
    errors = [r for r in pq.read_table(out).to_pylist() if r["status"] == "error"]
    assert [(r["error_kind"], r["error_line"]) for r in errors] == [(errors[0]["error_kind"], 2)]
    catalog.write_text("\n".join([good[0], json.dumps({"id": "fixed", "title": "now valid"}), *good[1:]]) + "\n")
    asyncio.run(run_batch(cfg, RunOptions(input=catalog, output=out)))
    ids = sorted(pq.read_table(out).column("id").to_pylist())
    assert ids == ["fixed", "g0", "g1", "g2"]
