"""Key and mode: mean chroma correlated with the Krumhansl-Kessler key profiles (24 keys)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from linernotes.tools.audio.spectrum import Spectrum, chroma_filters

PITCHES = ("C", "C#", "D", "D#", "E", "F", "F#", "G", "G#", "A", "A#", "B")
# Krumhansl & Kessler (1982) probe-tone ratings, tonic first
MAJOR = np.array([6.35, 2.23, 3.48, 2.33, 4.38, 4.09, 2.52, 5.19, 2.39, 3.66, 2.29, 2.88])
MINOR = np.array([6.33, 2.68, 3.52, 5.38, 2.60, 3.53, 2.54, 4.75, 3.98, 2.69, 3.34, 3.17])
# a key is heard over notes, not in one frame: below a second of non-silent audio the profiles
# matched noise (QA session 24: a one-sample WAV was 'C# minor', key_confidence 0.32)
MIN_KEY_S = 1.0


@dataclass(frozen=True)
class Key:
    key: str | None
    mode: str | None
    confidence: float  # Pearson r of the best profile, 0..1


def mean_chroma(spec: Spectrum, active: np.ndarray) -> np.ndarray:
    """Per-frame max-normalised chroma averaged over the ``active`` (non-silent) frames."""
    c = (chroma_filters() @ spec.power)[:, active]
    peak = c.max(axis=0, keepdims=True)
    return (c / np.where(peak > 0, peak, 1.0)).mean(axis=1) if c.shape[1] else np.zeros(12)


def estimate_key(spec: Spectrum, active: np.ndarray) -> Key:
    """The best-correlated of the 24 key profiles over the ``active`` frames' mean chroma; no key
    (confidence 0) for less than ``MIN_KEY_S`` of active audio or a flat chroma."""
    if int(np.count_nonzero(active)) < MIN_KEY_S * spec.fps:
        return Key(None, None, 0.0)
    chroma = mean_chroma(spec, active)
    if not np.isfinite(chroma).all() or np.ptp(chroma) < 1e-9:
        return Key(None, None, 0.0)
    best = (-2.0, 0, "major")
    for tonic in range(12):
        for mode, profile in (("major", MAJOR), ("minor", MINOR)):
            r = float(np.corrcoef(chroma, np.roll(profile, tonic))[0, 1])
            if r > best[0]:
                best = (r, tonic, mode)
    return Key(PITCHES[best[1]], best[2], max(0.0, best[0]))
