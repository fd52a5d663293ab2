"""Audio features of one file, from a bounded window: the evidence the tagger sees about sound.

One decode; loudness (weighted per loudspeaker) and silence (per channel) from its channels at the
file's rate; one analysis mix that cannot cancel (``decode.analysis_weights``) resampled once to
22.05 kHz and one power spectrum of it, shared by every other feature.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from pydantic import BaseModel, Field

from linernotes.tools.audio.decode import MAX_DURATION_S, Window, read_window
from linernotes.tools.audio.errors import AudioSilent
from linernotes.tools.audio.paths import resolve_audio_path
from linernotes.tools.audio.silence import SILENCE_DBFS, edge_silence, frame_dbfs

MIN_TEMPO_CONFIDENCE = 0.1  # below this the "beat" is indistinguishable from noise (see tests)


class AudioFeatures(BaseModel):
    duration_s: float = Field(description="length of the whole file")
    analysed_s: float = Field(description="length of the analysed window (taken from the middle)")
    window_start_s: float
    sample_rate: int = Field(description="the file's own rate")
    channels: int
    tempo_bpm: float | None = Field(description="None when nothing periodic was found")
    tempo_confidence: float = Field(ge=0, le=1)
    beat_regularity: float = Field(ge=0, le=1, description="1 = one steady beat explains every 8 s stretch")
    key: str | None
    mode: str | None
    key_confidence: float = Field(ge=0, le=1)
    loudness_lufs: float | None = Field(description="ITU-R BS.1770 integrated loudness of the window")
    loudness_range_lu: float | None = Field(description="EBU Tech 3342 LRA of the window")
    rms: float
    rms_dbfs: float
    spectral_centroid_hz: float
    onset_rate: float = Field(description="onsets per second")
    speech_ratio: float | None = Field(description="share of 4 s stretches that look like speech (heuristic)")
    leading_silence_s: float = Field(description="below -60 dBFS; for long files measured in the first 30 s")
    trailing_silence_s: float = Field(description="below -60 dBFS; for long files measured in the last 30 s")


def _edges(window: Window, levels: np.ndarray) -> tuple[float, float]:
    """Leading/trailing silence: from the window when it reaches the file's ends, else from the edges."""
    lead, trail = edge_silence(levels, window.seconds)
    if window.head is not None:
        lead = edge_silence(frame_dbfs(window.head, window.native_sr), len(window.head) / window.native_sr)[0]
    if window.tail is not None:
        trail = edge_silence(frame_dbfs(window.tail, window.native_sr), len(window.tail) / window.native_sr)[1]
    return lead, trail


def analyze(path: str | Path, max_seconds: float = 180.0, allowed_root: str | Path | None = None,
            max_duration_s: float = MAX_DURATION_S, name: str | None = None) -> AudioFeatures:
    """Features of ``path`` from at most ``max_seconds`` of it; typed ``AudioError`` on bad input.

    ``name``: how an error names the file (default ``str(path)``, never the resolved path): the
    tagger passes the catalog row's own ``audio_path``, so a record (and ``liner serve``'s answer
    to a client) never shows the folders the path was resolved in."""
    name = str(path) if name is None else name
    # scipy.signal, librosa and numba (~0.8 s and ~100 MB) load with the first audio item, so a
    # text-only catalog's workers never pay for them
    from linernotes.tools.audio.loudness import measure_loudness
    from linernotes.tools.audio.onsets import onset_envelopes, onset_rate
    from linernotes.tools.audio.spectrum import power_spectrum
    from linernotes.tools.audio.speech import speech_ratio
    from linernotes.tools.audio.tempo import estimate_tempo
    from linernotes.tools.audio.tonal import estimate_key

    p = resolve_audio_path(path, allowed_root, name)
    window = read_window(p, max_seconds, max_duration_s, name=name)
    mono = window.mono
    levels = frame_dbfs(window.channels, window.native_sr)  # per channel: a mix could cancel
    if levels.max() <= SILENCE_DBFS:
        raise AudioSilent(name, f"no 50 ms frame of any channel of the analysed window rises above "
                                f"{SILENCE_DBFS:.0f} dBFS")
    lufs, lra = measure_loudness(window.channels, window.native_sr, window.loudness_weights)  # before the spectrum exists: lower peak memory
    spec = power_spectrum(mono)
    active = spec.frame_dbfs() > SILENCE_DBFS
    envs = onset_envelopes(spec)
    tempo = estimate_tempo(envs, spec.fps, MIN_TEMPO_CONFIDENCE)
    key = estimate_key(spec, active)
    centroid = spec.centroid_hz()[active]
    rms = float(np.sqrt(np.mean(np.square(mono), dtype=np.float64)))
    lead, trail = _edges(window, levels)
    return AudioFeatures(
        duration_s=round(window.duration_s, 3), analysed_s=round(window.seconds, 3),
        window_start_s=round(window.start_s, 3), sample_rate=window.native_sr, channels=window.channels.shape[1],
        tempo_bpm=round(tempo.bpm, 2) if tempo.bpm else None, tempo_confidence=round(tempo.confidence, 3),
        beat_regularity=round(tempo.regularity, 3),
        key=key.key, mode=key.mode, key_confidence=round(key.confidence, 3),
        loudness_lufs=round(lufs, 2) if lufs is not None else None,
        loudness_range_lu=round(lra, 2) if lra is not None else None,
        rms=round(rms, 6), rms_dbfs=round(20.0 * np.log10(rms + 1e-12), 2),
        spectral_centroid_hz=round(float(centroid.mean()) if centroid.size else 0.0, 1),
        onset_rate=round(onset_rate(envs, spec.fps), 3),
        speech_ratio=round(sr_, 3) if (sr_ := speech_ratio(spec, envs, active)) is not None else None,
        leading_silence_s=round(lead, 3), trailing_silence_s=round(trail, 3),
    )
