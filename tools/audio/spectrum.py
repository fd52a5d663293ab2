"""One short-time power spectrum per file, shared by every spectral feature (computed once)."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

import librosa
import numpy as np

from linernotes.tools.audio.decode import SR

N_FFT = 2048  # 93 ms: enough frequency resolution for chroma down to ~100 Hz
HOP = 256  # 11.6 ms (86 frames/s): fine enough for beat periods to ~1% without interpolation tricks
N_MELS = 40


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
    stft = librosa.stft(y, n_fft=N_FFT, hop_length=HOP, center=True)
    power = (stft.real**2 + stft.imag**2).astype(np.float32)
    return Spectrum(power=power, freqs=librosa.fft_frequencies(sr=SR, n_fft=N_FFT))
