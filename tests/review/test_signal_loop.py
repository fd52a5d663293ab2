"""Issue 15, end to end with no code change: a signal declared in a temporary YAML goes
tag -> review build -> labelled in a real chromium (keyboard only) -> export -> eval -> gate."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from tests.review.serving import stop_server
from tests.review.test_browser import free_port, wait_up

pytestmark = [pytest.mark.slow, pytest.mark.browser]

SPEC = """\
- name: decade
  kind: single_label
  labels: [1970s, 1980s, 1990s]
  applies_to: [track]
  instructions: The decade the recording sounds like.
- name: instrumental
  kind: boolean
  instructions: True when the track has no sung or spoken vocals.
  evidence: [lexicon]
"""
ITEMS = [
    {"id": "t1", "type": "track", "title": "Disco Inferno", "year": 1978,
     "description": "A 1970s disco groove with strings and no vocals."},
    {"id": "t2", "type": "track", "title": "Neon Drive", "year": 1984,
     "description": "Synth pop from 1984 with a sung chorus."},
    {"id": "t3", "type": "track", "title": "Grunge Days", "year": 1993,
     "description": "Loud guitars and a shouted vocal."},
    {"id": "t4", "type": "track", "title": "Ambient Loop", "year": 1979,
     "description": "Instrumental tape loops."},
]
# what the annotator enters per item: (radio key for decade, toggle key)
LABELS = {"t1": ("1", "y"), "t2": ("2", "n"), "t3": ("3", "n"), "t4": ("1", "y")}
DECADES = {"1": "1970s", "2": "1980s", "3": "1990s"}


def test_declared_signal_tag_review_export_eval_gate(liner_in_process, tmp_path: Path, chromium: Path) -> None:
    liner = liner_in_process  # the same commands in this interpreter (the CLI itself is proven elsewhere)
    spec = tmp_path / "signals.yaml"
    spec.write_text(SPEC, encoding="utf-8")
    catalog = tmp_path / "catalog.jsonl"
    catalog.write_text("".join(json.dumps(r) + "\n" for r in ITEMS), encoding="utf-8")

    out = tmp_path / "out.jsonl"
    r = liner(["tag", str(catalog), "-o", str(out), "--signals", str(spec), "--llm", "never", "--no-progress"])
    assert r.returncode in (0, 3), r.stderr
    records = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert len(records) == 4
    for rec in records:
        sig = rec["enrichment"]["signals"]
        assert set(sig) == {"decade", "instrumental"}
        assert len(sig["decade"]["provenance"]["spec_hash"]) == 16

    store = tmp_path / "review.sqlite"
    r = liner(["review", "build", "-o", str(store), "--gold", str(catalog), "--run", str(out), "--signals", str(spec)])
    assert r.returncode == 0, r.stderr
    assert "queued 4 of 4" in r.stdout

    labelled = label_in_browser(store, tmp_path, chromium)
    assert labelled == set(LABELS)

    gold_dir = tmp_path / "gold"
    r = liner(["review", "export", "-o", str(gold_dir), "--store", str(store)])
    assert r.returncode == 0, r.stderr
    from datasets import load_from_disk

    rows = {row["id"]: row for row in load_from_disk(str(gold_dir / "v1"))}
    for rid, (radio, toggle) in LABELS.items():
        assert rows[rid]["decade"] == DECADES[radio]
        assert rows[rid]["instrumental"] == ("true" if toggle == "y" else "false")
    prov = json.loads((gold_dir / "v1" / "provenance.json").read_text(encoding="utf-8"))
    assert {c["annotator"] for c in prov["changes"]} == {"signal-annotator"}

    gold_spec = tmp_path / "gold.yaml"
    gold_spec.write_text(f"""\
name: signal-gold
data: {gold_dir / 'v1'}
inputs: {{title: title, description: description, year: year}}
tasks:
  - {{name: decade, kind: single_label, gold_field: decade, signal: decade}}
  - {{name: instrumental, kind: boolean, gold_field: instrumental, signal: instrumental}}
""", encoding="utf-8")
    run = tmp_path / "run.json"
    r = liner(["eval", str(gold_spec), "-o", str(run), "--signals", str(spec), "--llm", "never", "--no-progress",
               "--resamples", "200"])
    assert r.returncode == 0, r.stderr
    metrics = json.loads(run.read_text(encoding="utf-8"))["metrics"]
    assert metrics["decade.accuracy"]["n"] == 4 and metrics["instrumental.accuracy"]["n"] == 4

    rules = tmp_path / "gates.yaml"
    rules.write_text("rules:\n  - metric: decade.accuracy\n    max_drop: 0.05\n"
                     "  - metric: instrumental.accuracy\n    max_drop: 0.05\n", encoding="utf-8")
    r = liner(["gate", str(run), str(run), "--config", str(rules)])
    assert r.returncode == 0, r.stdout + r.stderr


def label_in_browser(store: Path, tmp_path: Path, chromium: Path) -> set[str]:
    """Serve the store and label every item with the keyboard only; returns the labelled ids."""
    from playwright.sync_api import sync_playwright

    port = free_port()
    base = f"http://127.0.0.1:{port}"
    log = (tmp_path / "serve.log").open("w")
    server = subprocess.Popen([sys.executable, "-m", "linernotes.cli.app", "review", "serve", "--store", str(store),
                               "--port", str(port)], stdout=log, stderr=subprocess.STDOUT)
    done: set[str] = set()
    try:
        wait_up(base, server)
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=str(chromium), args=[
                "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"])
            try:
                page = browser.new_page(viewport={"width": 1280, "height": 800})
                page.goto(base + "/")
                page.keyboard.press("j")
                page.keyboard.press("Enter")
                page.wait_for_url(f"{base}/item/**")
                # the guideline sits beside the controls, both above the fold
                assert "The decade the recording sounds like." in page.locator("#guideline").inner_text()
                box = page.locator("#save").bounding_box()
                assert box is not None and box["y"] + box["height"] <= 800
                assert page.locator('fieldset[data-control="radio"] input[type="radio"]').count() == 3
                assert page.locator('fieldset[data-control="toggle"] button.choice').count() == 2
                page.fill("#annotator", "signal-annotator")
                page.keyboard.press("Escape")
                for n in range(len(LABELS)):
                    rid = page.locator("#item-id").inner_text()
                    assert page.url.endswith(f"/item/{rid}") or f"/item/{rid}?" in page.url  # the URL follows
                    year = page.locator(".field", has_text="year").first.inner_text()
                    assert "." not in year  # years as integers
                    radio, toggle = LABELS[rid]
                    if toggle == "y":  # an evidence span: select text in the content, then x
                        page.locator('pre.content[data-field="description"]').select_text()
                        page.keyboard.press("x")
                        assert "description[" in page.locator("#spantext_instrumental").inner_text()
                    page.keyboard.press(radio)
                    page.keyboard.press(toggle)
                    page.keyboard.press("Enter")
                    page.wait_for_url(lambda url, rid=rid: url.endswith(f"saved={rid}"))
                    done.add(rid)
                    if n < len(LABELS) - 1:
                        assert f"signal-annotator: {n + 1} / 4 labelled" in page.locator("#progress").inner_text()
                state = httpx.get(f"{base}/api/items/t1").json()
                assert state["status"] == "adjudicated"
                assert "instrumental evidence:" in state["history"][-1]["comment"]
            finally:
                browser.close()
    finally:
        stop_server(server, log)
    return done
