"""Issue 13 item 1: /audio serves only audio that decodes, from allowed extensions, with a fixed
audio content type and nosniff; planted pages and scripts, dotfiles and the store itself are 404."""

from __future__ import annotations

import json
import os
import shutil
import wave
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from linernotes.review.build import build_store
from linernotes.review.web.app import Settings, create_app

BASE = "http://127.0.0.1"
ATTACK_HTML = ('<!doctype html><script src="/audio/attack-js"></script>')
ATTACK_JS = ("fetch('/api/session').then(r => r.json()).then(s => fetch('/api/adjudicate/model-off', "
             "{method: 'POST', headers: {'X-CSRF-Token': s.csrf_token, 'Content-Type': 'application/json'}, "
             "body: JSON.stringify({annotator: 'attacker', action: 'edit', version: 0, values: {valence: -1}})}));")


def write_wav(path: Path, frames: int = 2205, rate: int = 22050) -> None:
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(b"\x00\x10" * frames)


@pytest.fixture(scope="module")
def audio_server(tmp_path_factory: pytest.TempPathFactory, repo_root: Path):
    """A store whose items point at real audio and at everything an attacker could plant."""
    tmp_path = tmp_path_factory.mktemp("audio-attack")
    root = tmp_path / "audio"
    (root / ".hidden").mkdir(parents=True)
    shutil.copy(repo_root / "examples/audio/slow-rain-90bpm.flac", root / "song.flac")
    write_wav(root / "tone.wav")
    (root / "attack.html").write_text(ATTACK_HTML)
    (root / "attack.js").write_text(ATTACK_JS)
    (root / "attack.svg").write_text('<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>')
    (root / "page.mp3").write_text(ATTACK_HTML)  # an allowed extension that is not audio
    shutil.copy(repo_root / "examples/audio/slow-rain-90bpm.flac", root / "real-audio.html")  # audio, wrong name
    (root / ".env").write_text("SECRET=1")
    shutil.copy(repo_root / "examples/audio/slow-rain-90bpm.flac", root / ".hidden/song.flac")
    write_wav(root / "empty.wav", frames=0)  # a valid header with no frames
    os.symlink(root / "attack.html", root / "link.wav")
    store = root / "review.sqlite"  # the store itself inside the audio root
    paths = {"song": "song.flac", "tone": "tone.wav", "attack-html": "attack.html", "attack-js": "attack.js",
             "attack-svg": "attack.svg", "page-mp3": "page.mp3", "renamed": "real-audio.html", "dotenv": ".env",
             "dotdir": ".hidden/song.flac", "empty": "empty.wav", "link": "link.wav", "store": "review.sqlite",
             "store-wal": "review.sqlite-wal", "escape": "../gold.jsonl", "absolute": "/etc/passwd",
             "dotdot-inside": "sub/../song.flac"}
    gold = tmp_path / "gold.jsonl"
    gold.write_text("".join(json.dumps({"id": k, "audio_path": v, "ratings": [-4, 4, -4, 4], "mean": 0.0}) + "\n"
                            for k, v in paths.items()) + json.dumps({"id": "model-off", "ratings": [-4, 4, -4, 4],
                                                                     "mean": 0.0}) + "\n")
    build_store(store, gold=gold, audio_root=root)
    with TestClient(create_app(Settings(store=store, audio_root=root)), base_url=BASE) as c:
        yield c


@pytest.mark.parametrize("item,ctype", [("song", "audio/flac"), ("tone", "audio/wav")])
def test_real_audio_is_served_with_a_fixed_type_nosniff_and_no_script(audio_server, item, ctype):
    r = audio_server.get(f"/audio/{item}")
    assert r.status_code == 200 and r.headers["content-type"] == ctype
    assert r.headers["x-content-type-options"] == "nosniff"
    assert "sandbox" in r.headers["content-security-policy"] and "default-src 'none'" in r.headers[
        "content-security-policy"]
    assert r.content[:4] in (b"fLaC", b"RIFF")


@pytest.mark.parametrize("item", ["attack-html", "attack-js", "attack-svg", "page-mp3", "renamed", "dotenv",
                                  "dotdir", "empty", "link", "store", "store-wal", "escape", "absolute",
                                  "dotdot-inside"])
def test_anything_but_decodable_audio_is_404(audio_server, item):
    r = audio_server.get(f"/audio/{item}")
    assert r.status_code == 404 and r.headers["content-type"].startswith("text/plain")
    assert r.text == "no audio"


def test_the_planted_page_cannot_forge_a_decision(audio_server):
    """The issue's attack through the API the page would use: nothing it needs is served."""
    assert audio_server.get("/audio/attack-html").status_code == 404
    assert audio_server.get("/audio/attack-js").status_code == 404
    assert audio_server.get("/api/items/model-off").json()["history"] == []


def test_audio_path_in_another_unicode_normalisation_form_is_found(tmp_path: Path, repo_root: Path):
    """A gold file written on macOS names 'café.flac' in NFD; the file on a Linux disk is NFC (and
    the other way round): the same name, so the audio is served, still only if it decodes."""
    import unicodedata

    root = tmp_path / "audio"
    root.mkdir()
    shutil.copy(repo_root / "examples/audio/slow-rain-90bpm.flac", root / unicodedata.normalize("NFC", "café.flac"))
    shutil.copy(repo_root / "examples/audio/slow-rain-90bpm.flac", root / unicodedata.normalize("NFD", "Ångström.flac"))
    (root / unicodedata.normalize("NFC", "pagé.html")).write_text(ATTACK_HTML)
    paths = {"nfd-for-nfc": unicodedata.normalize("NFD", "café.flac"),
             "nfc-for-nfd": unicodedata.normalize("NFC", "Ångström.flac"),
             "page": unicodedata.normalize("NFD", "pagé.html")}
    gold = tmp_path / "gold.jsonl"
    gold.write_text("".join(json.dumps({"id": k, "audio_path": v, "ratings": [-4, 4], "mean": 0.0}) + "\n"
                            for k, v in paths.items()))
    store = tmp_path / "s.sqlite"
    build_store(store, gold=gold, audio_root=root)
    with TestClient(create_app(Settings(store=store, audio_root=root)), base_url=BASE) as c:
        for item in ("nfd-for-nfc", "nfc-for-nfd"):
            r = c.get(f"/audio/{item}")
            assert r.status_code == 200 and r.headers["content-type"] == "audio/flac", item
        assert c.get("/audio/page").status_code == 404
