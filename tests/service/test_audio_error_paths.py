"""``liner serve``'s answers name a request's audio file as the request wrote it, never by the
server's folders. QA session 24: every audio error a client got back held the absolute path of
``--audio-root`` ('/srv/audio/text.wav: not a readable WAV/FLAC/OGG/MP3 file: Error opening
'/srv/audio/text.wav': ...', '/srv/audio/nope.wav: no such file', even the outside-root refusal
'/srv/audio/../x: resolves outside ...'), though d07bf10 meant the outside-root message to keep
them out: the tagger joined the row's path to its base folder before the tool named it."""

from __future__ import annotations

from pathlib import Path

import httpx
import numpy as np
import soundfile as sf

from linernotes.config import TagConfig
from linernotes.service.app import ServiceOptions, create_app
from linernotes.service.server import BackgroundService


def test_audio_errors_in_answers_hold_the_requests_paths_not_the_servers_folders(tmp_path: Path) -> None:
    root = tmp_path / "server-audio-root"
    root.mkdir()
    (root / "text.wav").write_text("not audio\n" * 20)
    (root / "cut.wav").write_bytes(b"RIFF\x24\x00\x00\x00WAVEfmt ")  # a header cut short
    sf.write(root / "nan.wav", np.full(22050, np.nan, dtype=np.float32), 22050, subtype="FLOAT")
    sf.write(root / "quiet.wav", np.zeros(22050 * 2, dtype=np.float32), 22050)
    (root / "album").mkdir()
    (tmp_path / "outside.wav").write_text("x")
    paths = {"text.wav": "audio.corrupt", "cut.wav": "audio.corrupt", "nan.wav": "audio.corrupt",
             "quiet.wav": "audio.silent", "album": "audio.unreadable", "nope.wav": "audio.missing",
             "../outside.wav": "audio.outside_root"}
    items = [{"id": f"i{n}", "title": "Night Drive", "audio_path": p} for n, p in enumerate(paths)]
    app = create_app(TagConfig(llm_mode="never"), ServiceOptions(concurrency=2, max_queue=8, audio_root=root))
    with BackgroundService(app) as svc:
        answer = httpx.post(svc.base_url + "/v1/enrich", json={"items": items}, timeout=120)
    assert answer.status_code == 200, answer.text
    for item, rec in zip(items, answer.json()["records"], strict=True):
        err = rec["enrichment"]["evidence"]["audio_error"]
        assert err["kind"] == paths[item["audio_path"]], err
        assert err["message"].startswith(item["audio_path"] + ": "), err
        assert str(tmp_path) not in err["message"], err
