"""Synthetic signals with known ground truth, for tests and benchmarks (generated, never shipped as data)."""

from __future__ import annotations

import numpy as np

SR = 22050
PITCH = {"C": 0, "C#": 1, "D": 2, "D#": 3, "E": 4, "F": 5, "F#": 6, "G": 7, "G#": 8, "A": 9, "A#": 10, "B": 11}


def clicks(bpm: float, seconds: float, sr: int = SR, offset_s: float = 0.05) -> np.ndarray:
    """A click (5 ms decaying 2 kHz burst) on every beat, first at ``offset_s``."""
    y = np.zeros(int(seconds * sr), dtype=np.float32)
    n = int(0.005 * sr)
    burst = (np.sin(2 * np.pi * 2000 * np.arange(n) / sr) * np.exp(-np.arange(n) / (0.001 * sr))).astype(np.float32)
    for t in np.arange(offset_s, seconds, 60.0 / bpm):
        i = int(t * sr)
        y[i:i + n] += burst[: len(y) - i]
    return 0.5 * y


def tone(freq: float, seconds: float, amplitude: float, sr: int = SR) -> np.ndarray:
    return (amplitude * np.sin(2 * np.pi * freq * np.arange(int(seconds * sr)) / sr)).astype(np.float32)


def note(midi: int, seconds: float, sr: int = SR) -> np.ndarray:
    """A harmonic note (six partials, 1/k amplitudes) with a gentle attack and release."""
    t = np.arange(int(seconds * sr)) / sr
    f0 = 440.0 * 2 ** ((midi - 69) / 12)
    y = sum(np.sin(2 * np.pi * k * f0 * t) / k for k in range(1, 7) if k * f0 < sr / 2)
    env = np.minimum(1.0, np.minimum(t / 0.02, (seconds - t) / 0.05))
    return (y * env).astype(np.float32)


def chords(progression: list[tuple[str, str]], seconds_each: float = 1.0, sr: int = SR) -> np.ndarray:
    """Triads in root position around C4, e.g. [("C", "major"), ("F", "major"), ...]."""
    out = []
    for root, quality in progression:
        r = 60 + PITCH[root]
        third = 4 if quality == "major" else 3
        out.append(sum(note(m, seconds_each, sr) for m in (r - 12, r, r + third, r + 7)))
    y = np.concatenate(out)
    return (0.3 * y / np.abs(y).max()).astype(np.float32)


def speech_like(seconds: float, seed: int = 0, sr: int = SR) -> np.ndarray:
    """Syllable-like voiced bursts (gliding pitch, random 80-250 ms) with irregular gaps and pauses."""
    rng = np.random.default_rng(seed)
    out, total = [], 0
    while total < seconds * sr:
        if rng.random() < 0.12:
            n = int(rng.uniform(0.25, 0.6) * sr)
            out.append(np.zeros(n))
            total += n
            continue
        n = int(rng.uniform(0.08, 0.25) * sr)
        t = np.arange(n) / sr
        f0 = rng.uniform(90, 220) * (1 + rng.uniform(-0.2, 0.2) * t / t[-1])
        phase = 2 * np.pi * np.cumsum(f0) / sr
        formant = rng.uniform(300, 900)
        v = sum(np.sin(k * phase) / k * np.exp(-0.5 * ((k * f0 - formant) / 400) ** 2 + 0.3) for k in range(1, 25))
        if rng.random() < 0.3:
            v = v + rng.normal(0, 0.3, n)
        out += [v * np.hanning(n) * rng.uniform(0.3, 1.0), np.zeros(int(rng.uniform(0.03, 0.15) * sr))]
        total += n + len(out[-1])
    y = np.concatenate(out)[: int(seconds * sr)]
    return (0.3 * y / np.abs(y).max()).astype(np.float32)


def drum_loop(bpm: float, seconds: float, sr: int = SR) -> np.ndarray:
    """Kick on every beat, hi-hat on every eighth note: a plain four-on-the-floor pattern."""
    y = np.zeros(int(seconds * sr), dtype=np.float32)
    rng = np.random.default_rng(1)
    n_kick, n_hat = int(0.15 * sr), int(0.04 * sr)
    tk = np.arange(n_kick) / sr
    kick = np.sin(2 * np.pi * (50 + 100 * np.exp(-tk / 0.02)) * tk) * np.exp(-tk / 0.05)
    hat = rng.normal(0, 1, n_hat) * np.exp(-np.arange(n_hat) / (0.008 * sr))
    hat = np.diff(hat, prepend=0.0)  # brighten
    beat = 60.0 / bpm
    for i, t in enumerate(np.arange(0.05, seconds, beat / 2)):
        k = int(t * sr)
        src = kick if i % 2 == 0 else hat * 0.3
        if i % 2 == 0:
            y[k:k + n_hat] += (hat * 0.2)[: len(y) - k]
        y[k:k + len(src)] += src[: len(y) - k]
    return (0.5 * y / np.abs(y).max()).astype(np.float32)


def ebu_sine(seconds: float, dbfs: float, sr: int = 48000, channels: int = 2) -> np.ndarray:
    """EBU Tech 3341/3342 test tone: 1 kHz sine with a peak of ``dbfs`` in every channel."""
    y = tone(1000.0, seconds, 10 ** (dbfs / 20), sr)
    return np.repeat(y[:, None], channels, axis=1)
