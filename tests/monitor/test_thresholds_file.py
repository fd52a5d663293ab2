"""A thresholds file's mistakes are named at their line (QA: a misspelt field under ``labels:``
kept its default in silence, a negative threshold alerted on every run, and errors had no line)."""

from __future__ import annotations

from pathlib import Path

import pytest

from linernotes.monitor.load import MonitorInputError
from linernotes.monitor.thresholds import load_thresholds


@pytest.mark.parametrize(("text", "where", "reason"), [
    ("alpha: 0.01\nlabels:\n  genre: 0.3\n", "t.yaml:3: labels.genre", "no field 'genre' (fields: default, genres"),
    ("confidence:\n  mood: 0.1\n", "t.yaml:2: confidence.mood", "no field 'mood'"),
    ("labels: {genres: -1}\n", "t.yaml:1: labels.genres", "greater than or equal to 0"),
    ("confidence:\n  default: 3\n", "t.yaml:2: confidence.default", "less than or equal to 1"),
    ("alpha: 0.01\nalpah: 0.2\n", "t.yaml:2: alpah", "unknown key"),
    ("min_items: 5\nmin_items: 6\n", "t.yaml:2", "given twice"),
])
def test_a_bad_threshold_is_named_at_its_line(tmp_path: Path, text: str, where: str, reason: str) -> None:
    (tmp_path / "t.yaml").write_text(text)
    with pytest.raises(MonitorInputError) as e:
        load_thresholds(tmp_path / "t.yaml")
    assert str(e.value).startswith(str(tmp_path / where)) and reason in str(e.value), str(e.value)


def test_known_fields_and_an_empty_file_load(tmp_path: Path) -> None:
    (tmp_path / "t.yaml").write_text("labels: {policy_ids: 0.2, default: 0.1}\nconfidence: {valence: 0.3}\n")
    th = load_thresholds(tmp_path / "t.yaml")
    assert (th.label("policy_ids"), th.label("genres"), th.conf("valence")) == (0.2, 0.05, 0.3)
    (tmp_path / "e.yaml").write_text("# nothing\n")
    assert load_thresholds(tmp_path / "e.yaml") == load_thresholds()
