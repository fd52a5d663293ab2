"""Every typed audio failure, on real files made in the test: the error names the file and why."""

from __future__ import annotations

import os
import struct
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from linernotes.tools.audio.errors import (
    AudioCorrupt,
    AudioEmpty,
    AudioError,
    AudioMissing,
    AudioOutsideRoot,
    AudioSilent,
    AudioTooLong,
    AudioUnreadable,
)
from linernotes.tools.audio.features import analyze
from linernotes.tools.audio.testsignals import SR, clicks


@pytest.fixture
def good(tmp_path: Path) -> Path:
    p = tmp_path / "root" / "good.wav"
    p.parent.mkdir()
    sf.write(p, clicks(120, 3), SR)
    return p


def _raises(kind: type[AudioError], path: Path | str, **kw) -> AudioError:
    with pytest.raises(kind) as info:
        analyze(path, **kw)
    err = info.value
    assert err.kind == kind.kind and str(path) in str(err)
    return err


def test_missing(tmp_path: Path) -> None:
    _raises(AudioMissing, tmp_path / "nope.flac")


def test_outside_root_relative_escape(good: Path) -> None:
    err = _raises(AudioOutsideRoot, "../../etc/passwd", allowed_root=good.parent)
    assert "outside the allowed root" in err.reason
    # the service sends this message to HTTP clients: the server's folders stay out of it
    assert str(good.parent.resolve()) not in str(err) and "/etc/passwd" in str(err)


def test_outside_root_absolute(good: Path, tmp_path: Path) -> None:
    other = tmp_path / "elsewhere.wav"
    sf.write(other, clicks(120, 3), SR)
    err = _raises(AudioOutsideRoot, other, allowed_root=good.parent)
    assert str(good.parent.resolve()) not in err.reason and err.reason.count("..") == 1


def test_outside_root_symlink_escape(good: Path, tmp_path: Path) -> None:
    outside = tmp_path / "secret.wav"
    sf.write(outside, clicks(120, 3), SR)
    link = good.parent / "innocent.wav"
    link.symlink_to(outside)
    _raises(AudioOutsideRoot, link, allowed_root=good.parent)


def test_inside_root_is_fine_relative_and_absolute(good: Path) -> None:
    assert analyze("good.wav", allowed_root=good.parent).duration_s == pytest.approx(3.0)
    assert analyze(good, allowed_root=good.parent).duration_s == pytest.approx(3.0)


def test_unreadable_directory(tmp_path: Path) -> None:
    (tmp_path / "album.wav").mkdir()
    err = _raises(AudioUnreadable, tmp_path / "album.wav")
    assert "directory" in err.reason


def test_unreadable_fifo_does_not_block(tmp_path: Path) -> None:
    fifo = tmp_path / "stream.wav"
    os.mkfifo(fifo)
    _raises(AudioUnreadable, fifo)


@pytest.mark.parametrize("content", [b"RIFF\x00\x00\x00\x00WAVEjunk" * 20, b"not audio at all" * 100,
                                     np.random.default_rng(0).bytes(5000)])
def test_corrupt(tmp_path: Path, content: bytes) -> None:
    p = tmp_path / "bad.wav"
    p.write_bytes(content)
    _raises(AudioCorrupt, p)


def test_corrupt_mp3(tmp_path: Path) -> None:
    p = tmp_path / "bad.mp3"
    p.write_bytes(np.random.default_rng(1).bytes(5000))
    _raises(AudioCorrupt, p)


def test_corrupt_non_finite_samples(tmp_path: Path) -> None:
    p = tmp_path / "nan.wav"
    sf.write(p, np.full(3 * SR, np.nan, dtype=np.float32), SR, subtype="FLOAT")
    assert "NaN" in _raises(AudioCorrupt, p).reason


def test_absurd_sample_rate_is_analysed_without_loudness(tmp_path: Path) -> None:
    p = tmp_path / "8hz.wav"
    sf.write(p, np.random.default_rng(0).normal(0, 0.3, 100).astype(np.float32), 8)
    f = analyze(p)
    assert f.duration_s == pytest.approx(12.5) and f.loudness_lufs is None


def test_empty_zero_bytes(tmp_path: Path) -> None:
    p = tmp_path / "zero.flac"
    p.touch()
    assert "0 bytes" in _raises(AudioEmpty, p).reason


def test_empty_zero_frames(tmp_path: Path) -> None:
    p = tmp_path / "noframes.wav"
    sf.write(p, np.zeros(0, dtype=np.float32), SR)
    assert p.stat().st_size > 0
    _raises(AudioEmpty, p)


def test_silent_digital_zero(tmp_path: Path) -> None:
    p = tmp_path / "zeros.wav"
    sf.write(p, np.zeros(5 * SR, dtype=np.float32), SR)
    _raises(AudioSilent, p)


def test_silent_below_floor_but_not_zero(tmp_path: Path) -> None:
    p = tmp_path / "hiss.wav"
    sf.write(p, np.random.default_rng(0).normal(0, 10 ** (-75 / 20), 5 * SR).astype(np.float32), SR, subtype="FLOAT")
    _raises(AudioSilent, p)


def test_quiet_but_audible_is_not_silent(tmp_path: Path) -> None:
    p = tmp_path / "quiet.wav"
    sf.write(p, clicks(120, 5) * 0.05, SR, subtype="FLOAT")
    assert analyze(p).rms_dbfs < -40


def test_too_long_real_file(tmp_path: Path) -> None:
    """50,000 frames at 1 Hz is a genuine 13.9 h file of 100 kB: over the 12 h cap."""
    p = tmp_path / "long.wav"
    sf.write(p, np.full(50_000, 0.1, dtype=np.float32), 1, subtype="PCM_16")
    assert "13.9 h" in _raises(AudioTooLong, p).reason


def test_too_long_cap_is_a_parameter(good: Path) -> None:
    _raises(AudioTooLong, good, max_duration_s=2.0)


def test_header_lying_about_length_is_clamped_to_the_data(tmp_path: Path) -> None:
    """A WAV header claiming 4 GB of data over 3 s of audio is read for what it holds."""
    p = tmp_path / "liar.wav"
    sf.write(p, clicks(120, 3), SR, subtype="PCM_16")
    b = bytearray(p.read_bytes())
    i = b.find(b"data")
    b[i + 4:i + 8] = struct.pack("<I", 0xFFFFFFF0)
    p.write_bytes(bytes(b))
    assert analyze(p).duration_s == pytest.approx(3.0, abs=0.01)


def test_bad_max_seconds_is_a_value_error(good: Path) -> None:
    with pytest.raises(ValueError, match="max_seconds"):
        analyze(good, max_seconds=0)


@pytest.mark.parametrize("scale", [1e30, 32767.0])
def test_corrupt_samples_far_over_full_scale(tmp_path: Path, scale: float) -> None:
    """QA session 24: a float WAV of clicks times 1e30 was analysed as 583.54 LUFS with a NaN
    centroid and an infinite rms_dbfs (the float32 spectrum overflowed); integer sample values
    written as float (peak 32767 = +90 dBFS) as +54 LUFS. Both are refused, saying how far over."""
    p = tmp_path / "unscaled.wav"
    sf.write(p, (clicks(120, 3) * scale).astype(np.float32), SR, subtype="FLOAT")
    reason = _raises(AudioCorrupt, p).reason
    assert "dBFS" in reason and "full scale is 1.0" in reason


def test_float_over_full_scale_but_plausible_is_analysed(tmp_path: Path) -> None:
    p = tmp_path / "hot.wav"
    y = clicks(120, 5)
    sf.write(p, (y * 2.0 / np.abs(y).max()).astype(np.float32), SR, subtype="FLOAT")  # peak +6 dBFS
    f = analyze(p)
    values = [v for v in f.model_dump().values() if isinstance(v, float)]
    assert f.loudness_lufs is not None and np.isfinite(values).all()


def test_a_constant_offset_is_silence(tmp_path: Path) -> None:
    """QA session 24: a float WAV holding the constant 0.5 (a DC offset, nothing a listener hears)
    was analysed as sound: speech_ratio 1.0, key 'F', -32 LUFS; and silence recorded with an offset
    did not count as leading silence."""
    p = tmp_path / "offset.wav"
    sf.write(p, np.full(5 * SR, 0.5, dtype=np.float32), SR, subtype="FLOAT")
    _raises(AudioSilent, p)
    q = tmp_path / "offset-then-clicks.wav"
    y = np.concatenate([np.zeros(2 * SR, dtype=np.float32), clicks(120, 4)]) + 0.2
    sf.write(q, y.astype(np.float32), SR, subtype="FLOAT")
    assert analyze(q).leading_silence_s == pytest.approx(2.0, abs=0.1)


@pytest.mark.parametrize("seconds", [float("inf"), 1e308])
def test_a_window_longer_than_any_file_reads_the_whole_file(good: Path, seconds: float) -> None:
    """QA session 24: liner tools audio --max-seconds inf (or 1e308) ended in a traceback,
    'OverflowError: cannot convert float infinity to integer'."""
    f = analyze(good, seconds)
    assert f.analysed_s == f.duration_s == pytest.approx(3.0)


def test_a_nan_window_is_refused(good: Path) -> None:
    with pytest.raises(ValueError, match="max_seconds must be > 0, got nan"):
        analyze(good, float("nan"))
