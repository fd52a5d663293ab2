"""Frame levels and leading/trailing silence, with one silence floor used everywhere."""

from __future__ import annotations

import numpy as np

SILENCE_DBFS = -60.0  # a frame quieter than this is silence (well under any mixed music or speech)
FRAME_S = 0.05
MIN_OFFSET_SAMPLES = 32  # a frame's mean is taken for a DC offset from this many samples on (frame_dbfs)


def frame_dbfs(y: np.ndarray, sr: int) -> np.ndarray:
    """RMS level in dBFS of consecutive 50 ms frames (a final partial frame included).

    ``y``: (samples,) or (samples, channels); with channels, a frame's level is its loudest
    channel's, so channels that cancel in a mix (one the other inverted) are not silence. A
    frame's own mean per channel (a DC offset, below 20 Hz over 50 ms: nothing a listener hears) is
    not counted: a file of a constant offset, or silence recorded with one, was sound to the level
    and speech to the speech ratio (QA session 24: a constant 0.5 was analysed with speech_ratio
    1.0). A frame of fewer than ``MIN_OFFSET_SAMPLES`` samples (an absurd rate: 8 Hz; a file's
    last few) keeps its mean: over so few samples the mean is the signal, not an offset.
    """
    n = max(1, int(FRAME_S * sr))
    y = y.astype(np.float32, copy=False)
    y = y[:, None] if y.ndim == 1 else y
    pad = (-y.shape[0]) % n
    frames = np.pad(y, ((0, pad), (0, 0))).reshape(-1, n, y.shape[1])
    count = np.full((frames.shape[0], 1), float(n))
    if len(count):
        count[-1] = n - pad  # the padding zeros are not samples
    sums = frames.sum(axis=1, dtype=np.float64)
    offset_power = np.where(count >= MIN_OFFSET_SAMPLES, sums * sums / count, 0.0)  # count * mean^2
    power = np.einsum("ijc,ijc->ic", frames, frames, dtype=np.float64) - offset_power
    power = np.maximum(power, 0.0).max(axis=1) / n
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
