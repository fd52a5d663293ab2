"""``liner monitor``: passes two runs of the same catalog, alerts (exit 1) on a shifted one, reads
JSONL, Parquet and the service's rolling log, and refuses bad input with exit 2."""

from __future__ import annotations

import asyncio
import json
import random

import pytest

from linernotes.config import TagConfig
from linernotes.llm.client import LLMConfig
from linernotes.monitor.compare import compare
from linernotes.monitor.load import MonitorInputError, load_output
from linernotes.monitor.thresholds import load_thresholds
from linernotes.run.runner import RunOptions, run_batch
from linernotes.testing.openai_stub import StubServer

STYLES = [
    "minimal techno with acid bass lines and a hypnotic 4/4 kick",
    "calm ambient piano with soft drones, reflective and slow",
    "smooth jazz with saxophone solos and brushed drums",
    "heavy metal with distorted guitars and double bass drums",
    "hip hop beat with boom bap drums and vinyl samples",
    "country ballad with acoustic guitar and pedal steel",
    "reggae with offbeat guitar skank and deep bass",
    "classical string quartet, baroque counterpoint",
]
N = 64


def _catalog(path, weights: list[float], seed: int) -> object:
    rng = random.Random(seed)
    rows = [{"id": f"m-{i:03d}", "title": f"Track {i}", "artist": f"Artist {i % 7}",
             "description": rng.choices(STYLES, weights)[0]} for i in range(N)]
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    return path


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    """Three real runs through the graph (stub endpoint): A and B tag the same catalog, C tags a
    catalog whose genre mix was shifted on purpose (mostly techno)."""
    import os

    os.environ.setdefault("OPENAI_API_KEY", "sk-test-dummy")
    d = tmp_path_factory.mktemp("monitor-runs")
    same = _catalog(d / "same.jsonl", [1] * len(STYLES), seed=1)
    shifted = _catalog(d / "shifted.jsonl", [12, *[1] * (len(STYLES) - 1)], seed=2)
    with StubServer(latency_ms=0) as stub:
        cfg = TagConfig(llm=LLMConfig(model="openai/stub", api_base=stub.base_url, use_cache=False, max_retries=0), llm_mode="always")  # every item reaches the stub: the LLM path is under test
        out = {"a": d / "a.jsonl", "b": d / "b.parquet", "c": d / "c.jsonl"}
        for name, cat in (("a", same), ("b", same), ("c", shifted)):
            s = asyncio.run(run_batch(cfg, RunOptions(input=cat, output=out[name])))
            assert s.ok == N
    return out


@pytest.mark.slow
def test_two_runs_of_the_same_catalog_pass(runs, liner, tmp_path):
    """A real ``liner monitor`` process; the other CLI cases run the same command in process."""
    html, md = tmp_path / "r.html", tmp_path / "r.md"
    res = liner(["monitor", str(runs["a"]), str(runs["b"]), "--html", str(html), "--report", str(md)])
    assert res.returncode == 0, res.stdout + res.stderr
    assert "**OK**" in res.stdout and md.read_text() == res.stdout
    page = html.read_text()
    assert page.count("<svg") >= 5 and "OK: liner monitor" in page


@pytest.mark.slow
def test_a_shifted_genre_distribution_fails(runs, liner_in_process):
    res = liner_in_process(["monitor", str(runs["a"]), str(runs["c"])])
    assert res.returncode == 1, res.stdout + res.stderr
    assert "**ALERT**" in res.stdout
    row = next(line for line in res.stdout.splitlines() if line.startswith("| label shift: genres"))
    assert "**yes**" in row


def test_a_confidence_collapse_alerts_on_the_ks_check(runs):
    """Made up: the same labels, but every genre confidence halved (a calibration regression)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    base = load_output(runs["a"]).table
    cur = base.set_column(base.schema.get_field_index("confidence_genres"), "confidence_genres",
                          pc.multiply(base.column("confidence_genres"), pa.scalar(0.5)))
    cmp = compare(base, cur, load_thresholds())
    crossed = {c.name for c in cmp.alerts}
    assert crossed == {"confidence: genres (KS statistic)"}
    same = compare(base, base, load_thresholds())
    assert same.exit_code == 0 and all(s.js_divergence == 0 for s in same.labels if s.js_divergence is not None)


def test_an_error_surge_and_a_new_error_kind_alert(runs, tmp_path):
    """Made up: a quarter of the current run's records are rate-limit errors."""
    lines = runs["a"].read_text().splitlines()
    bad = []
    for n, line in enumerate(lines):
        rec = json.loads(line)
        if n % 4 == 0:
            rec = {"id": rec["id"], "status": "error", "enrichment": None,
                   "error": {"kind": "llm.rate_limit", "message": "429", "line": n + 1, "source": None}}
        bad.append(json.dumps(rec))
    cur = tmp_path / "cur.jsonl"
    cur.write_text("\n".join(bad) + "\n")
    cmp = compare(load_output(runs["a"]).table, load_output(cur).table, load_thresholds())
    names = {c.name for c in cmp.alerts}
    assert {"error rate (abs. change)", "new error kind: llm.rate_limit"} <= names


def test_small_samples_are_reported_not_alerted(runs, tmp_path):
    few = tmp_path / "few.jsonl"
    few.write_text("\n".join(runs["c"].read_text().splitlines()[:5]) + "\n")
    cmp = compare(load_output(runs["a"]).table, load_output(few).table, load_thresholds())
    genres = next(c for c in cmp.checks if c.name.startswith("label shift: genres"))
    assert not genres.crossed and "fewer than 20" in genres.note


def test_reads_the_services_rolling_log_folder(runs, tmp_path):
    logs = tmp_path / "logs"
    logs.mkdir()
    lines = runs["a"].read_text().splitlines()
    (logs / "records-2026-11-29.0001.jsonl").write_text("\n".join(lines[:30]) + "\n")
    (logs / "records-2026-11-29.0002.jsonl").write_text("\n".join(lines[30:]) + "\n")
    loaded = load_output(logs)
    assert loaded.table.num_rows == N and len(loaded.files) == 2
    assert compare(load_output(runs["a"]).table, loaded.table, load_thresholds()).exit_code == 0


@pytest.mark.slow
def test_bad_lines_are_named_and_skipped(runs, tmp_path, liner_in_process):
    lines = runs["a"].read_text().splitlines()
    cur = tmp_path / "cur.jsonl"
    cur.write_text("\n".join([*lines[:40], "{broken", json.dumps({"id": "x1"}), *lines[40:]]) + "\n")
    res = liner_in_process(["monitor", str(runs["a"]), str(cur)])
    assert res.returncode == 0, res.stderr
    assert f"{cur}:41: skipped: not JSON" in res.stderr
    assert f"{cur}:42: skipped: not an output record: status" in res.stderr


@pytest.mark.slow
@pytest.mark.parametrize("case", ["missing", "empty", "garbage", "not-output-parquet", "bad-yaml", "bad-threshold",
                                  "html-folder-missing", "report-is-a-folder"])
def test_bad_input_exits_2_naming_the_file(runs, tmp_path, liner_in_process, case):
    import pyarrow as pa
    import pyarrow.parquet as pq

    base, cur, extra = str(runs["a"]), str(runs["b"]), []
    if case == "missing":
        cur = str(tmp_path / "nope.jsonl")
    elif case == "empty":
        (tmp_path / "e.jsonl").write_text("")
        cur = str(tmp_path / "e.jsonl")
    elif case == "garbage":
        (tmp_path / "g.jsonl").write_bytes(b"\x00\x01garbage\nmore garbage\n")
        cur = str(tmp_path / "g.jsonl")
    elif case == "not-output-parquet":
        pq.write_table(pa.table({"x": [1, 2]}), tmp_path / "x.parquet")
        cur = str(tmp_path / "x.parquet")
    elif case == "html-folder-missing":  # QA: a raw '[Errno 2] ...' after both runs were loaded
        extra = ["--html", str(tmp_path / "no" / "such" / "r.html")]
    elif case == "report-is-a-folder":
        (tmp_path / "r.md").mkdir()
        extra = ["--report", str(tmp_path / "r.md")]
    elif case == "bad-yaml":
        (tmp_path / "t.yaml").write_text("labels: [unclosed\n")
        extra = ["--thresholds", str(tmp_path / "t.yaml")]
    else:
        (tmp_path / "t.yaml").write_text("alpha: 7\n")
        extra = ["--thresholds", str(tmp_path / "t.yaml")]
    res = liner_in_process(["monitor", base, cur, *extra])
    assert res.returncode == 2, res.stdout + res.stderr
    named = extra[1] if extra else cur
    assert f"liner monitor: error: {named}" in res.stderr
    assert "Errno" not in res.stderr


def test_thresholds_override_merges_per_field(tmp_path):
    (tmp_path / "t.yaml").write_text("labels: {genres: 0.3}\nmin_items: 5\n")
    th = load_thresholds(tmp_path / "t.yaml")
    assert th.label("genres") == 0.3 and th.label("moods") == 0.08 and th.min_items == 5
    with pytest.raises(MonitorInputError, match="unknown_key"):
        (tmp_path / "u.yaml").write_text("unknown_key: 1\n")
        load_thresholds(tmp_path / "u.yaml")


def test_a_loaded_run_holds_only_the_columns_the_comparison_reads(runs, tmp_path):
    """QA: a 1.3 GB log of 300,000 records took 4.1 GB of memory: the loaded table kept every
    column, ~90% of it evidence JSON the monitor never reads (0.6 GB after). Records with 20 kB of
    evidence each, as JSONL and as Parquet, load to a table that does not grow with it, and
    compare as before."""
    from linernotes.sinks.export import export_parquet

    lines = runs["a"].read_text().splitlines()
    padded = []
    for line in lines:
        rec = json.loads(line)
        if rec["enrichment"]:
            rec["enrichment"]["evidence"]["padding"] = "e" * 20_000
        padded.append(json.dumps(rec))
    big = tmp_path / "big.jsonl"
    big.write_text("\n".join(padded) + "\n")
    export_parquet(big, tmp_path / "big.parquet")
    for source in (big, tmp_path / "big.parquet"):
        loaded = load_output(source)
        assert loaded.table.num_rows == N
        assert loaded.table.nbytes < N * 2_000, (source.name, loaded.table.nbytes)  # 20 kB of evidence each not kept
        same = compare(load_output(runs["a"]).table, loaded.table, load_thresholds())
        assert same.exit_code == 0 and all(s.js_divergence == 0 for s in same.labels if s.js_divergence is not None)


def test_a_folder_with_both_parquet_and_jsonl_logs_is_refused_naming_both(runs, tmp_path):
    """QA: a log folder with one stray .parquet (an export of one log file) was read as that Parquet
    alone: 3 records of 83 compared, the logs left out without a word."""
    from linernotes.sinks.export import export_parquet

    logs = tmp_path / "logs"
    logs.mkdir()
    lines = runs["a"].read_text().splitlines()
    (logs / "records-2026-11-29.0001.jsonl").write_text("\n".join(lines[:30]) + "\n")
    (logs / "records-2026-11-29.0002.jsonl").write_text("\n".join(lines[30:]) + "\n")
    export_parquet(logs / "records-2026-11-29.0002.jsonl", logs / "part.parquet")
    with pytest.raises(MonitorInputError, match=r"holds both Parquet files \(1: part.parquet, \.\.\.\) and JSONL logs \(2: "):
        load_output(logs)


def test_a_run_that_mixes_models_or_changed_prompt_is_named_in_the_report(runs, tmp_path):
    """QA: a current run whose half came from another model and prompt (a service restarted with
    new options between two log files) was compared without a word about it, though that is the
    likeliest cause of any alert it raises."""
    from linernotes.monitor.run import monitor

    def rewrite(name: str, every: int) -> object:
        out = []
        for n, line in enumerate(runs["a"].read_text().splitlines()):
            rec = json.loads(line)
            if rec["enrichment"] and n % every == 0:
                # QA: a fusion refitted between two log files (same model and prompt) was not named
                rec["enrichment"]["provenance"].update(model="openai/other", prompt_hash="ffff0000", fusion="f00d")
            out.append(json.dumps(rec))
        (tmp_path / name).write_text("\n".join(out) + "\n")
        return tmp_path / name

    mixed = monitor(runs["a"], rewrite("mixed.jsonl", 2)).markdown
    assert "## Versions" in mixed
    assert f"the current run mixes 2 values of model: openai/other ({N // 2})" in mixed
    assert "the current run mixes 2 values of prompt_hash" in mixed
    assert f"the current run mixes 2 values of fusion: f00d ({N // 2})" in mixed
    moved = monitor(runs["a"], rewrite("moved.jsonl", 1)).markdown
    assert "prompt_hash changed: " in moved and " -> ffff0000" in moved
    assert "fusion changed: " in moved and " -> f00d" in moved
    assert "## Versions" not in monitor(runs["a"], runs["b"]).markdown
