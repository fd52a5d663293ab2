"""Bounded decoding: read at most a window of a file, never the whole of a long one.

libsndfile (through ``soundfile``) decodes WAV, FLAC, OGG/Vorbis/Opus and MP3 and can seek in all
of them, so only the frames of the window are ever decoded. A file longer than the window is
analysed from its middle (intros and fade-outs are the least typical part of a track); the first
and last few seconds are read separately, only to measure leading and trailing silence.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import soundfile as sf
import soxr

from linernotes.tools.audio.errors import AudioCorrupt, AudioEmpty, AudioTooLong, AudioUnreadable

SR = 22050  # analysis rate of every feature but loudness (tempo, key and speech need < 11 kHz)
MAX_DURATION_S = 12 * 3600.0  # a "track" longer than this is not a catalog item we analyse
EDGE_SECONDS = 30.0  # how much of each end is read to measure leading/trailing silence


@dataclass(frozen=True)
class Window:
    """The analysed part of a file: its channels at the file's rate (loudness sums them) and their
    mono mix resampled once to ``SR`` (every other feature reads that)."""

    channels: np.ndarray  # (frames, channels) float32 at native_sr
    mono: np.ndarray  # float32 at SR
    start_s: float
    duration_s: float  # of the whole file
    native_sr: int
    head: np.ndarray | None  # mono, native rate: the first EDGE_SECONDS when the window misses them
    tail: np.ndarray | None  # mono, native rate: the last EDGE_SECONDS when the window misses them

    @property
    def seconds(self) -> float:
        return self.channels.shape[0] / self.native_sr


def mono_mix(data: np.ndarray) -> np.ndarray:
    """Average of the channels (a matrix-vector product: numpy's mean over a short axis is ~5x slower)."""
    return data @ np.full(data.shape[1], 1.0 / data.shape[1], dtype=data.dtype)


def _read(f: sf.SoundFile, start: int, frames: int, path: Path) -> np.ndarray:
    try:
        f.seek(start)
        return f.read(frames, dtype="float32", always_2d=True)
    except (sf.LibsndfileError, RuntimeError, ValueError) as e:
        raise AudioCorrupt(str(path), f"cannot decode frames {start}..{start + frames}: {e}") from None


def read_window(path: Path, max_seconds: float, max_duration_s: float = MAX_DURATION_S) -> Window:
    """Decode at most ``max_seconds`` from the middle of ``path`` (plus short edges for silence)."""
    if max_seconds <= 0:
        raise ValueError(f"max_seconds must be > 0, got {max_seconds}")
    try:
        size = path.stat().st_size
    except OSError as e:
        raise AudioUnreadable(str(path), e.strerror or str(e)) from None
    if size == 0:
        raise AudioEmpty(str(path), "file is 0 bytes")
    try:
        f = sf.SoundFile(str(path))
    except PermissionError as e:
        raise AudioUnreadable(str(path), e.strerror or str(e)) from None
    except (sf.LibsndfileError, RuntimeError, TypeError) as e:
        msg = str(e).splitlines()[0] if str(e) else type(e).__name__
        raise AudioCorrupt(str(path), f"not a readable WAV/FLAC/OGG/MP3 file: {msg}") from None
    with f:
        sr, total = int(f.samplerate), int(f.frames)
        if total <= 0 or sr <= 0:
            raise AudioEmpty(str(path), "no audio frames")
        duration = total / sr
        if duration > max_duration_s:
            raise AudioTooLong(str(path), f"lasts {duration / 3600:.1f} h, over the {max_duration_s / 3600:.1f} h limit")
        want = min(total, max(1, int(round(max_seconds * sr))))
        start = (total - want) // 2
        data = _read(f, start, want, path)
        if data.shape[0] == 0:
            raise AudioEmpty(str(path), "no audio frames could be decoded")
        if not np.isfinite(data).all():
            raise AudioCorrupt(str(path), "decoded samples include NaN or infinity")
        edge = int(EDGE_SECONDS * sr)
        head = mono_mix(_read(f, 0, edge, path)) if start > 0 else None
        tail = mono_mix(_read(f, max(0, total - edge), edge, path)) if start + want < total else None
    mono = mono_mix(data)
    mono = soxr.resample(mono, sr, SR) if sr != SR else mono
    return Window(channels=data, mono=np.ascontiguousarray(mono, dtype=np.float32), start_s=start / sr,
                  duration_s=duration, native_sr=sr, head=head, tail=tail)
