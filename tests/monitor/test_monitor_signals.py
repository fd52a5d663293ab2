"""``liner monitor`` checks declared signals like the built-in fields (found by QA, session 13): two
runs tagged with ``--signals`` were compared on the built-in fields only, so a team's own signal
could drift (its labels, its confidence) with no check, no alert and no line in the report. Now
each declared signal gets a label shift (JS divergence; booleans as true/false, a scalar has
none) and a confidence shift (KS), named ``signals.<name>``, thresholds settable per signal."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from linernotes.monitor.compare import compare
from linernotes.monitor.load import load_output
from linernotes.monitor.thresholds import load_thresholds
from tests.conftest import run_liner_in_process

pytestmark = pytest.mark.slow  # three liner tag runs of 40 items (evidence only, no LLM)

SIGNALS = """\
- name: mood_tags
  kind: single_label
  labels: [happy, sad]
  instructions: The mood.
  evidence: [shortlist]
- name: energy
  kind: scalar
  range: [0, 10]
  instructions: How energetic.
"""
HAPPY, SAD = "a happy joyful cheerful song", "a sad gloomy tearful song"


def _run(tmp_path: Path, name: str, happy_share: float) -> Path:
    n = 40
    rows = [{"id": f"{name}{i}", "type": "track", "title": f"Song {i}",
             "description": HAPPY if i < happy_share * n else SAD} for i in range(n)]
    catalog = tmp_path / f"{name}.jsonl"
    catalog.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    out = tmp_path / f"{name}.out.jsonl"
    r = run_liner_in_process(["tag", catalog, "-o", out, "--signals", tmp_path / "s.yaml", "--llm", "never"])
    assert r.returncode == 0, r.stderr
    return out


def test_a_declared_signal_that_shifts_alerts_and_one_that_does_not_passes(tmp_path: Path) -> None:
    (tmp_path / "s.yaml").write_text(SIGNALS, encoding="utf-8")
    base, same, shifted = _run(tmp_path, "a", 0.5), _run(tmp_path, "b", 0.5), _run(tmp_path, "c", 0.9)
    th = load_thresholds()
    quiet = {c.name: c for c in compare(load_output(base).table, load_output(same).table, th).checks}
    assert not quiet["label shift: signals.mood_tags (JS divergence)"].crossed
    assert "confidence: signals.energy (KS statistic)" in quiet
    assert "label shift: signals.energy (JS divergence)" not in quiet  # a scalar: no labels
    loud = compare(load_output(base).table, load_output(shifted).table, th)
    check = {c.name: c for c in loud.checks}["label shift: signals.mood_tags (JS divergence)"]
    assert check.crossed and loud.exit_code == 1
    shift = next(s for s in loud.labels if s.field == "signals.mood_tags")
    assert shift.baseline_counts == {"happy": 20, "sad": 20} and shift.current_counts == {"happy": 36, "sad": 4}


def test_a_threshold_can_name_a_declared_signal(tmp_path: Path) -> None:
    path = tmp_path / "t.yaml"
    path.write_text("labels:\n  signals.mood_tags: 0.5\n", encoding="utf-8")
    assert load_thresholds(path).label("signals.mood_tags") == 0.5


def test_plots_draw_labels_with_dollar_signs_as_text():
    """QA: a declared signal labelled '$$' (a price tier) stopped 'liner monitor --html' with
    matplotlib's mathtext ValueError ('$x^$', '$\\\\undefined$' alike): text between two '$' was
    read as a formula ('$10-$20' was drawn as '10-')."""
    from linernotes.monitor.plots import distributions, label_shares

    labels = {"$$": 3, "$x^$": 2, "$\\undefined$": 1, "$10-$20": 4}
    assert label_shares("signals.price$$", labels, {"$$": 1}).lstrip().startswith("<")
    assert distributions("confidence: signals.$x^$", [0.2, 0.4], [0.3], "$$").lstrip().startswith("<")
