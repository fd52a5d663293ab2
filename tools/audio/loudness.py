"""ITU-R BS.1770 integrated loudness and EBU Tech 3342 loudness range, via pyloudnorm.

Measured on the analysed window with its channels kept (BS.1770 sums channel energies; a mono mix
would under-read a stereo file by up to 3 LU). The window is already at the 22.05 kHz analysis
rate, so content above 11 kHz is not weighted: for music that is a few tenths of an LU at most.
"""

from __future__ import annotations

import warnings

import numpy as np
import pyloudnorm

MAX_CHANNELS = 5  # BS.1770 weights defined for L, R, C, Ls, Rs


def _finite(x: float) -> float | None:
    return float(x) if np.isfinite(x) else None


def measure_loudness(channels: np.ndarray, sr: int) -> tuple[float | None, float | None]:
    """(integrated LUFS, loudness range LU); None where the window is too short or too quiet."""
    x = channels[:, :MAX_CHANNELS] if channels.shape[1] <= MAX_CHANNELS else channels.mean(axis=1, keepdims=True)
    x = x.astype(np.float64)
    meter = pyloudnorm.Meter(sr)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            lufs = _finite(meter.integrated_loudness(x))
        except ValueError:  # shorter than one 400 ms gating block
            return None, None
        if lufs is None or x.shape[0] < 3 * sr:  # LRA needs 3 s short-term blocks
            return lufs, None
        return lufs, _finite(meter.loudness_range(x))
