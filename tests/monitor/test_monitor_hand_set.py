"""``liner monitor`` keeps a field's calibrated probabilities apart from its hand-set scores: a
catalog with more long texts (beyond the policy combiner's fitted length, where the lexicon's
hand-set 0.9 decides) moved the pooled policy confidence (0.949 -> 0.769 in a new user's two
runs) and read as confidence drift. Now the KS check compares the calibrated values alone and the
share of hand-set ones is a check of its own (``hand_set_share_delta``)."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from linernotes.monitor.compare import compare, field_confidences
from linernotes.monitor.load import load_output
from linernotes.monitor.thresholds import load_thresholds

SHORT = ["A weekly show about gardening, compost and seasonal vegetables with listener questions.",
         "Two friends review classic science fiction films and the books behind them.",
         "Interviews with local bakers about bread, starters and early mornings.",
         "A calm history podcast about old maps, sea routes and the people who drew them.",
         "News from the world of chess, with game analysis and tournament reports."]
FILLER = (" Each episode runs about forty minutes, with a short listener mailbag at the end, a few "
          "recommendations for further reading, and notes from our producer on what comes next week.")


def _tag(tmp_path, name: str, descriptions: list[str]):
    cat = tmp_path / f"{name}.jsonl"
    cat.write_text("".join(json.dumps({"id": f"{name}-{i}", "type": "episode", "title": f"Episode {i}",
                                       "description": d}) + "\n" for i, d in enumerate(descriptions)))
    out = tmp_path / f"{name}.out.jsonl"
    r = subprocess.run([sys.executable, "-m", "linernotes.cli.app", "tag", str(cat), "-o", str(out), "--llm", "never",
                        "--no-progress"], capture_output=True, text=True, timeout=600,
                       env={**os.environ, "LITELLM_LOCAL_MODEL_COST_MAP": "True"})
    assert r.returncode == 0, r.stderr[-2000:]
    return load_output(out).table


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    d = tmp_path_factory.mktemp("hand-set")
    base = [SHORT[i % 5] + f" Part {i}." for i in range(40)]
    # the same shows, 30 of the 40 with their long blurb (beyond the combiner's fitted length)
    cur = [SHORT[i % 5] + f" Part {i}." + (FILLER if i < 30 else "") for i in range(40)]
    return _tag(d, "base", base), _tag(d, "cur", cur)


def test_long_texts_are_a_hand_set_share_shift_not_confidence_drift(runs):
    baseline, current = runs
    assert set(baseline.column("status").to_pylist()) == set(current.column("status").to_pylist()) == {"ok"}
    (_, kb), (_, kc) = field_confidences(baseline, "policy"), field_confidences(current, "policy")
    assert kb.count(False) == 0 and kc.count(False) == 30  # the long blurbs got the lexicon's hand-set score

    checks = {c.name: c for c in compare(baseline, current, load_thresholds(None)).checks}
    share = checks["confidence: policy hand-set share (abs. change)"]
    assert share.value == pytest.approx(0.75) and share.crossed
    ks = checks["confidence: policy (KS statistic)"]
    assert not ks.crossed, ks  # the 10 calibrated answers left are the baseline's kind


def test_a_table_without_the_column_counts_every_value_hand_set(runs):
    baseline, _ = runs
    old = baseline.drop_columns(["confidence_calibrated"])
    values, calibrated = field_confidences(old, "policy")
    assert len(values) == 40 and not any(calibrated)
