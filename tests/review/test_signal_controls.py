"""Declared-signal controls for the other kinds (type-ahead multi-select, slider, text box) in a
real chromium, and overlap: an item stays open until K different annotators labelled it."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from linernotes.review.build import build_store
from linernotes.review.store import Adjudication, ReviewStore
from linernotes.signals.spec import load_signals
from tests.review.serving import stop_server
from tests.review.test_browser import free_port, wait_up

SPEC = """\
- name: styles
  kind: multilabel
  labels: [jazz, ambient, techno, folk, "Hip Hop", classical]
  instructions: Every style the text names.
- name: energy
  kind: scalar
  range: [0, 10]
  instructions: 0 calm .. 10 frantic.
- name: hook
  kind: text
  instructions: The catchiest phrase, quoted.
"""


@pytest.fixture
def setup(tmp_path: Path) -> tuple[Path, list]:
    spec = tmp_path / "signals.yaml"
    spec.write_text(SPEC, encoding="utf-8")
    catalog = tmp_path / "catalog.jsonl"
    catalog.write_text("".join(json.dumps({"id": f"i{n}", "title": f"Song {n}", "year": 2001.0,
                                           "description": "smooth jazz meets hip hop, la la la"}) + "\n"
                               for n in range(3)), encoding="utf-8")
    return catalog, load_signals([spec])


def test_overlap_keeps_an_item_open_until_k_annotators_labelled_it(tmp_path: Path, setup) -> None:
    catalog, specs = setup
    store_path = tmp_path / "s.sqlite"
    build_store(store_path, gold=catalog, signals=specs, overlap=2)
    store = ReviewStore(store_path)
    first = store.next_open(annotator="ana")
    st = store.get(first)
    store.adjudicate(first, Adjudication(annotator="ana", action="edit", version=st.version,
                                         values={"styles": ["jazz"], "energy": 3}))
    assert store.get(first).status == "open"  # one of two
    assert store.next_open(annotator="ana") != first  # ana is not shown it again
    assert store.next_open(annotator="ben") == first  # ben is
    st = store.get(first)
    store.adjudicate(first, Adjudication(annotator="ben", action="edit", version=st.version,
                                         values={"styles": ["jazz", "hip hop"], "energy": 4}))
    assert store.get(first).status == "adjudicated"
    decided = store.get(first).decision  # the annotators' consensus: labels half of them gave, the mean
    assert decided["styles"] == ["Hip Hop", "jazz"] and decided["energy"] == pytest.approx(3.5)
    assert store.progress("ana") == {"total": 3, "complete": 1, "mine": 1, "overlap": 2}
    from linernotes.review.agreement import store_agreement

    fields = {f.field: f for f in store_agreement(store).fields}
    assert set(fields) >= {"styles", "energy"}


@pytest.mark.slow
@pytest.mark.browser
def test_multiselect_slider_and_text_controls_in_chromium(tmp_path: Path, setup, chromium: Path) -> None:
    from playwright.sync_api import sync_playwright

    catalog, specs = setup
    store = tmp_path / "s.sqlite"
    build_store(store, gold=catalog, signals=specs)
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    log = (tmp_path / "serve.log").open("w")
    server = subprocess.Popen([sys.executable, "-m", "linernotes.cli.app", "review", "serve", "--store", str(store),
                               "--port", str(port)], stdout=log, stderr=subprocess.STDOUT)
    try:
        wait_up(base, server)
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=str(chromium), args=["--headless", "--no-sandbox"])
            try:
                page = browser.new_page(viewport={"width": 1280, "height": 800})
                page.goto(base + "/")
                page.keyboard.press("j")
                page.keyboard.press("Enter")
                page.wait_for_url(f"{base}/item/**")
                rid = page.locator("#item-id").inner_text()
                page.fill("#annotator", "ctl-annotator")
                page.keyboard.press("Escape")
                page.keyboard.press("f")  # type-ahead over the vocabulary; Enter ticks the first match
                page.keyboard.type("jaz")
                page.keyboard.press("Enter")
                page.keyboard.type("hip")
                page.keyboard.press("Enter")
                page.keyboard.press("Escape")
                page.focus("#value_energy")
                for _ in range(30):
                    page.keyboard.press("ArrowRight")  # 5.0 + 30 steps of 0.1
                page.fill("#value_hook", "la la la")
                page.keyboard.press("Enter")
                page.wait_for_url(lambda url: url.endswith(f"saved={rid}"))
                state = httpx.get(f"{base}/api/items/{rid}").json()
                assert state["decision"]["styles"] == ["Hip Hop", "jazz"]
                assert state["decision"]["energy"] == pytest.approx(8.0)
                assert state["decision"]["hook"] == "la la la"
            finally:
                browser.close()
    finally:
        stop_server(server, log)
