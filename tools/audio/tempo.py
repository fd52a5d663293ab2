"""Global tempo from multi-band onset periodicity, a metrical comb and a log-Gaussian tempo prior.

Why this shape:
- Onsets are measured per mel band group (bass, low-mid, high-mid, treble) so a kick pattern and a
  hi-hat pattern each contribute their own periodicity instead of masking each other.
- A candidate beat period T is scored by the envelope autocorrelation at T/2, T, 2T, 3T and 4T. The
  multiples reward a period that keeps repeating (bars); the half period rewards a binary
  subdivision. Together they reject the classic 3:2 confusion (a dotted-quarter "beat"), whose
  half period falls between events.
- Between octave-related candidates the evidence is ambiguous by construction, so a prior decides:
  log-Gaussian around 120 BPM with one octave of spread, the listener-preferred tempo region
  (Moelants 2002; also librosa's default), not fitted to any data.

Provenance, honestly: the T/2 term was added after looking at the 3:2 errors on the 15 dev songs
(T..4T alone: Acc2 13/15). Robustness rather than fit: with T/2 in, Acc2 stays 15/15 for a prior
centred anywhere in 100-140 BPM, 0.7-1.5 octaves wide, 1-8 bands and a 256 or 512 hop; Acc1 moves
with the prior centre (4/15 at 100, 10/15 at 120, 13/15 at 140), i.e. octave choice is the prior's.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

BPM_MIN, BPM_MAX = 40.0, 250.0
PRIOR_BPM, PRIOR_OCTAVES = 120.0, 1.0
METRICAL_LAGS = (0.5, 1.0, 2.0, 3.0, 4.0)  # multiples of the beat period scored together
LOCAL_WINDOW_S, LOCAL_HOP_S = 8.0, 4.0  # for beat regularity: does one beat explain every stretch?
_GRID = np.exp(np.linspace(np.log(BPM_MIN), np.log(BPM_MAX), 800))  # 0.24% steps
_PRIOR = np.exp(-0.5 * (np.log2(_GRID / PRIOR_BPM) / PRIOR_OCTAVES) ** 2)


@dataclass(frozen=True)
class Tempo:
    bpm: float | None
    confidence: float  # mean normalised autocorrelation at the metrical lags of the chosen beat, 0..1
    regularity: float  # how well the global beat explains each 8 s stretch, 0..1


def autocorrelation(envs: np.ndarray) -> np.ndarray:
    """Mean over bands of each band's normalised (biased) autocorrelation; silent bands skipped."""
    n = envs.shape[1]
    x = envs - envs.mean(axis=1, keepdims=True)
    spec = np.fft.rfft(x, 2 * n, axis=1)
    acf = np.fft.irfft(spec.real**2 + spec.imag**2, axis=1)[:, :n]
    live = acf[:, 0] > 1e-12
    if not live.any():
        return np.zeros(n)
    return (acf[live] / acf[live, :1]).mean(axis=0)


def metrical_score(acf: np.ndarray, fps: float) -> np.ndarray:
    """Score of every grid tempo: autocorrelation averaged over the metrical lags (0 beyond the clip)."""
    lag = 60.0 * fps / _GRID
    idx = np.arange(len(acf))
    score = np.zeros_like(_GRID)
    for m in METRICAL_LAGS:
        score += np.interp(m * lag, idx, acf, right=0.0)
    return score / len(METRICAL_LAGS)


def _pick(score: np.ndarray) -> int:
    return int(np.argmax(np.maximum(score, 0.0) * _PRIOR))


def regularity(envs: np.ndarray, fps: float, bpm: float) -> float:
    """Mean over 8 s stretches of how well the global beat explains each one: 1 for a steady beat.

    Per stretch: the best local score among the global tempo and its octaves (the same beat grid)
    over the best local score of any tempo.
    """
    win, hop = int(LOCAL_WINDOW_S * fps), int(LOCAL_HOP_S * fps)
    same_beat = np.zeros(len(_GRID), dtype=bool)
    for m in (0.5, 1.0, 2.0):  # within 2% of the beat or an octave of it
        same_beat |= np.abs(np.log(_GRID / (bpm * m))) < np.log(1.02)
    ratios = []
    for s in range(0, max(1, envs.shape[1] - win + 1), hop):
        local = metrical_score(autocorrelation(envs[:, s:s + win]), fps)
        best = float(local.max())
        if best > 0:
            ratios.append(max(0.0, float(local[same_beat].max())) / best)
    return float(np.mean(ratios)) if ratios else 0.0


def estimate_tempo(envs: np.ndarray, fps: float, min_confidence: float = 0.0) -> Tempo:
    """Tempo of onset envelopes ``envs`` (bands x frames at ``fps``).

    ``bpm`` is None under two seconds or when nothing periodic rises above ``min_confidence``.
    """
    if envs.shape[1] < 2 * fps:
        return Tempo(None, 0.0, 0.0)
    score = metrical_score(autocorrelation(envs), fps)
    i = _pick(score)
    conf = float(np.clip(score[i], 0.0, 1.0))
    if conf <= min_confidence:
        return Tempo(None, conf, 0.0)
    bpm = float(_GRID[i])
    return Tempo(bpm, conf, regularity(envs, fps, bpm))
