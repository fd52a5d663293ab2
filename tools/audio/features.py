"""Audio features from a bounded window of a file: tempo, key, loudness and friends."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from linernotes.tools.audio.errors import (
    AudioCorrupt,
    AudioEmpty,
    AudioMissing,
    AudioOutsideRoot,
    AudioSilent,
    AudioUnreadable,
)
from pydantic import BaseModel

SR = 22050
KEYS = ["C", "C#", "D", "D#", "E", "F", "F#", "G", "G#", "A", "A#", "B"]
# Krumhansl-Kessler key profiles
_MAJOR = np.array([6.35, 2.23, 3.48, 2.33, 4.38, 4.09, 2.52, 5.19, 2.39, 3.66, 2.29, 2.88])
_MINOR = np.array([6.33, 2.68, 3.52, 5.38, 2.60, 3.53, 2.54, 4.75, 3.98, 2.69, 3.34, 3.17])


class AudioFeatures(BaseModel):
    duration_s: float
    analysed_s: float
    tempo_bpm: float | None
    tempo_confidence: float
    key: str | None
    mode: str | None
    key_confidence: float
    loudness_lufs: float | None
    rms: float
    spectral_centroid_hz: float
    onset_rate: float


def resolve_path(path: str | Path, allowed_root: str | Path | None = None) -> Path:
    """Resolve symlinks and refuse anything outside ``allowed_root``."""
    p = Path(path)
    if allowed_root is not None:
        root = Path(allowed_root).resolve()
        full = (root / p).resolve() if not p.is_absolute() else p.resolve()
        if full != root and root not in full.parents:
            raise AudioOutsideRoot(str(path), f"resolves outside the allowed root {root}")
        p = full
    if not p.exists():
        raise AudioMissing(str(path), "no such file")
    if not p.is_file():
        raise AudioUnreadable(str(path), "not a regular file")
    return p


def decode(path: Path, max_seconds: float) -> tuple[np.ndarray, float]:
    """Mono float32 at SR from at most ``max_seconds`` of the file; returns (signal, full duration)."""
    import soundfile as sf

    if path.stat().st_size == 0:
        raise AudioEmpty(str(path), "file is 0 bytes")
    try:
        info = sf.info(str(path))
        duration = float(info.frames) / float(info.samplerate) if info.samplerate else 0.0
        frames = int(min(info.frames, max_seconds * info.samplerate))
        data, sr = sf.read(str(path), frames=frames, dtype="float32", always_2d=True)
    except Exception as e:  # noqa: BLE001 (libsndfile errors are untyped)
        raise AudioCorrupt(str(path), f"cannot decode: {e}") from None
    if data.size == 0:
        raise AudioEmpty(str(path), "no audio frames")
    y = data.mean(axis=1)
    if sr != SR:
        import soxr

        y = soxr.resample(y, sr, SR).astype(np.float32)
    return y, duration


def analyze(path: str | Path, max_seconds: float = 180.0, allowed_root: str | Path | None = None) -> AudioFeatures:
    import librosa
    import pyloudnorm

    p = resolve_path(path, allowed_root)
    y, duration = decode(p, max_seconds)
    rms = float(np.sqrt(np.mean(y**2)))
    if rms < 1e-5:
        raise AudioSilent(str(path), "signal is silent")
    onset_env = librosa.onset.onset_strength(y=y, sr=SR)
    tempo, beats = librosa.beat.beat_track(onset_envelope=onset_env, sr=SR)
    tempo_v = float(np.atleast_1d(tempo)[0]) if np.size(tempo) else None
    conf = 0.0
    if len(beats) > 2:
        ibi = np.diff(beats)
        conf = float(max(0.0, 1.0 - np.std(ibi) / (np.mean(ibi) + 1e-9)))
    chroma = librosa.feature.chroma_stft(y=y, sr=SR).mean(axis=1)
    best = (-2.0, None, None)
    for i in range(12):
        for mode, prof in (("major", _MAJOR), ("minor", _MINOR)):
            r = float(np.corrcoef(chroma, np.roll(prof, i))[0, 1])
            if r > best[0]:
                best = (r, KEYS[i], mode)
    try:
        lufs = float(pyloudnorm.Meter(SR).integrated_loudness(y.astype(np.float64)))
        lufs = lufs if np.isfinite(lufs) else None
    except ValueError:
        lufs = None
    onsets = librosa.onset.onset_detect(onset_envelope=onset_env, sr=SR)
    analysed = len(y) / SR
    return AudioFeatures(
        duration_s=round(duration, 3), analysed_s=round(analysed, 3),
        tempo_bpm=round(tempo_v, 2) if tempo_v else None, tempo_confidence=round(conf, 3),
        key=best[1], mode=best[2], key_confidence=round(max(0.0, best[0]), 3),
        loudness_lufs=round(lufs, 2) if lufs is not None else None, rms=round(rms, 5),
        spectral_centroid_hz=round(float(librosa.feature.spectral_centroid(y=y, sr=SR).mean()), 1),
        onset_rate=round(len(onsets) / max(analysed, 1e-9), 3),
    )
