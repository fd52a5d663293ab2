"""Tempo octave: a plain fast pulse reads its own tempo, not its half (issue 12, item 1), on long and
short clips, and the confidence falls when two octaves score alike."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from linernotes.tools.audio.features import analyze
from linernotes.tools.audio.tempo import _GRID, autocorrelation, estimate_tempo, metrical_score
from linernotes.tools.audio.testsignals import SR, clicks, drum_loop

EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "audio"


def write(tmp_path: Path, name: str, y: np.ndarray, sr: int = SR) -> Path:
    p = tmp_path / name
    sf.write(p, y, sr)
    return p


@pytest.mark.parametrize(("bpm", "seconds"), [
    (160.0, 30.0),  # the reported case: 79.96 BPM with confidence 0.85 before
    (174.0, 20.0), (200.0, 20.0), (240.0, 12.0),  # same kind, made up: plain pulses faster than the prior
])
def test_plain_fast_pulse_reads_its_own_tempo(tmp_path: Path, bpm: float, seconds: float) -> None:
    f = analyze(write(tmp_path, "clicks.wav", clicks(bpm, seconds)))
    assert f.tempo_bpm == pytest.approx(bpm, rel=0.02)


@pytest.mark.parametrize(("bpm", "seconds"), [(160.0, 4.0), (190.0, 3.0), (170.0, 4.0), (70.0, 3.0)])
def test_short_clips_read_their_own_tempo(tmp_path: Path, bpm: float, seconds: float) -> None:
    """On a 3-4 s clip the slow octave's 3T and 4T lags run past the end; they were scored 0 while
    the fast octave's fitted, so the prior and the clip length decided (190 read 95, 70 read 140)."""
    f = analyze(write(tmp_path, "short.wav", clicks(bpm, seconds)))
    assert f.tempo_bpm == pytest.approx(bpm, rel=0.02)


def test_lags_past_the_end_are_left_out_not_scored_zero() -> None:
    """A perfectly periodic autocorrelation: every tempo whose beat period fits scores the same mean,
    however many of its metrical lags (T/2..4T) fit in the clip."""
    fps, period = 100.0, 50  # 120 BPM
    lags = np.arange(120)  # 2T (100) fits, 3T (150) does not
    acf = np.maximum(0.0, 1.0 - np.minimum(lags % period, period - lags % period) / 5.0)  # peaks at k*T
    score = metrical_score(acf, fps)
    at = lambda bpm: score[np.argmin(np.abs(_GRID - bpm))]  # noqa: E731
    assert at(120.0) == pytest.approx(2 / 3, abs=0.02)  # of T/2, T, 2T two hit; 3T and 4T left out
    assert at(60.0) == pytest.approx(1.0, abs=0.02)  # T/2 and T hit; 2T.. left out, not zeros
    assert at(45.0) == 0.0  # its beat period (133 frames) does not fit at all


def test_bundled_example_reads_its_labelled_tempo() -> None:
    """examples/audio/night-drive-124bpm.flac read 62 (half) before; slow-rain is the other example."""
    assert analyze(EXAMPLES / "night-drive-124bpm.flac").tempo_bpm == pytest.approx(124, rel=0.02)
    assert analyze(EXAMPLES / "slow-rain-90bpm.flac").tempo_bpm == pytest.approx(90, rel=0.02)


def _accented(weak: float, seconds: float = 20.0) -> np.ndarray:
    """Clicks at 80 BPM plus a click of relative level ``weak`` half-way between them: 0 is a plain
    80 BPM pulse, 1 a plain 160 BPM pulse, in between 80 and 160 are both plausible beats."""
    return clicks(80, seconds) + weak * clicks(80, seconds, offset_s=0.05 + 60 / 160)


def test_confidence_falls_when_two_octaves_score_alike(tmp_path: Path) -> None:
    conf = {w: analyze(write(tmp_path, f"acc{w}.wav", _accented(w))).tempo_confidence for w in (0.0, 0.2, 0.3, 1.0)}
    plain = min(conf[0.0], conf[1.0])
    assert plain > 0.3, conf
    assert max(conf[0.2], conf[0.3]) < 0.5 * plain, conf  # measured ~0.05-0.09 against 0.35 and 0.70


def test_eighth_note_hats_over_a_kick_lower_the_confidence(tmp_path: Path) -> None:
    """Made up, same kind: a kick on every beat and a hat on every eighth note make 120 and 240 both
    plausible; the plain 120 BPM click has no such rival."""
    loop = analyze(write(tmp_path, "loop.wav", drum_loop(120, 20)))
    plain = analyze(write(tmp_path, "click.wav", clicks(120, 20)))
    assert loop.tempo_bpm == pytest.approx(120, rel=0.01) and plain.tempo_bpm == pytest.approx(120, rel=0.01)
    assert loop.tempo_confidence < 0.5 * plain.tempo_confidence


def test_octave_rival_is_reported_by_the_estimator() -> None:
    """The estimator names the octave it weighed against (half or double the chosen tempo)."""
    from linernotes.tools.audio.onsets import onset_envelopes
    from linernotes.tools.audio.spectrum import power_spectrum

    spec = power_spectrum(_accented(0.5))
    t = estimate_tempo(onset_envelopes(spec), spec.fps, 0.1)
    assert t.bpm == pytest.approx(160, rel=0.02)
    assert t.octave_rival_bpm == pytest.approx(80, rel=0.02)
    assert autocorrelation(np.zeros((4, 400)), spec.fps).max() == 0.0  # silent bands: no periodicity
