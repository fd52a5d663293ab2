"""Audio features: tempo accuracy on real songs and speed on one core (``python -m benchmarks audio``).

Tempo: the 15 LMMS songs in ``../shared/data/audio/lmms-bpm`` (30 s excerpts, their authors' BPM).
A hit is within 4% of the labelled BPM (Acc1), or of it, twice it or half of it (Acc2), the
MIREX convention. Nothing in the tempo estimator was fitted to these songs (see tools/audio/tempo.py).

Speed: the full ``analyze`` (decode, resample, loudness, spectrum, every feature) timed per clip,
best of 3, with the process pinned to one CPU and BLAS limited to one thread. ``x_realtime_1core``
is audio seconds per CPU second of this process; the ``_wall`` figures use the wall clock, which on a
shared machine also counts other processes' turns on our core (the load average is reported). The
first (cold) call, which pays lazy imports, is reported apart. Figures are reported for the songs as shipped (22.05 kHz mono
FLAC) and for the same songs re-encoded as 44.1 kHz stereo FLAC, the usual catalog format, which
adds a resampling step and a second loudness channel.
"""

from __future__ import annotations

import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "NUMBA_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import csv  # noqa: E402
import statistics  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
from contextlib import contextmanager  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402
import soundfile as sf  # noqa: E402
import soxr  # noqa: E402
from threadpoolctl import threadpool_limits  # noqa: E402

from linernotes.tools.audio.features import analyze  # noqa: E402

SONGS = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "audio" / "lmms-bpm"
TOLERANCE = 0.04


COMMAND = "python -m benchmarks audio"


@contextmanager
def one_core():
    """Pin this process to a single CPU and one BLAS/OpenMP thread while timing."""
    before = os.sched_getaffinity(0)
    os.sched_setaffinity(0, {min(before)})
    try:
        with threadpool_limits(limits=1):
            yield
    finally:
        os.sched_setaffinity(0, before)


def _hit(est: float | None, truth: float, factors: tuple[float, ...]) -> bool:
    return est is not None and any(abs(est * f / truth - 1) <= TOLERANCE for f in factors)


def _time(paths: list[Path], repeats: int) -> tuple[float, list[float], list[float]]:
    """(audio seconds, best-of-``repeats`` CPU seconds per file, best-of-``repeats`` wall seconds per file).

    CPU time is the figure to compare across machines: on a shared box the wall clock also counts
    the time other processes held our one core.
    """
    audio, cpu, wall = 0.0, [], []
    for p in paths:
        audio += sf.info(str(p)).duration
        c_runs, w_runs = [], []
        for _ in range(repeats):
            c, w = time.process_time(), time.perf_counter()
            analyze(p)
            c_runs.append(time.process_time() - c)
            w_runs.append(time.perf_counter() - w)
        cpu.append(min(c_runs))
        wall.append(min(w_runs))
    return audio, cpu, wall


def _stereo_44k(paths: list[Path], folder: Path) -> list[Path]:
    out = []
    for p in paths:
        y, sr = sf.read(str(p), dtype="float32")
        up = soxr.resample(y, sr, 44100)
        q = folder / p.name
        sf.write(str(q), np.stack([up, 0.9 * up], axis=1), 44100, subtype="PCM_16")
        out.append(q)
    return out


def _halves_acc2(rows: list[dict], paths: list[Path], folder: Path) -> tuple[int, int]:
    """Acc2 over each clip's first and second half (about 15 s): is the estimate stable on less audio?"""
    hits = n = 0
    for r, p in zip(rows, paths, strict=True):
        y, sr = sf.read(str(p), dtype="float32")
        half = len(y) // 2
        for i, part in enumerate((y[:half], y[half:])):
            q = folder / f"{i}-{p.name}"
            sf.write(str(q), part, sr)
            hits += _hit(analyze(q).tempo_bpm, float(r["bpm"]), (1.0, 2.0, 0.5))
            n += 1
    return hits, n


def run(quick: bool = False) -> dict:
    rows = list(csv.DictReader((SONGS / "labels.csv").open()))
    paths = [SONGS / r["file"] for r in rows]
    with one_core():
        t = time.perf_counter()
        analyze(paths[0])
        cold_ms = (time.perf_counter() - t) * 1000
        per_song, acc1, acc2 = {}, 0, 0
        for r, p in zip(rows, paths, strict=True):
            f = analyze(p)
            truth = float(r["bpm"])
            h1, h2 = _hit(f.tempo_bpm, truth, (1.0,)), _hit(f.tempo_bpm, truth, (1.0, 2.0, 0.5))
            acc1, acc2 = acc1 + h1, acc2 + h2
            per_song[r["file"]] = {"bpm": truth, "estimate": f.tempo_bpm, "confidence": f.tempo_confidence,
                                   "acc1": h1, "acc2": h2, "key": f"{f.key} {f.mode}", "lufs": f.loudness_lufs}
        repeats = 1 if quick else 3
        audio, cpu, wall = _time(paths, repeats)
        with tempfile.TemporaryDirectory() as tmp:
            stereo = _stereo_44k(paths[:5] if quick else paths, Path(tmp))
            audio44, cpu44, wall44 = _time(stereo, repeats)
            halves_hits, halves_n = _halves_acc2(rows, paths, Path(tmp)) if not quick else (0, 0)
    per_30s = [b / sf.info(str(p)).duration * 30 for b, p in zip(cpu, paths, strict=True)]
    return {
        "n_songs": len(rows),
        "tempo_acc1": acc1,
        "tempo_acc2": acc2,
        "tempo_acc1_share": round(acc1 / len(rows), 3),
        "tempo_acc2_share": round(acc2 / len(rows), 3),
        "tempo_acc2_half_clips": halves_hits,
        "n_half_clips": halves_n,
        "x_realtime_1core": round(audio / sum(cpu), 1),
        "mean_ms_per_30s_clip": round(1000 * statistics.mean(per_30s), 1),
        "x_realtime_1core_wall": round(audio / sum(wall), 1),
        "x_realtime_1core_44k_stereo": round(audio44 / sum(cpu44), 1),
        "mean_ms_per_30s_clip_44k_stereo": round(1000 * 30 * sum(cpu44) / audio44, 1),
        "x_realtime_1core_44k_stereo_wall": round(audio44 / sum(wall44), 1),
        "load_average_1min": round(os.getloadavg()[0], 2),
        "cold_first_call_ms": round(cold_ms, 1),
        "per_song": per_song,
        "command": COMMAND,
    }
