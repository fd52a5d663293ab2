"""Bounded decoding: read at most a window of a file, never the whole of a long one.

libsndfile (through ``soundfile``) decodes WAV, FLAC, OGG/Vorbis/Opus and MP3 and can seek in all
of them, so only the frames of the window are ever decoded. A file longer than the window is
analysed from its middle (intros and fade-outs are the least typical part of a track); the first
and last few seconds are read separately, only to measure leading and trailing silence.

The channels are kept for loudness (weighted per loudspeaker, ``channels.py``) and for silence (a
frame is silent only when every channel is). Every other feature reads one analysis signal, the
projection on the channels' principal axis (``analysis_weights``), not their plain average: an
average cancels when channels are out of phase (a right channel that is the left inverted sums to
exactly nothing), the principal axis cannot.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import soundfile as sf
import soxr

from linernotes.tools.audio.channels import bs1770_weights, channel_layout
from linernotes.tools.audio.errors import AudioCorrupt, AudioEmpty, AudioTooLong, AudioUnreadable

SR = 22050  # analysis rate of every feature but loudness (tempo, key and speech need < 11 kHz)
# A float file may go over full scale (1.0); one 40 dB over it holds no audio a person mixed but
# numbers written unscaled (integer sample values stored as float: 32767 is +90 dBFS) or garbage,
# and its features would be nonsense (+583 LUFS, a spectrum overflowing float32 to NaN)
MAX_PEAK = 100.0
MAX_DURATION_S = 12 * 3600.0  # a "track" longer than this is not a catalog item we analyse
EDGE_SECONDS = 30.0  # how much of each end is read to measure leading/trailing silence


@dataclass(frozen=True)
class Window:
    """The analysed part of a file: its channels at the file's rate (loudness and silence read them)
    and their analysis mix resampled once to ``SR`` (every other feature reads that)."""

    channels: np.ndarray  # (frames, channels) float32 at native_sr
    mono: np.ndarray  # float32 at SR: the principal-axis mix (see analysis_weights)
    start_s: float
    duration_s: float  # of the whole file
    native_sr: int
    head: np.ndarray | None  # (frames, channels), native rate: the first EDGE_SECONDS when the window misses them
    tail: np.ndarray | None  # (frames, channels), native rate: the last EDGE_SECONDS when the window misses them
    layout: tuple[str, ...] | None = None  # loudspeaker of each channel (channels.py), None if unknown
    loudness_weights: np.ndarray | None = None  # BS.1770-4 weight per channel

    @property
    def seconds(self) -> float:
        return self.channels.shape[0] / self.native_sr


def analysis_weights(data: np.ndarray) -> np.ndarray:
    """Downmix weights (channels,) that cannot cancel: the principal eigenvector of the channels'
    covariance (PCA / Karhunen-Loeve), signed to agree with the plain average (or, when that is
    0, with the first channel it uses) and scaled to an L1
    norm of 1. Identical channels give the plain average (0.5, 0.5); a right channel that is the
    left inverted gives (0.5, -0.5), i.e. the side signal; for two channels of equal level it is
    always mid or side, whichever carries more energy. The mix keeps at least 1/n of the mean
    channel energy for n channels, where the average can keep nothing."""
    n = data.shape[1]
    if n == 1:
        return np.ones(1, dtype=np.float32)
    cov = (data.T @ data).astype(np.float64)  # (n, n): one BLAS pass over the window
    w = np.linalg.eigh(cov)[1][:, -1]
    lead = w.sum() if abs(w.sum()) > 1e-6 else w[np.argmax(np.abs(w) > 1e-6)]  # else the first channel in it
    w = -w if lead < 0 else w
    total = np.abs(w).sum()
    return (w / total if total > 0 else np.full(n, 1.0 / n)).astype(np.float32)


def mix(data: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """``data`` (frames, channels) times ``weights`` (a matrix-vector product: faster than a mean)."""
    return data @ weights.astype(data.dtype, copy=False)


def _said(e: BaseException, path: Path, name: str) -> str:
    """libsndfile's first line about ``path``, naming it as the caller did (``Error opening
    '/srv/audio/x.wav': ...`` quotes the real path, which may sit outside what the caller knows)."""
    msg = str(e).splitlines()[0] if str(e) else type(e).__name__
    return msg.replace(str(path), name)


def _read(f: sf.SoundFile, start: int, frames: int, path: Path, name: str) -> np.ndarray:
    try:
        f.seek(start)
        data = f.read(frames, dtype="float32", always_2d=True)
    except (sf.LibsndfileError, RuntimeError, ValueError) as e:
        raise AudioCorrupt(name, f"cannot decode frames {start}..{start + frames}: {_said(e, path, name)}") from None
    if data.size and not np.isfinite(data).all():
        raise AudioCorrupt(name, "decoded samples include NaN or infinity")
    peak = float(np.abs(data).max()) if data.size else 0.0
    if peak > MAX_PEAK:
        raise AudioCorrupt(name, f"samples reach {peak:.6g} ({20 * np.log10(peak):+.0f} dBFS), over the "
                                 f"{MAX_PEAK:g} (+{20 * np.log10(MAX_PEAK):.0f} dBFS) a float file can hold as audio "
                                 "(full scale is 1.0: integer sample values written as float?)")
    return data


def read_window(path: Path, max_seconds: float, max_duration_s: float = MAX_DURATION_S,
                name: str | None = None) -> Window:
    """Decode at most ``max_seconds`` (> 0; inf: the whole file) from the middle of ``path`` (plus
    short edges for silence).

    ``name``: how errors name the file (default ``str(path)``); ``analyze`` passes the path as its
    caller wrote it, so a message sent to a service's client never shows the server's folders.
    Raises ``AudioUnreadable``, ``AudioEmpty``, ``AudioTooLong`` or ``AudioCorrupt`` (undecodable,
    NaN / infinite samples, or samples over ``MAX_PEAK``)."""
    name = str(path) if name is None else name
    if not max_seconds > 0:  # NaN too
        raise ValueError(f"max_seconds must be > 0, got {max_seconds}")
    try:
        size = path.stat().st_size
    except OSError as e:
        raise AudioUnreadable(name, e.strerror or str(e)) from None
    if size == 0:
        raise AudioEmpty(name, "file is 0 bytes")
    try:
        f = sf.SoundFile(str(path))
    except PermissionError as e:
        raise AudioUnreadable(name, e.strerror or str(e)) from None
    except (sf.LibsndfileError, RuntimeError, TypeError) as e:
        raise AudioCorrupt(name, f"not a readable WAV/FLAC/OGG/MP3 file: {_said(e, path, name)}") from None
    with f:
        sr, total, container = int(f.samplerate), int(f.frames), str(f.format)
        if total <= 0 or sr <= 0:
            raise AudioEmpty(name, "no audio frames")
        duration = total / sr
        if duration > max_duration_s:
            raise AudioTooLong(name, f"lasts {duration / 3600:.1f} h, over the {max_duration_s / 3600:.1f} h limit")
        # compared as floats first: inf or 1e308 s (the whole file) overflowed int() (QA session 24:
        # liner tools audio --max-seconds inf ended in an OverflowError traceback)
        frames = max_seconds * sr
        want = total if frames >= total else max(1, int(round(frames)))
        start = (total - want) // 2
        data = _read(f, start, want, path, name)
        if data.shape[0] == 0:
            raise AudioEmpty(name, "no audio frames could be decoded")
        edge = int(EDGE_SECONDS * sr)
        head = _read(f, 0, edge, path, name) if start > 0 else None
        tail = _read(f, max(0, total - edge), edge, path, name) if start + want < total else None
    layout = channel_layout(path, data.shape[1], container)
    mono = mix(data, analysis_weights(data))
    mono = soxr.resample(mono, sr, SR) if sr != SR else mono
    return Window(channels=data, mono=np.ascontiguousarray(mono, dtype=np.float32), start_s=start / sr,
                  duration_s=duration, native_sr=sr, head=head, tail=tail, layout=layout,
                  loudness_weights=bs1770_weights(layout, data.shape[1]))
