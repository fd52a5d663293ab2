"""Resume through the real CLI (issue 12, item 7): a rerun into an existing output must use the
configuration the output was started with (else exit 2 with a one-line reason, nothing
written), and error records are retried, so a finished output holds exactly one record per
input row, the newest."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest

from linernotes.testing.fault_server import FaultServer


@pytest.fixture(scope="module")
def server():
    with FaultServer() as srv:
        yield srv


def _rows(n: int, tag: str) -> list[dict]:
    return [{"id": f"r{i}", "title": f"Song {i} {tag}", "description": "minimal techno"} for i in range(n)]


def _manifest(out: Path) -> dict:
    return json.loads(out.with_name(out.name + ".manifest.json").read_text())


def test_resume_with_another_model_is_refused(tmp_path, forkcli, server, helpers):
    """The issue's input: --model openai/model-a --limit 1, then the same -o with model-b."""
    catalog = helpers.write_jsonl(tmp_path / "c.jsonl", _rows(3, tmp_path.name))
    out, env = tmp_path / "out.jsonl", helpers.env(tmp_path / "cache")
    first = forkcli.run(["tag", catalog, "-o", out, *helpers.stub_args(server, "--limit", "1", model="openai/model-a")],
                        tmp_path, env)
    assert first.rc == 0, first.stderr
    before, asked = out.read_bytes(), len(server.log)
    second = forkcli.run(["tag", catalog, "-o", out, *helpers.stub_args(server, model="openai/model-b")], tmp_path, env)
    assert second.rc == 2
    lines = second.stderr.strip().splitlines()
    assert len(lines) == 1, second.stderr
    assert 'llm.model: "openai/model-a" (then) -> "openai/model-b" (now)' in lines[0], lines[0]
    assert "rerun with the options it was started with, or write to another -o" in lines[0]
    assert "Traceback" not in second.stderr
    assert out.read_bytes() == before and len(server.log) == asked, "a refused resume writes and asks nothing"
    assert _manifest(out)["model"] == "openai/model-a", "the manifest still describes the output"


@pytest.mark.parametrize("change", [
    ["--map", "description=title"],               # other input columns
    ["--prompt", "extract.v1", "--drop", "description"],  # a column hidden from the tagger
    ["--max-audio-seconds", "30"],                 # other audio analysis
], ids=["map", "drop", "audio-window"])
def test_resume_with_other_answer_deciding_options_is_refused(tmp_path, forkcli, server, helpers, change):
    """Same kind, my inputs: anything that changes what a line says is a different configuration."""
    catalog = helpers.write_jsonl(tmp_path / "c.jsonl", _rows(2, tmp_path.name))
    out, env = tmp_path / "out.jsonl", helpers.env(tmp_path / "cache")
    assert forkcli.run(["tag", catalog, "-o", out, *helpers.stub_args(server, "--limit", "1")], tmp_path, env).rc == 0
    res = forkcli.run(["tag", catalog, "-o", out, *helpers.stub_args(server, *change)], tmp_path, env)
    assert res.rc == 2 and len(res.stderr.strip().splitlines()) == 1, res.stderr
    assert "different configuration" in res.stderr
    assert len(helpers.read_output(out)) == 1


def test_resume_may_change_how_answers_are_fetched(tmp_path, forkcli, server, helpers):
    """Concurrency, retries, timeout and the cache decide how, not what: the resume goes on."""
    catalog = helpers.write_jsonl(tmp_path / "c.jsonl", _rows(3, tmp_path.name))
    out, env = tmp_path / "out.jsonl", helpers.env(tmp_path / "cache")
    assert forkcli.run(["tag", catalog, "-o", out, *helpers.stub_args(server, "--limit", "1")], tmp_path, env).rc == 0
    res = forkcli.run(["tag", catalog, "-o", out, *helpers.stub_args(
        server, "--concurrency", "2", "--retries", "1", "--timeout", "30", "--no-cache")], tmp_path, env)
    assert res.rc == 0, res.stderr
    assert sorted(r["id"] for r in helpers.read_output(out)) == ["r0", "r1", "r2"]
    assert _manifest(out)["summary"]["skipped"] == 1


def test_resume_with_the_endpoint_spelt_with_a_trailing_slash_goes_on(tmp_path, forkcli, server, helpers):
    """``.../v1/`` and ``.../v1`` are one endpoint: the resume is not refused as another one."""
    catalog = helpers.write_jsonl(tmp_path / "c.jsonl", _rows(3, tmp_path.name))
    out, env = tmp_path / "out.jsonl", helpers.env(tmp_path / "cache")
    assert forkcli.run(["tag", catalog, "-o", out, *helpers.stub_args(server, "--limit", "1")], tmp_path, env).rc == 0
    args = helpers.stub_args(server)
    args[args.index("--api-base") + 1] = server.base_url + "/"
    res = forkcli.run(["tag", catalog, "-o", out, *args], tmp_path, env)
    assert res.rc == 0, res.stderr
    assert sorted(r["id"] for r in helpers.read_output(out)) == ["r0", "r1", "r2"]
    assert _manifest(out)["summary"]["skipped"] == 1


def test_a_fixed_catalog_row_replaces_its_error_record(tmp_path, forkcli, server, helpers):
    """The issue's input: 9 rows, one broken (an unknown type); fixed and rerun, the output had
    10 lines (the old error stayed). Mine: a row without an id (keyed by its line) fixed too."""
    tag = tmp_path.name
    rows = _rows(9, tag)
    rows[4] = {"id": "r4", "type": "film", "title": f"Broken {tag}"}
    rows[6] = {"title": f"No id {tag}"}
    catalog = helpers.write_jsonl(tmp_path / "c.jsonl", rows)
    out, env = tmp_path / "out.jsonl", helpers.env(tmp_path / "cache")
    first = forkcli.run(["tag", catalog, "-o", out, *helpers.stub_args(server)], tmp_path, env)
    assert first.rc == 1, first.stderr
    kinds = {r["id"]: r["error"]["kind"] for r in helpers.read_output(out) if r["status"] == "error"}
    assert kinds == {"r4": "input.invalid", "line:7": "input.missing_id"}

    rows[4] = {"id": "r4", "type": "track", "title": f"Fixed {tag}"}
    rows[6] = {"id": "r6", "title": f"Now with an id {tag}"}
    helpers.write_jsonl(catalog, rows)
    second = forkcli.run(["tag", catalog, "-o", out, *helpers.stub_args(server)], tmp_path, env)
    assert second.rc == 0, second.stderr
    recs = helpers.read_output(out)
    assert len(recs) == 9, [r["id"] for r in recs]
    assert sorted(r["id"] for r in recs) == sorted(f"r{i}" for i in range(9))
    assert all(r["status"] == "ok" for r in recs)
    assert _manifest(out)["summary"]["skipped"] == 7


def test_an_llm_error_record_is_retried_and_replaced(tmp_path, forkcli, server, helpers):
    """Same kind, my input: an item that failed on a transient 503 (--retries 0) is asked again
    on resume; the ok line replaces the error line, the other lines stay as they were."""
    tag = tmp_path.name
    rows = _rows(4, tag)
    rows[1]["title"] = f"FAULT:503x1 {tag}"
    catalog = helpers.write_jsonl(catalog_path := tmp_path / "c.jsonl", rows)
    out, env = tmp_path / "out.jsonl", helpers.env(tmp_path / "cache")
    first = forkcli.run(["tag", catalog, "-o", out, *helpers.stub_args(server, "--retries", "0")], tmp_path, env)
    assert first.rc == 1
    old = {r["id"]: r for r in helpers.read_output(out)}
    assert old["r1"]["error"]["kind"] == "llm.server_error"
    second = forkcli.run(["tag", catalog_path, "-o", out, *helpers.stub_args(server, "--retries", "0")], tmp_path, env)
    assert second.rc == 0, second.stderr
    new = helpers.read_output(out)
    assert Counter(r["id"] for r in new) == Counter({f"r{i}": 1 for i in range(4)})
    by_id = {r["id"]: r for r in new}
    assert by_id["r1"]["status"] == "ok"
    assert all(by_id[i] == old[i] for i in ("r0", "r2", "r3")), "ok records are never redone"
    third = forkcli.run(["tag", catalog_path, "-o", out, *helpers.stub_args(server, "--retries", "0")], tmp_path, env)
    assert third.rc == 0 and helpers.read_output(out) == new, "a finished output is left alone"
