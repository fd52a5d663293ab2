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
