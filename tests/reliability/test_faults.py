"""Every way an LLM endpoint fails, injected per item by the FaultServer test double, through the
real CLI: bounded retries with backoff, then an error record naming the kind; the batch goes on;
the summary counts failures by kind; nothing is lost and no key leaks."""

from __future__ import annotations

import json
import secrets
from collections import Counter
from pathlib import Path

from linernotes.testing.fault_server import FAULTS, FaultServer

RETRIES = 2  # --retries 2: three requests at most per call


def fault_catalog(tmp: Path, helpers, ok: int = 4) -> tuple[Path, dict[str, str]]:
    """One item per fault directive, transient faults that recover, and plain items."""
    rows, expected = [], {}
    for i in range(ok):
        rows.append({"id": f"ok-{i}", "title": f"Plain song {i}", "description": "a warm techno track"})
        expected[f"ok-{i}"] = "ok"
    for name, spec in FAULTS.items():
        rows.append({"id": f"fault-{name}", "title": f"FAULT:{name}", "description": "deep house groove"})
        expected[f"fault-{name}"] = f"llm.{spec.expected_kind}"
    for name in ("503x1", "resetx2", "truncatedx1"):
        rows.append({"id": f"transient-{name}", "title": f"FAULT:{name}", "description": "ambient piano"})
        expected[f"transient-{name}"] = "ok"
    return helpers.write_jsonl(tmp / "faults.jsonl", rows), expected


def gaps(times: list[float]) -> list[float]:
    return [b - a for a, b in zip(times, times[1:], strict=False)]


def test_each_fault_kind_ends_as_an_error_record_after_bounded_retries(tmp_path, forkcli, fault_server, helpers):
    catalog, expected = fault_catalog(tmp_path, helpers)
    out = tmp_path / "out.jsonl"
    start = len(fault_server.log)
    res = forkcli.run(["tag", catalog, "-o", out, *helpers.stub_args(fault_server, "--retries", str(RETRIES),
                       "--timeout", "1", "--concurrency", "24", "--no-cache")], tmp_path, helpers.env(tmp_path))

    assert res.rc == 1, res.stderr  # some items failed, the batch finished
    assert "Traceback" not in res.stderr + res.stdout
    records = {r["id"]: r for r in helpers.read_output(out)}
    assert set(records) == set(expected), "every input row has exactly one output line"
    got = {i: (r["status"] if r["status"] == "ok" else r["error"]["kind"]) for i, r in records.items()}
    assert got == expected

    log = fault_server.log[start:]
    for name, spec in FAULTS.items():
        times = [r.t for r in log if r.token == f"FAULT:{name}"]
        want = RETRIES + 1 if spec.retryable else 1
        assert len(times) == want, f"{name}: {len(times)} requests, expected {want} (bounded retries)"
        if spec.retryable:
            g = gaps(times)
            floor = 1.0 if name == "429ra" else 0.25  # Retry-After: 1, else backoff >= base/2 * 2**attempt
            assert min(g) >= floor - 0.02, f"{name}: retried after {min(g):.3f}s, expected >= {floor}s"
            if name != "429ra":
                assert g[1] >= 0.5 - 0.02, f"{name}: backoff did not grow ({g})"
        assert records[f"fault-{name}"]["error"]["message"], "an error record says what happened"

    for name, fails in (("503", 1), ("reset", 2), ("truncated", 1)):
        rec = records[f"transient-{name}x{fails}"]
        assert rec["enrichment"]["provenance"]["llm_calls"] == fails + 1
        assert [r.directive for r in log if r.token == f"FAULT:{name}x{fails}"] == [name] * fails + [None]

    manifest = json.loads(out.with_name(out.name + ".manifest.json").read_text())
    assert manifest["status"] == "complete"
    failures = Counter(v for v in expected.values() if v != "ok")
    assert manifest["summary"]["errors_by_kind"] == dict(failures)
    assert manifest["summary"]["failed"] == sum(failures.values())
    for kind in failures:
        assert f"error: {kind}" in res.stdout + res.stderr, "the printed summary counts failures by kind"


def test_a_wrong_model_name_fails_each_item_once_without_retries(tmp_path, forkcli, helpers):
    catalog = helpers.write_jsonl(tmp_path / "c.jsonl", [{"id": f"a{i}", "title": f"t{i}"} for i in range(3)])
    out = tmp_path / "out.jsonl"
    with FaultServer(models={"the-real-model"}) as srv:
        res = forkcli.run(["tag", catalog, "-o", out, *helpers.stub_args(srv, "--retries", "3",
                           model="openai/the-wrong-model")], tmp_path, helpers.env(tmp_path))
        assert len(srv.log) == 3, "model_not_found is not retried"
    assert res.rc == 1 and "Traceback" not in res.stderr
    recs = helpers.read_output(out)
    assert [r["error"]["kind"] for r in recs] == ["llm.model_not_found"] * 3
    assert "the-wrong-model" in recs[0]["error"]["message"]


def test_api_key_never_reaches_any_artifact(tmp_path, forkcli, helpers):
    """A hostile server echoes the key in its 401 message; every failure path writes messages.
    The key must appear in no output line, manifest, cache byte, stdout or stderr."""
    key = "sk-test-" + secrets.token_hex(16)
    rows = [{"id": "ok", "title": "Plain"}, {"id": "auth", "title": "FAULT:auth"},
            {"id": "r", "title": "FAULT:503"}, {"id": "bad", "title": "FAULT:invalid"},
            {"id": "bad2", "title": "FAULT:reset"}]
    catalog = helpers.write_jsonl(tmp_path / "c.jsonl", rows)
    run_dir, cache_dir = tmp_path / "run", tmp_path / "cache"
    out = run_dir / "out.jsonl"
    with FaultServer() as srv:
        res = forkcli.run(["tag", catalog, "-o", out, *helpers.stub_args(srv, "--retries", "1")],
                          tmp_path / "logs", helpers.env(cache_dir, key=key))
        assert any(key in r.authorization for r in srv.log), "the run really used the key"
        assert any(r.directive == "auth" for r in srv.log)
    assert res.rc == 1
    recs = {r["id"]: r for r in helpers.read_output(out)}
    assert recs["auth"]["error"]["kind"] == "llm.auth"
    assert "[redacted]" in recs["auth"]["error"]["message"]
    artifacts = [p for d in (run_dir, cache_dir, tmp_path / "logs") for p in d.rglob("*") if p.is_file()]
    assert any(p.suffix == ".sqlite" for p in artifacts) and any(p.name.endswith(".manifest.json") for p in artifacts)
    for p in artifacts:
        assert key.encode() not in p.read_bytes(), f"API key leaked into {p.name}"
