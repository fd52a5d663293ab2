"""Helpers for tests that call the review app in process (FastAPI's TestClient): a store built
from gold rows, and an adjudication posted as the browser does (session's CSRF token, the item's
current version)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient

from linernotes.review.build import build_store
from linernotes.review.web.app import Settings, create_app

BASE = "http://127.0.0.1"


@contextmanager
def store_client(tmp: Path, rows: list[dict[str, Any]]) -> Iterator[TestClient]:
    """A TestClient of the app over a store built (``build_store``) from ``rows`` as a JSONL gold
    file in ``tmp``."""
    gold = tmp / "g.jsonl"
    gold.write_text("".join(json.dumps(r) + "\n" for r in rows))
    store = tmp / "s.sqlite"
    build_store(store, gold=gold)
    with TestClient(create_app(Settings(store=store)), base_url=BASE) as c:
        yield c


def adjudicate(c: TestClient, body: dict[str, Any], item: str = "t1") -> Any:
    """POST ``body`` as ``item``'s adjudication, at its current version, with the session's token."""
    token = c.get("/api/session").json()["csrf_token"]
    version = c.get(f"/api/items/{item}").json()["version"]
    return c.post(f"/api/adjudicate/{item}", json={"version": version, **body}, headers={"X-CSRF-Token": token})
