"""``GET /healthz`` tells a load balancer when the model endpoint is failing (QA: it said "ok"
while every item came back ``llm.connection``). Real enricher, real HTTP client stack, against the
FaultServer TEST DOUBLE: a ``FAULT:503`` title makes the endpoint answer 503 for that item."""

from __future__ import annotations

from fastapi.testclient import TestClient

from linernotes.service.app import ServiceOptions, create_app
from linernotes.service.metrics import DEGRADED_AFTER
from linernotes.testing.fault_server import FaultServer
from tests.service.conftest import stub_config


def _item(n: int, fault: bool) -> dict:
    return {"id": f"h{n}", "title": ("FAULT:503 " if fault else "") + f"Night Drive {n}", "description": "synthwave"}


def test_healthz_is_degraded_after_items_fail_in_a_row_on_the_endpoint_and_ready_again_after_an_answer() -> None:
    with FaultServer() as srv, TestClient(create_app(stub_config(srv.base_url), ServiceOptions()),
                                          base_url="http://127.0.0.1") as client:
        assert client.get("/healthz").json()["status"] == "ok"
        for n in range(DEGRADED_AFTER - 1):  # below the run that counts as down: still ready
            rec = client.post("/v1/enrich", json={"item": _item(n, fault=True)}).json()["records"][0]
            assert rec["error"]["kind"] == "llm.server_error"
        h = client.get("/healthz")
        assert h.status_code == 200 and h.json()["llm_failures_in_a_row"] == DEGRADED_AFTER - 1

        client.post("/v1/enrich", json={"item": _item(99, fault=True)})
        h = client.get("/healthz")
        assert h.status_code == 503, h.json()
        assert h.json()["status"] == "degraded" and h.json()["last_error"].startswith("llm.server_error")

        rec = client.post("/v1/enrich", json={"item": _item(100, fault=False)}).json()["records"][0]
        assert rec["status"] == "ok"
        h = client.get("/healthz")
    assert h.status_code == 200 and (h.json()["status"], h.json()["llm_failures_in_a_row"]) == ("ok", 0)


def test_an_item_that_fails_on_its_own_does_not_count_against_the_endpoint() -> None:
    """A bad item (its own input error) is not the model's fault and leaves the count alone."""
    with FaultServer() as srv, TestClient(create_app(stub_config(srv.base_url), ServiceOptions()),
                                          base_url="http://127.0.0.1") as client:
        client.post("/v1/enrich", json={"item": _item(1, fault=True)})
        client.post("/v1/enrich", json={"items": [{"id": "x", "year": "soon"}] * 1 + [{"title": "no id"}]})
        assert client.get("/healthz").json()["llm_failures_in_a_row"] == 1


class BusyTools:
    """TEST DOUBLE enricher: each item holds the loop it runs on for ``busy_s`` of blocking work, as
    the graph's inline text tools do on a large item (QA: 1 MB of extra-column text, 12 s)."""

    runtime = None

    def __init__(self, busy_s: float) -> None:
        self.busy_s = busy_s

    async def enrich(self, row):
        import time

        from linernotes.schema import OutputRecord

        time.sleep(self.busy_s)  # blocking on purpose: the work an inline tool does
        return OutputRecord(id=row.item.id, status="error", error={"kind": "test.busy", "message": "done"})

    def close(self) -> None:
        pass


def test_healthz_answers_while_an_item_is_being_worked_on() -> None:
    """QA: the graph ran on the serving loop, so /healthz (and every other request) waited for the
    item: 11.9 s for one item with 1 MB of text in extra columns."""
    import threading
    import time

    import httpx

    from linernotes.config import TagConfig
    from linernotes.service.server import BackgroundService

    with BackgroundService(create_app(TagConfig(), ServiceOptions(), enricher=BusyTools(3.0))) as svc:
        done: list[httpx.Response] = []
        item = threading.Thread(target=lambda: done.append(
            httpx.post(svc.base_url + "/v1/enrich", json={"item": {"id": "big"}}, timeout=60)))
        item.start()
        time.sleep(0.5)  # the item is being worked on
        t = time.monotonic()
        probe = httpx.get(svc.base_url + "/healthz", timeout=60)
        waited = time.monotonic() - t
        item.join(60)
    assert probe.status_code == 200 and waited < 1.0, waited
    assert done and done[0].json()["records"][0]["error"]["kind"] == "test.busy"


def test_healthz_answers_head_as_get_without_a_body() -> None:
    """QA: 'HEAD /healthz' was 405 Method Not Allowed, so an uptime check that probes with HEAD
    (the default of several) saw a healthy service as down. GET and HEAD now share the answer."""
    from linernotes.config import TagConfig
    from tests.service.test_request_guards import Echo

    with TestClient(create_app(TagConfig(), ServiceOptions(), enricher=Echo()), base_url="http://127.0.0.1") as client:
        get, head = client.get("/healthz"), client.head("/healthz")
    assert get.status_code == head.status_code == 200
    assert head.content == b"" and head.headers["content-type"] == get.headers["content-type"]
