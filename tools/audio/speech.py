"""Speech-vs-music ratio: the share of four-second stretches that look like speech.

A heuristic, not a trained classifier (no labelled speech audio ships with the project), built on
two cues that hold for speech in general rather than for any data set:
- pauses: speech alternates syllables and gaps, so many frames sit under half the stretch's mean
  level ("low-energy frames", Scheirer & Slaney 1997); mixed music keeps its level up;
- no metre: music is periodic (its onset envelope correlates with itself one beat later), speech
  rhythm is not isochronous. This cue keeps gated, staccato music from passing as speech.
"""

from __future__ import annotations

import numpy as np

from linernotes.tools.audio.spectrum import Spectrum

STRETCH_S = 4.0
SPEECH_BAND_HZ = (100.0, 4000.0)
LOW_ENERGY_SHARE = 0.3  # speech: over 30% of frames under half the stretch's mean RMS
BEAT_LAGS_S = (0.25, 1.5)  # beat periods of 40-240 BPM
MAX_PERIODICITY = 0.4  # autocorrelation at the best beat lag; metred music sits above this


def low_energy_share(rms: np.ndarray) -> float:
    return float(np.mean(rms < 0.5 * rms.mean()))


def periodicity(env: np.ndarray, fps: float) -> float:
    """Highest normalised autocorrelation of an onset envelope over beat-period lags."""
    e = env - env.mean()
    n = len(e)
    f = np.fft.rfft(e, 2 * n)
    acf = np.fft.irfft(f.real**2 + f.imag**2)[:n]
    lo, hi = int(BEAT_LAGS_S[0] * fps), min(n, int(BEAT_LAGS_S[1] * fps))
    return float(acf[lo:hi].max() / acf[0]) if acf[0] > 0 and hi > lo else 0.0


def speech_ratio(spec: Spectrum, envs: np.ndarray, active: np.ndarray) -> float | None:
    """Share of non-silent stretches with pauses and no metre; None when shorter than one stretch."""
    band = (spec.freqs >= SPEECH_BAND_HZ[0]) & (spec.freqs <= SPEECH_BAND_HZ[1])
    rms = np.sqrt(spec.power[band].sum(axis=0))
    env = envs.sum(axis=0)
    n = int(round(STRETCH_S * spec.fps))
    votes = []
    for s in range(0, min(len(rms), len(env)) - n + 1, n):
        if active[s:s + n].mean() < 0.5:  # mostly silent: neither speech nor music
            continue
        votes.append(low_energy_share(rms[s:s + n]) >= LOW_ENERGY_SHARE
                     and periodicity(env[s:s + n], spec.fps) < MAX_PERIODICITY)
    return float(np.mean(votes)) if votes else None
