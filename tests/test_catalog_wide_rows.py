"""Wide rows: many columns, each within the limits. A 100,000-column CSV header took 162 s to
read (each column counted over the whole header to find repeats); a 7 MB JSONL line with
200,000 extra columns of 20 characters, each under the field limit, took one item to 9.8 GB of
memory and 41 s in the tools, which read the extra columns' text joined as one more field."""

from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
import time

import pytest

from linernotes.store.catalog import MAX_FIELD_CHARS, CatalogError, read_catalog


def _rows(path):
    return [(r.key, r.error.kind if r.error else None, r.error.message if r.error else None) for r in read_catalog(path)]


def test_a_100k_column_csv_header_reads_in_seconds(tmp_path):
    p = tmp_path / "w.csv"
    header = ["id", "title", *(f"c{i}" for i in range(100_000))]
    p.write_text(",".join(header) + "\n" + ",".join(["w1", "t", *["1"] * 100_000]) + "\n")
    start = time.monotonic()
    assert _rows(p) == [("w1", None, None)]
    assert time.monotonic() - start < 20  # 162 s before


def test_repeated_columns_in_a_wide_header_are_still_named(tmp_path):
    p = tmp_path / "w.csv"
    header = ["id", *(f"c{i}" for i in range(50_000)), "c7", "id"]
    p.write_text(",".join(header) + "\n")
    with pytest.raises(CatalogError, match=r"'id' is columns 1, 50003; 'c7' is columns 9, 50002"):
        list(read_catalog(p))


@pytest.mark.parametrize(("columns", "width"), [(200_000, 20), (3, 40_000), (2, MAX_FIELD_CHARS // 2 + 1)])
def test_extra_columns_whose_text_is_over_the_field_limit_together_fail_their_row(tmp_path, columns, width):
    p = tmp_path / "w.jsonl"
    wide = {"id": "wide", "title": "t", **{f"col{i}": "v" * width for i in range(columns)}}
    p.write_text(json.dumps({"id": "a", "title": "x"}) + "\n" + json.dumps(wide) + "\n"
                 + json.dumps({"id": "b", "title": "y"}) + "\n")
    got = _rows(p)
    assert [(k, kind) for k, kind, _ in got] == [("a", None), ("line:2", "input.invalid"), ("b", None)]
    assert f"the {columns:,} extra columns hold {columns * width:,} characters of text" in got[1][2]
    assert [r.key for r in read_catalog(p, keep_extra=False)] == ["a", "wide", "b"]  # --no-extra reads it


def test_extra_text_up_to_the_limit_and_non_text_columns_are_read(tmp_path):
    p = tmp_path / "w.jsonl"
    rows = [{"id": "at-limit", **{f"c{i}": "v" * (MAX_FIELD_CHARS // 4) for i in range(4)}},
            {"id": "numbers", **{f"n{i}": i for i in range(50_000)}}]
    p.write_text("".join(json.dumps(r) + "\n" for r in rows))
    assert _rows(p) == [("at-limit", None, None), ("numbers", None, None)]


@pytest.mark.slow
def test_liner_tag_of_a_7mb_wide_line_stays_bounded(tmp_path):
    """The issue's shape through the real CLI, its address space capped at 3 GB (9.8 GB before)."""
    p = tmp_path / "w.jsonl"
    wide = {"id": "wide", "title": "t", **{f"col{i}": "v" * 20 for i in range(200_000)}}
    p.write_text(json.dumps({"id": "a", "title": "calm piano"}) + "\n" + json.dumps(wide) + "\n")

    def cap() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (3 << 30, 3 << 30))

    env = {**os.environ, "LINER_CACHE_DIR": str(tmp_path / "cache"), "LITELLM_LOCAL_MODEL_COST_MAP": "True"}
    r = subprocess.run([sys.executable, "-m", "linernotes.cli.app", "tag", str(p), "-o", str(tmp_path / "o.jsonl"),
                        "--llm", "never", "--no-progress"], env=env, capture_output=True, text=True, timeout=300,
                       preexec_fn=cap)
    assert r.returncode == 1 and "Traceback" not in r.stderr, r.stderr[-2000:]
    records = {json.loads(x)["id"]: json.loads(x) for x in (tmp_path / "o.jsonl").read_text().splitlines()}
    assert records["a"]["status"] == "ok"
    assert records["wide"]["error"]["kind"] == "input.invalid" and records["wide"]["error"]["line"] == 2
