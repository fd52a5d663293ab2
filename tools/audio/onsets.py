"""Onset envelopes (positive log-mel spectral flux in a few bands) and the onset rate."""

from __future__ import annotations

import numpy as np
from scipy.ndimage import uniform_filter1d
from scipy.signal import find_peaks

from linernotes.tools.audio.spectrum import N_MELS, Spectrum, mel_filters

N_BANDS = 4  # bass / low-mid / high-mid / treble mel groups
TREND_S = 0.5  # slower changes than this are dynamics, not onsets
PEAK_DELTA = 0.07  # an onset peak rises this far (of the strongest peak) over its local mean
MIN_GAP_S = 0.03  # two onsets closer than this are one


def onset_envelopes(spec: Spectrum) -> np.ndarray:
    """(N_BANDS, frames-1) positive log-mel flux per band, its slow trend removed."""
    mel = np.log1p(1000.0 * (mel_filters() @ spec.power))
    flux = np.maximum(0.0, np.diff(mel, axis=1))
    bands = np.stack([flux[g].sum(axis=0) for g in np.array_split(np.arange(N_MELS), N_BANDS)])
    trend = uniform_filter1d(bands, size=int(spec.fps * TREND_S) | 1, axis=1, mode="nearest")
    return np.maximum(0.0, bands - trend)


def onset_rate(envs: np.ndarray, fps: float) -> float:
    """Onsets per second: local maxima of the summed envelope that stand out from their surroundings."""
    env = envs.sum(axis=0)
    top = env.max() if env.size else 0.0
    if top <= 0:
        return 0.0
    env = env / top
    local = uniform_filter1d(env, size=int(0.2 * fps) | 1, mode="nearest")
    peaks, _ = find_peaks(env, height=local + PEAK_DELTA, distance=max(1, int(MIN_GAP_S * fps)))
    return len(peaks) / (len(env) / fps)
