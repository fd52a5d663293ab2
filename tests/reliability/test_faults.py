"""Every way an LLM endpoint fails, injected per item by the FaultServer test double, through the
real CLI: bounded retries with backoff, then an error record naming the kind; the batch goes on;
the summary counts failures by kind; nothing is lost and no key leaks."""

from __future__ import annotations

import json
import re
import secrets
from collections import Counter
from pathlib import Path

from linernotes.testing.fault_server import FAULTS, FaultServer

RETRIES = 2  # --retries 2: three requests at most per call
# Past the hang and trickle faults (30 s; 0.2 s a byte), short enough for the test's wall time; 1 s
# timed out answered requests on a loaded 2-core CI box and turned a bad_response into a timeout
TIMEOUT_S = 3


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
                       "--timeout", str(TIMEOUT_S), "--concurrency", "24", "--no-cache")], tmp_path, helpers.env(tmp_path))

    assert res.rc == 1, res.stderr  # some items failed, the batch finished
    assert "Traceback" not in res.stderr + res.stdout
    records = {r["id"]: r for r in helpers.read_output(out)}
    assert set(records) == set(expected), "every input row has exactly one output line"
    lines = {json.loads(text)["id"]: n for n, text in enumerate(catalog.read_text().splitlines(), start=1)}
    got = {i: (r["status"] if r["status"] == "ok" else r["error"]["kind"]) for i, r in records.items()}
    assert got == expected

    log = fault_server.log[start:]
    for name, spec in FAULTS.items():
        times = [r.t for r in log if r.token == f"FAULT:{name}"]
        want = RETRIES + 1 if spec.retryable else 1
        # The client's count is the bounded-retry contract. The server's log can hold fewer: on a
        # loaded box an attempt the client gave up on (its timeout) may be dropped by aiohttp before
        # the handler logs it (CI at d5e8c61: 'truncated: 2 requests, expected 3' with 3 calls made)
        calls = records[f"fault-{name}"]["error"]["usage"]["calls"]
        assert calls == want, f"{name}: {calls} requests made, expected {want} (bounded retries)"
        assert 1 <= len(times) <= want, f"{name}: the server saw {len(times)} requests, at most {want} were made"
        if spec.retryable and len(times) > 1:
            g = gaps(times)  # a request the server did not log only widens a gap
            floor = 1.0 if name == "429ra" else 0.25  # Retry-After: 1, else backoff >= base/2 * 2**attempt
            assert min(g) >= floor - 0.02, f"{name}: retried after {min(g):.3f}s, expected >= {floor}s"
            if name != "429ra" and len(times) == want:
                assert g[1] >= 0.5 - 0.02, f"{name}: backoff did not grow ({g})"
        assert records[f"fault-{name}"]["error"]["message"], "an error record says what happened"
        # and where the item came from, as a bad row's record does: the catalog (as given) and its line
        assert (records[f"fault-{name}"]["error"]["source"], records[f"fault-{name}"]["error"]["line"]) == (
            str(catalog), lines[f"fault-{name}"])

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


# -- issue 12, item 4: client-side configuration errors ------------------------------------------
def test_no_api_key_stops_the_run_before_any_item_with_exit_2(tmp_path, forkcli, fault_server, helpers):
    """The issue's input: no OPENAI_API_KEY, --model openai/x --api-base <local endpoint>,
    --no-cache. It was llm.server_error after 5 attempts (18 s); then one llm.config error record
    per item (119 of them after 20 s on a new user's catalog). Every call would fail alike and no
    request can be sent, so the run stops before its first item: exit 2, one line naming the
    option and the variable, no output written, no request sent; --llm never needs no key."""
    catalog = helpers.write_jsonl(tmp_path / "c.jsonl", [{"id": f"k{i}", "title": f"Song {i}"} for i in range(3)])
    out = tmp_path / "out.jsonl"
    start = len(fault_server.log)
    res = forkcli.run(["tag", catalog, "-o", out, *helpers.stub_args(fault_server, "--retries", "4", "--no-cache",
                       "--concurrency", "1", model="openai/x")], tmp_path, helpers.env(tmp_path, key=""))
    assert len(fault_server.log) == start, "no request left the process"
    assert res.rc == 2, res.stderr
    assert "no request was sent" in res.stderr and "OPENAI_API_KEY" in res.stderr and "--model openai/x" in res.stderr
    assert not out.exists() or not helpers.read_output(out)
    never = tmp_path / "never.jsonl"
    res = forkcli.run(["tag", catalog, "-o", never, *helpers.stub_args(fault_server, "--no-cache", "--llm", "never",
                       model="openai/x")], tmp_path, helpers.env(tmp_path, key=""))
    assert res.rc == 0, res.stderr
    assert [r["id"] for r in helpers.read_output(never)] == ["k0", "k1", "k2"]
    assert len(fault_server.log) == start


def test_a_model_string_no_provider_knows_is_config_not_a_server_error(tmp_path, forkcli, fault_server, helpers):
    """Same kind, my input: LiteLLM cannot route the model at all; nothing may be sent or retried.
    Every call would fail alike, so like a missing key it stops the run before its first item
    (exit 2; it was one llm.config record per item, after the tools had loaded); a provider
    prefix LiteLLM does not know is refused the same way; --llm never needs no model."""
    catalog = helpers.write_jsonl(tmp_path / "c.jsonl", [{"id": "n1", "title": "Song"}])
    start = len(fault_server.log)
    for model in ("no-such-provider-model-xyz", "bogusprov/xyz"):
        out = tmp_path / f"{model.replace('/', '_')}.jsonl"
        res = forkcli.run(["tag", catalog, "-o", out, *helpers.stub_args(fault_server, "--retries", "4", "--no-cache",
                           model=model)], tmp_path, helpers.env(tmp_path))
        assert res.rc == 2, res.stderr
        assert f"--model {model}: no request was sent" in res.stderr and "Traceback" not in res.stderr
        assert not out.exists() or not helpers.read_output(out)
    assert len(fault_server.log) == start
    never = tmp_path / "never.jsonl"
    res = forkcli.run(["tag", catalog, "-o", never, *helpers.stub_args(fault_server, "--no-cache", "--llm", "never",
                       model="bogusprov/xyz")], tmp_path, helpers.env(tmp_path))
    assert res.rc == 0, res.stderr


# -- issue 12, item 5: failed items' usage -----------------------------------------------------------
def test_every_billed_attempt_is_counted_in_error_records_summary_and_manifest(tmp_path, forkcli, fault_server,
                                                                              helpers):
    """The issue's input: --retries 2 and an item whose every answer breaks the schema (3 billed
    requests); mine: one whose answers are cut in half, and one that only gets 503s (3 requests,
    no tokens). The requests the server saw are the truth every count must match."""
    tag = tmp_path.name  # fresh message content for the shared server
    rows = [{"id": "ok", "title": f"Plain {tag}", "description": "warm techno"},
            {"id": "invalid", "title": f"FAULT:invalid {tag}"},
            {"id": "truncated", "title": f"FAULT:truncated {tag}"},
            {"id": "down", "title": f"FAULT:503 {tag}"}]
    catalog = helpers.write_jsonl(tmp_path / "c.jsonl", rows)
    out = tmp_path / "out.jsonl"
    start = len(fault_server.log)
    res = forkcli.run(["tag", catalog, "-o", out, *helpers.stub_args(fault_server, "--retries", "2", "--no-cache",
                       "--concurrency", "4")], tmp_path, helpers.env(tmp_path))
    assert res.rc == 1, res.stderr
    sent = fault_server.log[start:]
    recs = {r["id"]: r for r in helpers.read_output(out)}
    for rid, directive in (("invalid", "invalid"), ("truncated", "truncated"), ("down", "503")):
        usage = recs[rid]["error"]["usage"]
        assert usage is not None, f"{rid}: the error record has no usage"
        assert usage["calls"] == 3 == sum(r.directive == directive for r in sent), rid
        assert usage["retries"] == 2
    for rid in ("invalid", "truncated"):  # the test double bills >= 1 prompt token and 1 completion token per answer
        usage = recs[rid]["error"]["usage"]
        assert usage["tokens_in"] >= 3 and usage["tokens_in"] % 3 == 0 and usage["tokens_out"] == 3, rid
    assert recs["down"]["error"]["usage"]["tokens_in"] == 0, "a 503 bills nothing"

    prov = recs["ok"]["enrichment"]["provenance"]
    summary = json.loads(out.with_name(out.name + ".manifest.json").read_text())["summary"]
    assert summary["llm_calls"] == len(sent) == prov["llm_calls"] + 9
    assert summary["tokens_in"] == prov["tokens_in"] + sum(recs[i]["error"]["usage"]["tokens_in"]
                                                           for i in ("invalid", "truncated", "down"))
    assert summary["tokens_out"] == prov["tokens_out"] + sum(recs[i]["error"]["usage"]["tokens_out"]
                                                             for i in ("invalid", "truncated", "down"))
    printed = re.search(r"LLM calls\D*(\d+)", res.stderr)
    assert printed and int(printed.group(1)) == len(sent), "the printed summary counts every attempt"


# -- issue 12, item 6: cache identity ----------------------------------------------------------------
def test_one_model_string_on_two_endpoints_never_shares_cached_answers(tmp_path, forkcli, helpers):
    """The issue's input: the same model string with two --api-base values and one cache; the
    second endpoint must be asked, and each endpoint keeps its own cached answers."""
    catalog = helpers.write_jsonl(tmp_path / "c.jsonl", [{"id": f"e{i}", "title": f"Song {i}",
                                                           "description": "dub techno"} for i in range(2)])
    env = helpers.env(tmp_path / "cache")
    with FaultServer() as a, FaultServer() as b:
        r1 = forkcli.run(["tag", catalog, "-o", tmp_path / "a.jsonl", *helpers.stub_args(a)], tmp_path, env)
        r2 = forkcli.run(["tag", catalog, "-o", tmp_path / "b.jsonl", *helpers.stub_args(b)], tmp_path, env)
        asked_a, asked_b = len(a.log), len(b.log)
        r3 = forkcli.run(["tag", catalog, "-o", tmp_path / "a2.jsonl", *helpers.stub_args(a)], tmp_path, env)
        assert (r1.rc, r2.rc, r3.rc) == (0, 0, 0), r2.stderr
        assert asked_a > 0 and asked_b == asked_a, "the second endpoint was served the first one's answers"
        assert len(a.log) == asked_a, "the first endpoint's answers are still cached for it"
    prov = [r["enrichment"]["provenance"] for r in helpers.read_output(tmp_path / "b.jsonl")]
    assert [p["cache_hit"] for p in prov] == [False, False]
    prov = [r["enrichment"]["provenance"] for r in helpers.read_output(tmp_path / "a2.jsonl")]
    assert [p["cache_hit"] for p in prov] == [True, True]
