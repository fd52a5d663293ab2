"""Tempo on real songs (their authors' BPM) and the `liner tools audio` command."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest
import soundfile as sf
from typer.testing import CliRunner

from linernotes.cli.tools_cmd import tools_app
from linernotes.tools.audio.features import analyze
from linernotes.tools.audio.testsignals import SR, drum_loop

TEMPO_TOLERANCE = 0.04  # MIREX Acc1/Acc2 convention


def _hit(est: float | None, truth: float, factors: tuple[float, ...]) -> bool:
    return est is not None and any(abs(est * f / truth - 1) <= TEMPO_TOLERANCE for f in factors)


@pytest.mark.slow
def test_lmms_songs_tempo_accuracy(shared_data: Path) -> None:
    """15 songs made in LMMS. Measured: Acc2 15/15, Acc1 14/15 (was 10/15: the 170-200 BPM songs read
    at half tempo while the comb's half-period term and the 120 BPM prior decided the octave; the one
    miss left is the 170 BPM song at 85). Bounds below the measured figures, above the old Acc1."""
    folder = shared_data / "audio" / "lmms-bpm"
    rows = list(csv.DictReader((folder / "labels.csv").open()))
    found = {r["file"]: analyze(folder / r["file"]) for r in rows}
    acc1 = sum(_hit(found[r["file"]].tempo_bpm, float(r["bpm"]), (1.0,)) for r in rows)
    acc2 = sum(_hit(found[r["file"]].tempo_bpm, float(r["bpm"]), (1.0, 2.0, 0.5)) for r in rows)
    detail = {r["file"]: (r["bpm"], found[r["file"]].tempo_bpm) for r in rows}
    assert len(rows) == 15
    assert acc2 >= 14, detail
    assert acc1 >= 12, detail
    assert all(f.speech_ratio is not None and f.speech_ratio <= 0.2 for f in found.values()), "music read as speech"


def test_cli_prints_features_as_json(tmp_path: Path) -> None:
    p = tmp_path / "loop.flac"
    sf.write(p, drum_loop(120, 10), SR)
    r = CliRunner().invoke(tools_app, ["audio", str(p), "--max-seconds", "8"])
    assert r.exit_code == 0, r.output
    out = json.loads(r.stdout)
    assert out["tempo_bpm"] == pytest.approx(120, rel=0.01) and out["analysed_s"] == pytest.approx(8.0)


def test_cli_error_names_file_and_kind(tmp_path: Path) -> None:
    (tmp_path / "root").mkdir()
    r = CliRunner().invoke(tools_app, ["audio", "../../etc/passwd", "--root", str(tmp_path / "root")])
    assert r.exit_code == 2
    assert "../../etc/passwd" in r.stderr and "[audio.outside_root]" in r.stderr
