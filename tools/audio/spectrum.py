"""One short-time power spectrum per file, shared by every spectral feature (computed once)."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

import librosa
import numpy as np
import scipy.fft
import scipy.signal

from linernotes.tools.audio.decode import SR

N_FFT = 2048  # 93 ms: enough frequency resolution for chroma down to ~100 Hz
HOP = 256  # 11.6 ms (86 frames/s): fine enough for beat periods to ~1% without interpolation tricks
N_MELS = 40
BLOCK_FRAMES = 512  # frames transformed at a time (4 MB of complex spectrum)


@dataclass(frozen=True)
class Spectrum:
    power: np.ndarray  # (N_FFT//2+1, frames) |STFT|^2
    freqs: np.ndarray  # (N_FFT//2+1,) Hz

    @property
    def fps(self) -> float:
        return SR / HOP

    @property
    def frames(self) -> int:
        return self.power.shape[1]

    def centroid_hz(self) -> np.ndarray:
        """Magnitude-weighted mean frequency of each frame (in blocks: no full-size temporaries)."""
        freqs = self.freqs.astype(np.float32)
        out = np.empty(self.frames, dtype=np.float32)
        for s in range(0, self.frames, BLOCK_FRAMES):
            mag = np.sqrt(self.power[:, s:s + BLOCK_FRAMES])
            out[s:s + BLOCK_FRAMES] = (freqs @ mag) / np.maximum(mag.sum(axis=0), 1e-12)
        return out

    def frame_dbfs(self) -> np.ndarray:
        """Level of each frame in dBFS, from Parseval (one-sided spectrum, Hann window power 3/8)."""
        mean_square = 2.0 * self.power.sum(axis=0) / (N_FFT * N_FFT * 0.375)
        return 10.0 * np.log10(mean_square + 1e-20)


@cache
def mel_filters() -> np.ndarray:
    return librosa.filters.mel(sr=SR, n_fft=N_FFT, n_mels=N_MELS, fmin=30.0, fmax=SR / 2).astype(np.float32)


@cache
def chroma_filters() -> np.ndarray:
    return librosa.filters.chroma(sr=SR, n_fft=N_FFT).astype(np.float32)


def power_spectrum(y: np.ndarray) -> Spectrum:
    """|STFT|^2 (Hann, centred frames as librosa.stft), transformed in blocks so the complex
    spectrum of a long window never sits in memory at once: the float32 power is all that is kept."""
    padded = np.pad(y.astype(np.float32, copy=False), N_FFT // 2)
    frames = librosa.util.frame(padded, frame_length=N_FFT, hop_length=HOP, axis=0)  # strided view, no copy
    window = scipy.signal.get_window("hann", N_FFT).astype(np.float32)
    power = np.empty((N_FFT // 2 + 1, frames.shape[0]), dtype=np.float32)
    for start in range(0, frames.shape[0], BLOCK_FRAMES):
        spec = scipy.fft.rfft(frames[start:start + BLOCK_FRAMES] * window, axis=1)
        power[:, start:start + BLOCK_FRAMES] = (spec.real**2 + spec.imag**2).T
    return Spectrum(power=power, freqs=librosa.fft_frequencies(sr=SR, n_fft=N_FFT))
