"""Multichannel loudness per ITU-R BS.1770-4 (issue 12, item 2) and channels that cancel in a mono
mix (item 3): each channel K-weighted and weighted by its loudspeaker, LFE excluded; silence and
every feature read something that cannot cancel."""

from __future__ import annotations

import struct
from pathlib import Path

import numpy as np
import pyloudnorm
import pytest
import soundfile as sf

from linernotes.tools.audio.channels import bs1770_weights, channel_layout, wav_channel_mask
from linernotes.tools.audio.decode import analysis_weights
from linernotes.tools.audio.features import analyze
from linernotes.tools.audio.testsignals import chords, clicks, tone

SR = 48000
MAIN_FIVE = [0, 1, 2, 4, 5]  # L R C Ls Rs of an L R C LFE Ls Rs file: pyloudnorm's five weighted channels


def _six(where: int, seconds: float = 10.0, amp: float = 0.1) -> np.ndarray:
    y = np.zeros((int(seconds * SR), 6), dtype=np.float32)
    y[:, where] = tone(1000.0, seconds, amp, SR)
    return y


def _reference(y: np.ndarray) -> float:
    return pyloudnorm.Meter(SR).integrated_loudness(y[:, MAIN_FIVE].astype(np.float64))


def _set_mask(path: Path, mask: int) -> None:
    """Overwrite dwChannelMask of a WAVE_FORMAT_EXTENSIBLE file written by libsndfile."""
    raw = bytearray(path.read_bytes())
    pos = raw.index(b"fmt ")
    assert struct.unpack_from("<H", raw, pos + 8)[0] == 0xFFFE
    struct.pack_into("<I", raw, pos + 8 + 20, mask)
    path.write_bytes(bytes(raw))


def test_centre_only_51_reads_like_bs1770_on_the_five_main_channels(tmp_path: Path) -> None:
    """The reported case: 1 kHz in C of an L R C LFE Ls Rs WAV read -38.61 (mono average); -23.05."""
    y = _six(2)
    p = tmp_path / "centre.wav"
    sf.write(p, y, SR, subtype="FLOAT")
    f = analyze(p)
    assert f.channels == 6
    assert f.loudness_lufs == pytest.approx(-23.05, abs=0.05)
    assert f.loudness_lufs == pytest.approx(_reference(y), abs=0.02)


@pytest.mark.parametrize(("where", "offset_db"), [(0, 0.0), (1, 0.0), (4, 1.49), (5, 1.49)])
def test_each_main_channel_has_its_bs1770_weight(tmp_path: Path, where: int, offset_db: float) -> None:
    """Made up, same kind: the same tone in a front channel reads as in C; in a surround +1.5 dB."""
    y = _six(where)
    p = tmp_path / "one.wav"
    sf.write(p, y, SR, subtype="FLOAT")
    f = analyze(p)
    assert f.loudness_lufs == pytest.approx(-23.05 + offset_db, abs=0.05)
    assert f.loudness_lufs == pytest.approx(_reference(y), abs=0.02)


def test_lfe_is_excluded(tmp_path: Path) -> None:
    """Made up: a loud tone in the LFE only has no BS.1770 loudness (not silence either)."""
    lfe = _six(3, amp=0.5)
    p = tmp_path / "lfe.wav"
    sf.write(p, lfe, SR, subtype="FLOAT")
    f = analyze(p)
    assert f.loudness_lufs is None and f.rms_dbfs > -20
    both = lfe + _six(2)
    sf.write(p, both, SR, subtype="FLOAT")
    assert analyze(p).loudness_lufs == pytest.approx(-23.05, abs=0.05)  # LFE adds nothing to C


def test_wav_channel_mask_decides_the_layout(tmp_path: Path) -> None:
    """Made up: the same 4-channel audio, tone in channel 4. Without a mask the default order makes it
    Rs (x1.41); a WAVE_FORMAT_EXTENSIBLE mask 0x0F (FL FR FC LFE, a 3.1 layout) makes it the LFE."""
    y = np.zeros((10 * SR, 4), dtype=np.float32)
    y[:, 0] = tone(1000.0, 10, 0.1, SR)
    y[:, 3] = tone(1000.0, 10, 0.1, SR)
    plain, masked = tmp_path / "quad.wav", tmp_path / "three-one.wav"
    sf.write(plain, y, SR, subtype="FLOAT")
    sf.write(masked, y, SR, format="WAVEX", subtype="FLOAT")
    _set_mask(masked, 0x0F)
    assert wav_channel_mask(plain) is None and wav_channel_mask(masked) == 0x0F
    assert channel_layout(masked, 4, "WAVEX") == ("FL", "FR", "FC", "LFE")
    alone = -23.05  # the tone in one front channel
    assert analyze(plain).loudness_lufs == pytest.approx(alone + 10 * np.log10(1 + 1.41), abs=0.05)
    assert analyze(masked).loudness_lufs == pytest.approx(alone, abs=0.05)


def test_71_mask_weights_the_side_pair_as_surrounds(tmp_path: Path) -> None:
    """7.1 (mask 0x63F: FL FR FC LFE BL BR SL SR): SL/SR are the surrounds (x1.41), BL/BR weigh 1.0."""
    y = np.zeros((10 * SR, 8), dtype=np.float32)
    p = tmp_path / "71.wav"
    for ch, expected in ((4, -23.05), (6, -23.05 + 1.49)):
        y[:] = 0
        y[:, ch] = tone(1000.0, 10, 0.1, SR)
        sf.write(p, y, SR, format="WAVEX", subtype="FLOAT")
        _set_mask(p, 0x63F)
        assert analyze(p).loudness_lufs == pytest.approx(expected, abs=0.05), ch


def test_ogg_uses_the_vorbis_channel_order(tmp_path: Path) -> None:
    """Vorbis I 4.3.9: 5.1 is L C R Ls Rs LFE, so channel 2 is C and channel 6 the LFE."""
    y = np.zeros((10 * SR, 6), dtype=np.float32)
    y[:, 1] = tone(1000.0, 10, 0.1, SR)
    p = tmp_path / "centre.ogg"
    sf.write(p, y, SR, format="OGG")
    assert channel_layout(p, 6, "OGG") == ("FL", "FC", "FR", "BL", "BR", "LFE")
    assert analyze(p).loudness_lufs == pytest.approx(-23.05, abs=0.2)  # lossy codec: a little slack
    y[:, 1], y[:, 5] = 0, tone(1000.0, 10, 0.5, SR)
    sf.write(p, y, SR, format="OGG")
    assert analyze(p).loudness_lufs is None


def test_layout_tables() -> None:
    assert list(bs1770_weights(("FL", "FR", "FC", "LFE", "BL", "BR"), 6)) == [1.0, 1.0, 1.0, 0.0, 1.41, 1.41]
    assert list(bs1770_weights(None, 3)) == [1.0, 1.0, 1.0]
    assert channel_layout(Path("x.flac"), 2, "FLAC") == ("FL", "FR")
    assert channel_layout(Path("x.flac"), 12, "FLAC") is None


# --- item 3: channels that cancel in a mono mix -------------------------------------------------

def _pair(tmp_path: Path, name: str, left: np.ndarray, right: np.ndarray, sr: int = 44100) -> Path:
    p = tmp_path / name
    sf.write(p, np.stack([left, right], axis=1), sr, subtype="FLOAT")
    return p


def test_inverted_right_channel_reads_like_the_file_in_phase(tmp_path: Path) -> None:
    """The reported case: clicks at -6 dBFS, 100 BPM, right = -left, was rejected as audio.silent."""
    c = clicks(100, 20, sr=44100)
    inverted = analyze(_pair(tmp_path, "inv.wav", c, -c))
    in_phase = analyze(_pair(tmp_path, "in.wav", c, c))
    assert inverted.tempo_bpm == pytest.approx(100, rel=0.02)
    assert in_phase.loudness_lufs is not None
    assert inverted.loudness_lufs == pytest.approx(in_phase.loudness_lufs, abs=0.01)
    for field in ("tempo_bpm", "rms_dbfs", "onset_rate", "spectral_centroid_hz", "leading_silence_s"):
        assert getattr(inverted, field) == pytest.approx(getattr(in_phase, field), rel=0.01, abs=0.01), field


def test_inverted_chords_keep_their_key_and_centroid(tmp_path: Path) -> None:
    """Made up, same kind: a chord progression with the right channel inverted and 10% quieter."""
    y = np.tile(chords([("A", "minor"), ("D", "minor"), ("E", "major"), ("A", "minor")]), 3)
    inverted = analyze(_pair(tmp_path, "inv.wav", y, -0.9 * y, sr=22050))
    in_phase = analyze(_pair(tmp_path, "in.wav", y, 0.9 * y, sr=22050))
    assert (inverted.key, inverted.mode) == ("A", "minor") == (in_phase.key, in_phase.mode)
    assert inverted.spectral_centroid_hz == pytest.approx(in_phase.spectral_centroid_hz, rel=0.01)
    assert inverted.rms_dbfs == pytest.approx(in_phase.rms_dbfs, abs=0.1)


def test_edge_silence_is_measured_per_channel_beyond_the_window(tmp_path: Path) -> None:
    """Made up: 2 s of silence, then inverted clicks, in a file longer than the analysed window, so
    leading/trailing silence come from the separately read edges."""
    c = np.concatenate([np.zeros(2 * 44100, np.float32), clicks(120, 80, sr=44100, offset_s=0.0)])
    f = analyze(_pair(tmp_path, "long.wav", c, -c), max_seconds=20)
    assert f.analysed_s == pytest.approx(20, abs=0.01)
    assert f.leading_silence_s == pytest.approx(2.0, abs=0.06)
    assert f.tempo_bpm == pytest.approx(120, rel=0.02)


def test_analysis_mix_weights() -> None:
    x = np.random.default_rng(0).normal(size=(1000, 1)).astype(np.float32)
    assert analysis_weights(np.hstack([x, x])) == pytest.approx([0.5, 0.5], abs=1e-4)  # the plain average
    assert analysis_weights(np.hstack([x, -x])) == pytest.approx([0.5, -0.5], abs=1e-4)  # the side signal
    w = analysis_weights(np.hstack([x, -x, 0.5 * x]))
    assert np.abs(np.hstack([x, -x, 0.5 * x]) @ w).mean() >= np.abs(x).mean() / 3
