"""``liner serve``: same records as ``liner tag``, bind and token rules, load shedding, metrics."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from linernotes.run.runner import RunOptions, run_batch
from linernotes.schema import OutputRecord
from linernotes.service.app import ServiceOptions, create_app
from linernotes.service.server import BackgroundService, BindError, build
from linernotes.testing.openai_stub import StubServer

from .conftest import ITEMS, start_liner_serve, stub_config, write_catalog

SUBJECT_SIGNAL = Path(__file__).resolve().parents[2] / "examples" / "signals" / "subject.yaml"


def _comparable(rec: dict) -> dict:
    """A record without what differs between two runs of the same item: wall-clock latency."""
    rec = json.loads(json.dumps(rec))
    if rec.get("enrichment"):
        rec["enrichment"]["provenance"]["latency_s"] = 0.0
    return rec


@pytest.fixture(scope="module")
def stub():
    with StubServer(latency_ms=0) as srv:
        yield srv


@pytest.fixture(scope="module")
def service(stub, tmp_path_factory):
    log_dir = tmp_path_factory.mktemp("svc-log")
    app = create_app(stub_config(stub.base_url), ServiceOptions(concurrency=4, max_queue=16, log_dir=log_dir))
    with BackgroundService(app) as svc:
        svc.log_dir = log_dir
        yield svc


def test_single_and_batch_records_equal_liner_tag(tmp_path, stub, service):
    bad = {"title": "no id"}
    catalog = write_catalog(tmp_path / "c.jsonl", [*ITEMS, bad])
    out = tmp_path / "out.jsonl"
    summary = asyncio.run(run_batch(stub_config(stub.base_url), RunOptions(input=catalog, output=out)))
    assert (summary.ok, summary.failed) == (4, 1)
    tagged = {r["id"]: r for r in map(json.loads, out.read_text().splitlines())}

    single = httpx.post(service.base_url + "/v1/enrich", json={"item": ITEMS[2]}, timeout=60)
    assert single.status_code == 200, single.text
    [rec] = single.json()["records"]
    assert _comparable(rec) == _comparable(tagged["svc-3"])

    batch = httpx.post(service.base_url + "/v1/enrich", json={"items": [*ITEMS, bad]}, timeout=60)
    assert batch.status_code == 200, batch.text
    records = batch.json()["records"]
    assert [r["id"] for r in records] == ["svc-1", "svc-2", "svc-3", "svc-4", "line:5"]
    for r in records[:4]:
        OutputRecord.model_validate(r)
        assert _comparable(r) == _comparable(tagged[r["id"]])
    # the bad item: the same kind as the catalog reader gives it, located by its place in the batch
    assert records[4]["status"] == "error" and records[4]["error"]["kind"] == tagged["line:5"]["error"]["kind"]
    assert records[4]["error"]["line"] == 5 and records[4]["error"]["source"] == "request"


def test_duplicate_and_malformed_items_in_a_batch_do_not_fail_the_others(service):
    r = httpx.post(service.base_url + "/v1/enrich", timeout=60,
                   json={"items": [ITEMS[0], ITEMS[0], {"id": "x", "year": "soon"}, ITEMS[1]]})
    assert r.status_code == 200
    records = r.json()["records"]
    kinds = [(x["status"], (x["error"] or {}).get("kind")) for x in records]
    assert kinds == [("ok", None), ("error", "input.duplicate_id"), ("error", "input.invalid"), ("ok", None)]
    # one record per id: the repeat is keyed by its place in the batch and names the first one
    assert [x["id"] for x in records] == ["svc-1", "line:2", "x", "svc-2"]
    assert "item 2 repeats item 1" in records[1]["error"]["message"] and "'svc-1'" in records[1]["error"]["message"]
    for body in ({}, {"item": ITEMS[0], "items": [ITEMS[1]]}, {"items": []}, {"item": "not an object"}):
        assert httpx.post(service.base_url + "/v1/enrich", json=body, timeout=60).status_code == 422


def test_a_batch_item_that_is_not_an_object_is_its_own_error_record(service):
    """Found by T8: one string in ``items`` made the whole batch a 422 (the request model asked for
    a list of objects); it is an ``input.not_an_object`` record in its place, as in a catalog."""
    r = httpx.post(service.base_url + "/v1/enrich", timeout=60, json={"items": [ITEMS[0], "not an object", [1], ITEMS[1]]})
    assert r.status_code == 200, r.text
    records = r.json()["records"]
    assert [(x["id"], (x["error"] or {}).get("kind")) for x in records] == [
        ("svc-1", None), ("line:2", "input.not_an_object"), ("line:3", "input.not_an_object"), ("svc-2", None)]


def test_service_shares_liner_tags_response_cache(tmp_path, stub):
    catalog = write_catalog(tmp_path / "c.jsonl", ITEMS[:2])
    cache = tmp_path / "cache.sqlite"
    asyncio.run(run_batch(stub_config(stub.base_url, cache), RunOptions(input=catalog, output=tmp_path / "o.jsonl")))
    before = stub.count
    with BackgroundService(create_app(stub_config(stub.base_url, cache))) as svc:
        recs = httpx.post(svc.base_url + "/v1/enrich", json={"items": ITEMS[:2]}, timeout=60).json()["records"]
        assert stub.count == before  # every answer came from the cache liner tag filled
        assert all(r["enrichment"]["provenance"]["cache_hit"] for r in recs)
        metrics = _metrics(httpx.get(svc.base_url + "/metrics", timeout=60).text)
        assert metrics["liner_cache_hits_total"] == 2 and metrics["liner_llm_calls_total"] == 0


def _metrics(text: str) -> dict[str, float]:
    """Every sample, parsed by prometheus_client's own parser, as name{labels} -> value."""
    out = {}
    for fam in text_string_to_metric_families(text):
        for s in fam.samples:
            labels = ",".join(f"{k}={v}" for k, v in sorted(s.labels.items()))
            out[f"{s.name}{{{labels}}}" if labels else s.name] = s.value
    return out


def test_metrics_parse_and_count_requests_items_errors(service):
    httpx.post(service.base_url + "/v1/enrich", json={"items": [ITEMS[0], {"title": "no id"}]}, timeout=60)
    m = _metrics(httpx.get(service.base_url + "/metrics", timeout=60).text)
    assert m["liner_requests_total{code=200,route=/v1/enrich}"] >= 1
    assert m["liner_request_duration_seconds_count{route=/v1/enrich}"] >= 1
    assert m["liner_errors_total{kind=input.missing_id}"] >= 1
    assert m["liner_items_total{status=ok}"] >= 1
    assert m["liner_llm_calls_total"] >= 1
    assert 0.0 <= m["liner_routed_share"] <= 1.0
    assert "liner_cache_hits_total" in m and "liner_rejected_total" in m


def test_healthz_docs_and_host_check(service):
    h = httpx.get(service.base_url + "/healthz", timeout=60).json()
    assert h["status"] == "ok" and h["model"] == "openai/stub"
    assert "/v1/enrich" in httpx.get(service.base_url + "/openapi.json", timeout=60).json()["paths"]
    # a DNS-rebinding page reaches a loopback server under another name: refused
    assert httpx.get(service.base_url + "/healthz", headers={"Host": "evil.example:80"}, timeout=60).status_code == 421


def test_rolling_log_holds_every_record(service):
    httpx.post(service.base_url + "/v1/enrich", json={"items": ITEMS[:2]}, timeout=60)
    files = sorted(service.log_dir.glob("records-*.jsonl"))
    assert files
    ids = [OutputRecord.model_validate_json(line).id for f in files for line in f.read_text().splitlines()]
    assert {"svc-1", "svc-2"} <= set(ids)


@pytest.mark.parametrize("host", ["0.0.0.0", "192.168.1.20", "::", "example.com"])
def test_non_loopback_bind_without_token_is_refused(stub, host):
    with pytest.raises(BindError, match="needs --token"):
        build(stub_config(stub.base_url), host, ServiceOptions())


def test_non_loopback_bind_needs_a_strong_token(stub):
    for weak in ("s3cret", "a" * 40, " padded-token-with-spaces-1234567890 "):
        with pytest.raises(BindError):
            build(stub_config(stub.base_url), "0.0.0.0", ServiceOptions(token=weak))
    app = build(stub_config(stub.base_url), "0.0.0.0", ServiceOptions(token="Zq8-4vLr_x1TnWc7yPe2MbK9sHd3"))
    assert app.title.startswith("linernotes")


@pytest.mark.slow
def test_cli_refuses_non_loopback_bind_before_loading_anything(liner):
    res = liner(["serve", "--host", "0.0.0.0", "--port", "9"], timeout=120)
    assert res.returncode == 2 and "refusing to listen on 0.0.0.0" in res.stderr


def test_token_is_required_on_v1_and_metrics(stub):
    app = create_app(stub_config(stub.base_url), ServiceOptions(token="s3cret", loopback_only=True))
    with BackgroundService(app) as svc:
        url = svc.base_url
        assert httpx.post(url + "/v1/enrich", json={"item": ITEMS[0]}, timeout=60).status_code == 401
        assert httpx.get(url + "/metrics", headers={"Authorization": "Bearer wrong"}, timeout=60).status_code == 401
        ok = httpx.post(url + "/v1/enrich", json={"item": ITEMS[0]}, headers={"Authorization": "Bearer s3cret"},
                        timeout=60)
        assert ok.status_code == 200
        assert httpx.get(url + "/healthz", timeout=60).status_code == 200  # liveness probes need no token


@pytest.mark.slow
def test_overfull_queue_sheds_load_with_429_and_retry_after():
    async def burst(url: str) -> list[httpx.Response]:
        async with httpx.AsyncClient(timeout=60) as client:
            return await asyncio.gather(*(client.post(url + "/v1/enrich", json={"item": {**ITEMS[0], "id": f"b{i}"}})
                                          for i in range(8)))

    with StubServer(latency_ms=400) as slow:
        app = create_app(stub_config(slow.base_url), ServiceOptions(concurrency=1, max_queue=2))
        with BackgroundService(app) as svc:
            codes = [r.status_code for r in asyncio.run(burst(svc.base_url))]
            shed = [r for r in asyncio.run(burst(svc.base_url)) if r.status_code == 429]
            big = httpx.post(svc.base_url + "/v1/enrich", json={"items": [{"id": f"x{i}"} for i in range(4)]}, timeout=60)
            m = _metrics(httpx.get(svc.base_url + "/metrics", timeout=60).text)
    assert codes.count(200) == 3 and codes.count(429) == 5, codes
    assert shed and all(int(r.headers["Retry-After"]) >= 1 for r in shed)
    # --max-batch defaults to the capacity (concurrency 1 + queue 2): the batch of 4 is refused by it
    assert big.status_code == 413 and "4 items in one request; the limit is 3" in big.json()["detail"]
    assert m["liner_rejected_total"] >= 10


def test_monitor_reads_the_services_rolling_log(tmp_path):
    """The service's log folder is a run the monitor compares with a liner tag output of the same items."""
    from linernotes.monitor.run import monitor
    from linernotes.testing.synthetic import synthetic_rows

    rows = list(synthetic_rows(40))
    catalog = write_catalog(tmp_path / "c.jsonl", rows)
    logs = tmp_path / "logs"
    # a STUB that takes 50 ms: against an instant one each run's LLM latency is event-loop noise
    # (under a loaded CI box the two runs' p95 differed 20x and the monitor rightly alerted)
    with StubServer(latency_ms=50) as stub:
        asyncio.run(run_batch(stub_config(stub.base_url), RunOptions(input=catalog, output=tmp_path / "tag.jsonl")))
        app = create_app(stub_config(stub.base_url), ServiceOptions(log_dir=logs, log_max_bytes=20_000))
        with BackgroundService(app) as svc:
            for i in range(0, 40, 10):
                assert httpx.post(svc.base_url + "/v1/enrich", json={"items": rows[i:i + 10]},
                                  timeout=60).status_code == 200
    assert len(list(logs.glob("records-*.jsonl"))) >= 2  # rolled over past 20 kB
    result = monitor(tmp_path / "tag.jsonl", logs)
    assert result.current.table.num_rows == 40
    assert result.exit_code == 0, result.markdown


@pytest.mark.slow
def test_serve_llm_option_reaches_the_real_service(tmp_path, stub):
    """``liner serve --llm never`` (the option ``liner tag`` has, through the same config builder,
    ``config_from_options``): a real ``liner serve`` process answers from the evidence alone and
    sends the endpoint nothing; the same builder's --llm always asks it for every item."""
    from linernotes.config import config_from_options

    before = stub.count
    proc, url = start_liner_serve(["--model", "openai/stub", "--api-base", stub.base_url, "--retries", "0",
                                   "--no-cache", "--llm", "never", "--signals", str(SUBJECT_SIGNAL)])
    try:
        r = httpx.post(url + "/v1/enrich", json={"items": ITEMS[:2]}, timeout=60)
    finally:
        proc.terminate()
        proc.wait(30)
    assert r.status_code == 200, r.text
    never = r.json()["records"]
    assert [x["status"] for x in never] == ["ok", "ok"] and stub.count == before
    assert all(x["enrichment"]["provenance"]["llm_calls"] == 0 for x in never)
    # --signals reaches the service too (it had no such option): each record carries the declared signal
    labels = {"film", "product", "news", "personal", "other"}
    assert all(x["enrichment"]["signals"]["subject"]["value"] in labels for x in never), never

    config = config_from_options(model="openai/stub", api_base=stub.base_url, retries=0, use_cache=False,
                                 llm_mode="always")
    with BackgroundService(create_app(config, ServiceOptions(concurrency=2))) as svc:
        r = httpx.post(svc.base_url + "/v1/enrich", json={"items": ITEMS[:2]}, timeout=60)
    always = r.json()["records"]
    assert [x["status"] for x in always] == ["ok", "ok"] and stub.count >= before + 2
    assert all(x["enrichment"]["provenance"]["llm_calls"] >= 1 for x in always)


def test_serve_refuses_what_cannot_load_before_it_binds(tmp_path, liner_in_process):
    (tmp_path / "afile").write_text("x")
    # --fusion, --exemplars, --signals are liner tag's options (cli/options.py); a folder that cannot
    # load was a uvicorn startup traceback after 'liner serve: http://...', exit 3 (session 13)
    for args, message in [(["--fusion", str(tmp_path / "nope")], "cannot read fusion artifact"),
                          (["--exemplars", str(tmp_path / "nope")], "not an exemplar index"),
                          (["--signals", str(tmp_path / "nope.yaml")], "no such signal spec file"),
                          # QA: an impossible --log-dir was uvicorn's 'Application startup failed'
                          # traceback after the 'liner serve: http://...' line, exit 3
                          (["--log-dir", str(tmp_path / "afile" / "logs")], "cannot create the log folder"),
                          (["--log-dir", "/proc/liner-logs"], "--log-dir /proc/liner-logs: cannot create")]:
        r = liner_in_process(["serve", "--port", "9", *args])
        assert r.returncode == 2 and message in r.stderr, r.stderr
        assert "Traceback" not in r.stderr and "http://" not in r.stderr


def test_serve_refuses_an_unknown_llm_mode(liner_in_process):
    r = liner_in_process(["serve", "--llm", "sometimes", "--port", "9"])
    assert r.returncode == 2 and "--llm" in r.stderr and "'auto', 'always' or 'never'" in r.stderr, r.stderr


def test_an_item_without_an_id_is_told_to_send_one_not_to_use_a_cli_flag(service):
    """The service has no ``--map``: its missing-id message named one (T8). It names the keys the
    item has and the one that looks like an id."""
    r = httpx.post(service.base_url + "/v1/enrich", timeout=60,
                   json={"items": [{"track_id": "t1", "title": "A"}, {"id": None, "title": "B"}, ITEMS[0]]})
    records = r.json()["records"]
    assert [(x["id"], (x["error"] or {}).get("kind")) for x in records] == [
        ("line:1", "input.missing_id"), ("line:2", "input.missing_id"), ("svc-1", None)]
    first, second = records[0]["error"]["message"], records[1]["error"]["message"]
    assert "--map" not in first + second
    assert "no key 'id' (keys: track_id, title)" in first and "rename 'track_id' to 'id'" in first
    assert "key 'id' is empty" in second


def test_serve_on_a_port_in_use_is_an_error_line_before_anything_loads(liner_in_process):
    """QA: 'liner serve --port P' with P taken printed 'liner serve: http://127.0.0.1:P/ ...' once
    the model had loaded, then uvicorn's '[Errno 98] error while attempting to bind ...', exit 3."""
    import socket

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        r = liner_in_process(["serve", "--port", str(port), "--llm", "never"])
    assert r.returncode == 2, r.stderr
    assert f"liner serve: error: cannot listen on 127.0.0.1:{port}: Address already in use" in r.stderr, r.stderr
    assert "http://" not in r.stderr and "Traceback" not in r.stderr
