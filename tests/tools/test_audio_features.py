"""Features against synthetic signals whose truth is known by construction."""

from __future__ import annotations

import tracemalloc
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from linernotes.tools.audio.features import analyze
from linernotes.tools.audio.testsignals import SR, chords, clicks, drum_loop, ebu_sine, speech_like, tone


def write(tmp_path: Path, name: str, y: np.ndarray, sr: int = SR, **kw) -> Path:
    p = tmp_path / name
    sf.write(p, y, sr, **kw)
    return p


@pytest.mark.parametrize("bpm", [72.0, 100.0, 120.0, 137.0])
def test_click_track_tempo_exact(tmp_path: Path, bpm: float) -> None:
    f = analyze(write(tmp_path, "click.wav", clicks(bpm, 20)))
    assert f.tempo_bpm == pytest.approx(bpm, rel=0.01)
    # confidence is periodicity x (1 - octave ambiguity): a plain click at 72 still leaves 144 a
    # plausible reading under the 120 BPM prior (measured 0.28 at 72, 0.47-0.72 at 100-137)
    assert f.tempo_confidence > 0.25 and f.beat_regularity > 0.95
    assert f.onset_rate == pytest.approx(bpm / 60, rel=0.05)


def test_drum_loop_tempo_exact_at_150(tmp_path: Path) -> None:
    assert analyze(write(tmp_path, "loop.wav", drum_loop(150, 20))).tempo_bpm == pytest.approx(150, rel=0.01)


def test_fast_loop_reads_its_own_tempo_not_its_half(tmp_path: Path) -> None:
    """At 174 BPM the 120 BPM prior used to pick the half tempo (87). Kicks on every 174 BPM beat
    have no Fourier component at 87 BPM, so that reading has no evidence now."""
    est = analyze(write(tmp_path, "dnb.wav", drum_loop(174, 20))).tempo_bpm
    assert est == pytest.approx(174, rel=0.01)


def test_tempo_change_lowers_regularity(tmp_path: Path) -> None:
    steady = analyze(write(tmp_path, "steady.wav", clicks(90, 20))).beat_regularity
    changing = analyze(write(tmp_path, "change.wav", np.concatenate([clicks(90, 10), clicks(137, 10)]))).beat_regularity
    assert steady > 0.95 and changing < 0.8


def test_noise_has_no_tempo(tmp_path: Path) -> None:
    f = analyze(write(tmp_path, "noise.wav", np.random.default_rng(0).normal(0, 0.1, 20 * SR).astype(np.float32)))
    assert f.tempo_bpm is None and f.tempo_confidence < 0.1


@pytest.mark.parametrize(("progression", "key", "mode"), [
    ([("C", "major"), ("F", "major"), ("G", "major"), ("C", "major")], "C", "major"),
    ([("F#", "major"), ("B", "major"), ("C#", "major"), ("F#", "major")], "F#", "major"),
    ([("A", "minor"), ("D", "minor"), ("E", "major"), ("A", "minor")], "A", "minor"),
    ([("D", "minor"), ("G", "minor"), ("A", "major"), ("D", "minor")], "D", "minor"),
])
def test_chord_progression_key(tmp_path: Path, progression, key: str, mode: str) -> None:
    f = analyze(write(tmp_path, "chords.wav", np.tile(chords(progression), 3)))
    assert (f.key, f.mode) == (key, mode)
    assert f.key_confidence > 0.6


def test_mono_sine_at_minus_23_lufs(tmp_path: Path) -> None:
    """BS.1770: a mono 1 kHz sine reads 20*log10(A) - 3.01 LUFS, so A = -20 dBFS gives -23 LUFS."""
    a = np.sqrt(2) * 10 ** (-23 / 20)
    f = analyze(write(tmp_path, "ref.wav", tone(1000, 10, a), subtype="FLOAT"))
    assert f.loudness_lufs == pytest.approx(-23.0, abs=0.5)
    assert f.rms == pytest.approx(a / np.sqrt(2), rel=0.01)
    assert f.spectral_centroid_hz == pytest.approx(1000, rel=0.03)


def test_ebu_3341_stereo_48k_sine(tmp_path: Path) -> None:
    """EBU Tech 3341 case 1: stereo 1 kHz at -23 dBFS per channel is -23.0 LUFS (channels summed)."""
    f = analyze(write(tmp_path, "ebu.wav", ebu_sine(20, -23.0), sr=48000, subtype="PCM_24"))
    assert (f.sample_rate, f.channels) == (48000, 2)
    assert f.loudness_lufs == pytest.approx(-23.0, abs=0.5)


def test_ebu_3342_loudness_range(tmp_path: Path) -> None:
    """EBU Tech 3342 case 1: 20 s at -20 dBFS then 20 s at -30 dBFS has a loudness range of 10 LU."""
    y = np.concatenate([ebu_sine(20, -20.0), ebu_sine(20, -30.0)])
    f = analyze(write(tmp_path, "lra.wav", y, sr=48000, subtype="PCM_24"))
    assert f.loudness_range_lu == pytest.approx(10.0, abs=1.0)


def test_leading_and_trailing_silence(tmp_path: Path) -> None:
    y = np.concatenate([np.zeros(2 * SR), chords([("C", "major")] * 4), np.zeros(int(1.5 * SR))]).astype(np.float32)
    f = analyze(write(tmp_path, "gaps.wav", y))
    assert f.leading_silence_s == pytest.approx(2.0, abs=0.06)
    assert f.trailing_silence_s == pytest.approx(1.5, abs=0.06)


def test_speech_vs_music(tmp_path: Path) -> None:
    speech = analyze(write(tmp_path, "talk.wav", speech_like(24, seed=3)))
    music = drum_loop(120, 24) + np.tile(chords([("A", "minor"), ("F", "major")], 2.0), 6)
    song = analyze(write(tmp_path, "song.wav", music.astype(np.float32)))
    assert speech.speech_ratio is not None and speech.speech_ratio >= 0.8
    assert song.speech_ratio is not None and song.speech_ratio <= 0.2
    assert speech.tempo_bpm is None


@pytest.mark.parametrize("fmt", ["WAV", "FLAC", "OGG", "MP3"])
def test_every_format_decodes_to_the_same_features(tmp_path: Path, fmt: str) -> None:
    y = np.stack([drum_loop(120, 12, sr=44100), drum_loop(120, 12, sr=44100)], axis=1) * 0.7
    p = write(tmp_path, f"loop.{fmt.lower()}", y, sr=44100, format=fmt)
    f = analyze(p)
    assert f.duration_s == pytest.approx(12.0, abs=0.1)
    assert f.tempo_bpm == pytest.approx(120, rel=0.01)
    assert (f.sample_rate, f.channels) == (44100, 2)


def _marathon(path: Path, hours: int, sr: int = 1000) -> Path:
    """``hours`` of a 220 Hz tone at 1 kHz, 8-bit (3.6 MB per hour), after 3 s of silence."""
    hour = np.tile(np.sin(2 * np.pi * 220 * np.arange(sr) / sr).astype(np.float32) * 0.3, 3600)
    with sf.SoundFile(path, "w", sr, 1, subtype="PCM_U8") as out:
        out.write(np.zeros(3 * sr, dtype=np.float32))
        for _ in range(hours):
            out.write(hour)
    return path


def _peak_bytes(path: Path, max_seconds: float):
    tracemalloc.start()
    try:
        f = analyze(path, max_seconds=max_seconds)
        return f, tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def test_long_file_is_analysed_from_a_middle_window_in_bounded_memory(tmp_path: Path) -> None:
    """A 10-hour file (36 MB on disk, 144 MB decoded): only a 60 s window and two 30 s edges are read,
    so peak memory is the same as for a 1-hour file and far below the decoded size."""
    short, peak_short = _peak_bytes(_marathon(tmp_path / "hour.wav", 1), 60)
    f, peak = _peak_bytes(_marathon(tmp_path / "marathon.wav", 10), 60)
    assert f.duration_s == pytest.approx(10 * 3600 + 3, abs=0.01)
    assert f.analysed_s == pytest.approx(60, abs=0.01)
    assert f.window_start_s == pytest.approx((f.duration_s - 60) / 2, abs=0.01)
    assert f.leading_silence_s == pytest.approx(3.0, abs=0.06) and f.trailing_silence_s < 0.06
    assert peak < 1.1 * peak_short + 1e6, f"10 h peaked at {peak / 1e6:.0f} MB, 1 h at {peak_short / 1e6:.0f} MB"
    assert peak < 0.5 * 10 * 3600 * 1000 * 4, f"peak {peak / 1e6:.0f} MB"


def test_short_clip_reports_what_it_can(tmp_path: Path) -> None:
    f = analyze(write(tmp_path, "blip.wav", tone(440, 1.0, 0.3)))
    assert f.tempo_bpm is None and f.loudness_range_lu is None and f.loudness_lufs is not None


def test_mp3_window_seeks_to_the_middle(tmp_path: Path) -> None:
    """MP3 has no sample index: the window must still come from the middle and keep its beat."""
    p = write(tmp_path, "long.mp3", drum_loop(150, 90), format="MP3")
    f = analyze(p, max_seconds=20)
    assert f.duration_s == pytest.approx(90, abs=0.2)
    assert f.analysed_s == pytest.approx(20, abs=0.01) and f.window_start_s == pytest.approx(35, abs=0.2)
    assert f.tempo_bpm == pytest.approx(150, rel=0.01)


def test_speech_ratio_is_the_share_of_speech_stretches(tmp_path: Path) -> None:
    """A podcast-like file: 8 s of music bed, then 16 s of talk -> two thirds speech."""
    intro = drum_loop(120, 8) + np.tile(chords([("C", "major"), ("G", "major")], 2.0), 2)
    y = np.concatenate([intro, speech_like(16, seed=5)]).astype(np.float32)
    assert analyze(write(tmp_path, "pod.wav", y)).speech_ratio == pytest.approx(2 / 3, abs=0.17)


@pytest.mark.parametrize("samples", [1, int(0.05 * SR), int(0.5 * SR)])
def test_no_key_from_less_than_a_second(tmp_path: Path, samples: int) -> None:
    """QA session 24: a one-sample WAV was 'C# minor' (key_confidence 0.32), 50 ms of a 220 Hz tone
    'A' with a mode; a key needs notes. A second of chords still has one."""
    y = np.tile(chords([("A", "minor"), ("D", "minor"), ("E", "major"), ("A", "minor")]), 3)
    f = analyze(write(tmp_path, "short.wav", y[SR // 4:SR // 4 + samples]))
    assert (f.key, f.mode, f.key_confidence) == (None, None, 0.0)
    assert analyze(write(tmp_path, "second.wav", y[:int(1.2 * SR)])).key is not None
