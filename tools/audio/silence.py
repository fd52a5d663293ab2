"""Frame levels and leading/trailing silence, with one silence floor used everywhere."""

from __future__ import annotations

import numpy as np

SILENCE_DBFS = -60.0  # a frame quieter than this is silence (well under any mixed music or speech)
FRAME_S = 0.05


def frame_dbfs(y: np.ndarray, sr: int) -> np.ndarray:
    """RMS level in dBFS of consecutive 50 ms frames (a final partial frame included).

    ``y``: (samples,) or (samples, channels); with channels, a frame's level is its loudest
    channel's, so channels that cancel in a mix (one the other inverted) are not silence.
    """
    n = max(1, int(FRAME_S * sr))
    y = y.astype(np.float32, copy=False)
    y = y[:, None] if y.ndim == 1 else y
    pad = (-y.shape[0]) % n
    frames = np.pad(y, ((0, pad), (0, 0))).reshape(-1, n, y.shape[1])
    power = np.einsum("ijc,ijc->ic", frames, frames, dtype=np.float64).max(axis=1) / n
    return 10.0 * np.log10(power + 1e-20)


def edge_silence(levels: np.ndarray, total: float) -> tuple[float, float]:
    """Seconds of silence before the first and after the last frame above the floor, from the
    ``frame_dbfs`` levels of ``total`` seconds of audio."""
    loud = np.flatnonzero(levels > SILENCE_DBFS)
    if not len(loud):
        return total, total
    lead = loud[0] * FRAME_S
    trail = max(0.0, total - (loud[-1] + 1) * FRAME_S)
    return min(lead, total), trail
