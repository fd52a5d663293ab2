"""An item whose extra keys hold more text than the limit is told to send fewer of them, not to use
``liner tag``'s ``--drop`` / ``--no-extra`` (the service has neither). QA newuser23: ``POST /v1/enrich``
with a 200,000-word ``tags`` list answered "... leave them out with --drop or --no-extra", as the
missing-id message once named ``--map`` (T8). A catalog row keeps the CLI's remedy."""

from __future__ import annotations

import json
from pathlib import Path

import httpx
import pytest

from linernotes.service.app import ServiceOptions, create_app
from linernotes.service.server import BackgroundService
from linernotes.store.catalog import read_catalog
from linernotes.testing.openai_stub import StubServer

from .conftest import stub_config

BIG = {"id": "big", "title": "A", "tags": ["word"] * 30_000}  # 179,998 characters of extra text (joined)


@pytest.fixture(scope="module")
def service():
    with StubServer(latency_ms=0) as stub:
        app = create_app(stub_config(stub.base_url), ServiceOptions(concurrency=2, max_queue=4))
        with BackgroundService(app) as svc:
            yield svc


def test_a_request_item_is_told_to_send_fewer_extra_keys(service) -> None:
    r = httpx.post(service.base_url + "/v1/enrich", json={"item": BIG}, timeout=60)
    [rec] = r.json()["records"]
    message = rec["error"]["message"]
    assert rec["error"]["kind"] == "input.invalid" and "179,998 characters" in message, message
    assert "--drop" not in message and "--no-extra" not in message, message
    assert "send fewer extra keys" in message, message


def test_a_catalog_row_keeps_the_cli_remedy(tmp_path: Path) -> None:
    catalog = tmp_path / "c.jsonl"
    catalog.write_text(json.dumps(BIG) + "\n")
    [row] = list(read_catalog(catalog))
    assert "leave them out with --drop or --no-extra" in row.error.message
