"""``liner tag --sorted``: records are written as items are done (completion order), and a run that
completes rewrites its JSONL output in input order, one line per key, also after a resume.

The enricher is a named test double (``SlowFirstEnricher``): the stub's fixed record, each item
held longer the earlier its row, so the completion order is the reverse of the input order.
"""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest

from linernotes.config import TagConfig
from linernotes.run.ordering import sort_output
from linernotes.run.runner import RunOptions, run_batch
from linernotes.store.catalog import Row
from linernotes.store.records import OutputError
from linernotes.testing.stub_enricher import StubEnricher

N = 6


class SlowFirstEnricher(StubEnricher):
    """Test double: the stub's record for row ``i-k`` after (N - k) x 20 ms."""

    async def enrich(self, row: Row):
        if row.item is not None:
            await asyncio.sleep((N - int(row.item.id.split("-")[1])) * 0.02)
        return await super().enrich(row)


def _catalog(tmp_path: Path, bad_line: bool = False) -> Path:
    rows = [json.dumps({"id": f"i-{k}", "title": f"t {k}"}) for k in range(N)]
    if bad_line:
        rows.insert(2, '{"title": "no id"}')
    path = tmp_path / "catalog.jsonl"
    path.write_text("\n".join(rows) + "\n")
    return path


def _keys(path: Path) -> list[str]:
    out = []
    for line in path.read_text().splitlines():
        rec = json.loads(line)
        err = rec.get("error") or {}
        out.append(f"line:{err['line']}" if str(err.get("kind", "")).startswith("input.") else rec["id"])
    return out


def _run(catalog: Path, out: Path, sort: bool, limit: int | None = None):
    opts = RunOptions(input=catalog, output=out, concurrency=N + 2, sorted=sort, limit=limit)
    return asyncio.run(run_batch(TagConfig(llm_mode="never"), opts, enricher=SlowFirstEnricher()))


def test_records_are_written_in_completion_order_without_sorted(tmp_path: Path) -> None:
    out = tmp_path / "out.jsonl"
    summary = _run(_catalog(tmp_path), out, sort=False)
    assert _keys(out) == [f"i-{k}" for k in reversed(range(N))], "the last row was done first and written first"
    assert summary.reordered is None


def test_sorted_rewrites_a_complete_run_in_input_order(tmp_path: Path) -> None:
    catalog, out = _catalog(tmp_path, bad_line=True), tmp_path / "out.jsonl"
    summary = _run(catalog, out, sort=True)
    assert _keys(out) == ["i-0", "i-1", "line:3", "i-2", "i-3", "i-4", "i-5"], "a bad row keeps its input place"
    assert summary.reordered == N - 1 and any("moved into input order" in n for n in summary.notes())
    again = _run(catalog, out, sort=True)
    assert again.failed == 1 and again.reordered == 1, "the retried bad row's new line went back to its place"
    assert _keys(out) == ["i-0", "i-1", "line:3", "i-2", "i-3", "i-4", "i-5"]


def test_a_sorted_output_is_left_as_it_is(tmp_path: Path) -> None:
    catalog, out = _catalog(tmp_path), tmp_path / "out.jsonl"
    _run(catalog, out, sort=True)
    before = out.read_bytes()
    again = _run(catalog, out, sort=True)
    assert again.reordered == 0 and out.read_bytes() == before
    assert "--sorted: the records were already in input order" in again.notes()


def test_sorted_after_a_partial_run_keeps_one_record_per_key(tmp_path: Path) -> None:
    """A run stopped part-way (here: --limit, then the full catalog) leaves records in completion
    order; the completing run sorts the old and new records together, none twice."""
    catalog, out = _catalog(tmp_path), tmp_path / "out.jsonl"
    _run(catalog, out, sort=True, limit=3)
    assert _keys(out) == ["i-0", "i-1", "i-2"]
    _run(catalog, out, sort=False)
    assert sorted(_keys(out)) != _keys(out)
    summary = _run(catalog, out, sort=True)
    assert summary.skipped == N
    assert _keys(out) == [f"i-{k}" for k in range(N)]


def test_lines_of_keys_the_run_did_not_read_follow_in_file_order(tmp_path: Path) -> None:
    out = tmp_path / "out.jsonl"
    lines = [json.dumps({"id": k, "status": "ok"}) for k in ("z", "b", "gone", "a")]
    out.write_text("\n".join(lines))  # the last line without its newline
    assert sort_output(out, {"a": 1, "b": 2, "z": 3}) == 2, "b and a came after z"
    assert [json.loads(x)["id"] for x in out.read_text().splitlines()] == ["a", "b", "z", "gone"]
    assert out.read_text().endswith("\n")


@pytest.mark.parametrize("name", ["out.parquet"])
def test_sorted_is_refused_for_a_parquet_output(tmp_path: Path, name: str) -> None:
    with pytest.raises(OutputError, match="--sorted"):
        _run(_catalog(tmp_path), tmp_path / name, sort=True)
