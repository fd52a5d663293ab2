"""Issue 13 item 1 end to end in headless chromium: an item whose audio_path names a planted page
(plus a script that reads /api/session and forges an adjudication) on a --token server. The page
and script are never served from the review origin, so no decision is forged; the same script run
inside the origin (the control) does forge one, so the 404 is what stops it."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import httpx
import pytest

from tests.review.serving import review_server

pytestmark = [pytest.mark.slow, pytest.mark.browser]
TOKEN = "e2e-Token-7fQ2xLp9Wm4RvB8"


def forge(target: str) -> str:
    """The attacker's script: read the CSRF token, then save a decision on ``target`` as 'attacker'."""
    return ("window.__forged = fetch('/api/session').then(r => r.json()).then(s => fetch('/api/adjudicate/"
            + target + "', {method: 'POST', headers: {'X-CSRF-Token': s.csrf_token, 'Content-Type': "
            "'application/json'}, body: JSON.stringify({annotator: 'attacker', action: 'edit', version: 0, "
            "values: {valence: -1}})})).then(r => r.status);")


@pytest.fixture
def attack_site(tmp_path: Path, repo_root: Path):
    root = tmp_path / "audio"
    root.mkdir()
    (root / "attack.js").write_text(forge("victim"))
    (root / "attack.html").write_text('<!doctype html><title>x</title><script src="/audio/attack-js"></script>')
    (root / "attack.svg").write_text('<svg xmlns="http://www.w3.org/2000/svg"><script href="/audio/attack-js"/></svg>')
    (root / "disguised.mp3").write_text('<!doctype html><script src="/audio/attack-js"></script>')
    shutil.copy(repo_root / "examples/audio/slow-rain-90bpm.flac", root / "song.flac")
    items = {"attack-html": "attack.html", "attack-js": "attack.js", "attack-svg": "attack.svg",
             "disguised": "disguised.mp3", "song": "song.flac", "victim": None, "control": None, "..": None,
             "abc\u202egpj.exe": None}
    gold = tmp_path / "gold.jsonl"
    gold.write_text("".join(json.dumps({"id": k, "text": f"item {k}", "ratings": [-4, 4, -4, 4], "mean": 0.0,
                                        **({"audio_path": v} if v else {})}) + "\n" for k, v in items.items()))
    store = tmp_path / "review.sqlite"
    from linernotes.review.build import build_store

    build_store(store, gold=gold, audio_root=root)
    with review_server(store, tmp_path / "serve.log", "--token", TOKEN, "--audio-root", str(root)) as base:
        yield base


def history(base: str, item: str) -> list[dict]:
    r = httpx.get(f"{base}/api/items/{item}", headers={"X-Review-Token": TOKEN}, timeout=10)
    assert r.status_code == 200
    return r.json()["history"]


def test_planted_page_cannot_forge_a_decision_in_a_real_browser(attack_site, chromium):
    from playwright.sync_api import sync_playwright

    base = attack_site
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(chromium), args=[
            "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
            "--disable-component-update", "--disable-sync"])
        try:
            page = browser.new_page()
            assert page.goto(f"{base}/login?token={TOKEN}").status == 200  # signed in, at the queue
            assert "Review queue" in page.content()
            # item 13 in the browser: the id '..' opens from its queue link; an RLO in an id is shown
            page.locator("#queue a", has_text="..").first.click()
            page.wait_for_url(f"{base}/item?id=..")
            assert page.locator("#item-id").inner_text() == ".."
            page.goto(f"{base}/")
            assert "abc[U+202E]gpj.exe" in page.locator("#queue").inner_text()
            seen: list[tuple[str, int, str]] = []
            page.on("response", lambda r: seen.append((r.url, r.status, r.headers.get("content-type", ""))))
            for item in ("attack-html", "attack-svg", "disguised"):
                resp = page.goto(f"{base}/audio/{item}")
                assert resp.status == 404 and resp.headers["content-type"].startswith("text/plain")
                assert resp.headers["x-content-type-options"] == "nosniff"
                page.wait_for_timeout(500)  # time for a script, had one run, to post its decision
                assert page.evaluate("typeof window.__forged") == "undefined"
            assert not any("/api/" in url for url, _, _ in seen)  # the page never reached the API
            assert history(base, "victim") == []
            # real audio still plays from the same route
            song = page.goto(f"{base}/audio/song")
            assert song.status == 200 and song.headers["content-type"] == "audio/flac"
            # control: the very same script, run inside the review origin, does forge a decision
            page.goto(f"{base}/")
            status = page.evaluate(forge("control").replace("window.__forged = ", ""))
            assert status == 200 and history(base, "control")[0]["annotator"] == "attacker"
            assert history(base, "victim") == []
        finally:
            browser.close()
