"""Hostile audio: corrupt headers, 0-length files, wrong extensions, a header claiming hours, and
paths that escape the allowed root. Each is a typed AudioError naming the file and the reason (or,
for a misnamed but valid file, features); through the CLI the item is still enriched from its text
and routed to review with the audio failure as the reason. Files are generated here."""

from __future__ import annotations

import json
import os
import struct
import tracemalloc
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from linernotes.tools.audio.errors import AudioError
from linernotes.tools.audio.features import analyze


def wav_header(sr: int, frames: int, channels: int = 1, bits: int = 16) -> bytes:
    data = frames * channels * bits // 8
    return (b"RIFF" + struct.pack("<I", 36 + data) + b"WAVE" + b"fmt " + struct.pack("<IHHIIHH", 16, 1, channels, sr,
            sr * channels * bits // 8, channels * bits // 8, bits) + b"data" + struct.pack("<I", data))


@pytest.fixture(scope="module")
def audio(tmp_path_factory, shared_data) -> Path:
    root = tmp_path_factory.mktemp("audio-root")
    outside = tmp_path_factory.mktemp("outside")
    rng = np.random.default_rng(0)
    tone = (0.3 * np.sin(2 * np.pi * 220 * np.arange(22050 * 3) / 22050)).astype(np.float32)
    sf.write(root / "ok.wav", tone, 22050)
    (root / "empty.wav").write_bytes(b"")
    (root / "corrupt-header.wav").write_bytes(b"RIFF\xff\xff\xff\xffWAVEfmt " + bytes(rng.integers(0, 256, 200,
                                                                                                  dtype=np.uint8)))
    (root / "text.wav").write_text("this is not audio at all\n" * 20)
    (root / "truncated.flac").write_bytes((shared_data / "audio" / "lmms-bpm" / "CapDan-ReggaeTry.flac")
                                          .read_bytes()[:300])
    (root / "flac-named.mp3").write_bytes((shared_data / "audio" / "lmms-bpm" / "CapDan-ReggaeTry.flac").read_bytes())
    (root / "a-folder.wav").mkdir()
    # a header claiming 10 hours (sparse file: a few KB on disk) with noise where the window reads
    sr, frames = 8000, 8000 * 3600 * 10
    with open(root / "ten-hours.wav", "wb") as fh:
        fh.write(wav_header(sr, frames))
        mid = 44 + (frames // 2 - sr * 90) * 2
        fh.seek(mid)
        fh.write((rng.normal(0, 3000, sr * 180)).astype("<i2").tobytes())
        fh.truncate(44 + frames * 2)
    with open(root / "twenty-hours.wav", "wb") as fh:  # past the 12 h limit: refused before decoding
        fh.write(wav_header(sr, sr * 3600 * 20))
        fh.truncate(44 + sr * 3600 * 20 * 2)
    (outside / "secret.wav").write_bytes((root / "ok.wav").read_bytes())
    os.symlink(outside / "secret.wav", root / "link-out.wav")
    os.symlink(root / "loop-a.wav", root / "loop-b.wav")
    os.symlink(root / "loop-b.wav", root / "loop-a.wav")
    return root


CASES = {
    "empty.wav": "audio.empty",
    "corrupt-header.wav": "audio.corrupt",
    "text.wav": "audio.corrupt",
    "truncated.flac": "audio.corrupt",
    "a-folder.wav": "audio.unreadable",
    "twenty-hours.wav": "audio.too_long",
    "missing.wav": "audio.missing",
    "../../etc/passwd": "audio.outside_root",
    "/etc/passwd": "audio.outside_root",
    "link-out.wav": "audio.outside_root",
    "loop-a.wav": "audio.unreadable",
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_hostile_audio_is_a_typed_error_naming_file_and_reason(name, audio):
    with pytest.raises(AudioError) as info:
        analyze(name if name.startswith("/") else str(audio / name) if "/" not in name else name, 30.0,
                allowed_root=audio)
    assert info.value.kind == CASES[name]
    assert name.rsplit("/", 1)[-1] in str(info.value) and info.value.reason


def test_a_misnamed_but_valid_file_is_read_by_its_content(audio):
    assert analyze(audio / "flac-named.mp3", 10.0, allowed_root=audio).duration_s > 1


def test_a_header_claiming_ten_hours_is_analysed_in_a_bounded_window(audio):
    tracemalloc.start()
    try:
        feats = analyze(audio / "ten-hours.wav", 60.0, allowed_root=audio)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert feats.duration_s == pytest.approx(36000, rel=1e-6)
    assert feats.analysed_s <= 60.0
    assert peak < 200 * 1024 * 1024, f"decoding a 10 h file peaked at {peak / 2**20:.0f} MB"


@pytest.mark.slow
def test_items_with_hostile_audio_are_still_enriched_and_say_why(audio, tmp_path, forkcli, fault_server, helpers):
    names = [*CASES, "ok.wav", "flac-named.mp3"]
    rows = [{"id": f"a{i}", "title": f"Track {i}", "description": "deep house", "audio_path": n}
            for i, n in enumerate(names)]
    catalog = audio / "catalog.jsonl"
    catalog.write_text("".join(json.dumps(r) + "\n" for r in rows))
    out = tmp_path / "out.jsonl"
    res = forkcli.run(["tag", catalog, "-o", out, "--audio-root", audio, "--max-audio-seconds", "20",
                       *helpers.stub_args(fault_server)], tmp_path, helpers.env(tmp_path))
    assert "Traceback" not in res.stderr and res.rc == 0, res.stderr
    by_path = {names[int(r["id"][1:])]: r for r in helpers.read_output(out)}
    for name, kind in CASES.items():
        rec = by_path[name]
        assert rec["status"] == "ok" and rec["enrichment"]["genres"], "enriched from its text"
        assert rec["enrichment"]["evidence"]["audio_error"]["kind"] == kind
        assert f"audio: {kind}" in rec["enrichment"]["review"]["reasons"]
    assert "audio" in by_path["ok.wav"]["enrichment"]["evidence"]
